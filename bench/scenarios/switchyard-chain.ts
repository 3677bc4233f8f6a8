// Switchyard, µs per no-op step: a linear chain of tool steps (each calls the no-op tool with the
// previous step's output) run start to finish on the memory or the SQLite store. The time is
// runtime.start() over the number of steps, so run start and end are included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalStore, SqliteJournalStore } from '../../src/index.js';
import { childArgs, collectGarbage, cpuSinceUs, median, runChild, sinceUs } from '../lib/child.js';
import { chainSpec, noopTool, source, sy } from '../lib/switchyard.js';

interface Args {
  store: 'memory' | 'sqlite';
  steps: number;
  warmup: number;
  reps: number;
}

await runChild(async () => {
  const { store: kind, steps, warmup, reps } = childArgs<Args>();
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const spec = chainSpec(steps);
  // A fresh store and Runtime per run, as a CLI run gets: the memory store would otherwise carry
  // every earlier run's journal, and its garbage collection would be charged to later runs.
  const fresh = (rep: string): { store: JournalStore; sqlite?: SqliteJournalStore } => {
    if (kind === 'memory') return { store: new sy.MemoryJournalStore() };
    const sqlite = sy.openSqliteStore(join(dir, `${rep}.db`));
    return { store: sqlite, sqlite };
  };
  try {
    for (let w = 0; w < warmup; w++) {
      const { store } = fresh(`warmup-${w}`);
      await new sy.Runtime({ store, tools: [noopTool] }).start({ spec });
      await store.close();
    }
    const wall: number[] = [];
    const cpu: number[] = [];
    const transactions: number[] = [];
    let last: { store: JournalStore; sqlite?: SqliteJournalStore; runId: string } | undefined;
    for (let r = 0; r < reps; r++) {
      if (last) await last.store.close();
      const { store, sqlite } = fresh(`rep-${r}`);
      const runtime = new sy.Runtime({ store, tools: [noopTool] });
      collectGarbage();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const outcome = await runtime.start({ spec });
      wall.push(sinceUs(t0) / steps);
      cpu.push(cpuSinceUs(c0) / steps);
      if (outcome.status !== 'completed') throw new Error(`run ended ${outcome.status}`);
      if (sqlite) transactions.push(sqlite.stats.transactions);
      last = { store, ...(sqlite ? { sqlite } : {}), runId: outcome.runId };
    }
    if (!last) throw new Error('no repetitions');
    const { store, sqlite, runId } = last;
    const run = await store.getRun(runId);
    const events = await store.read(runId);
    let bodyBytes = 0;
    const refs = new Set<string>();
    for (const event of events) {
      bodyBytes += Buffer.byteLength(event.body);
      for (const [key, value] of Object.entries(JSON.parse(event.body) as object))
        if (key.endsWith('Ref') && typeof value === 'string') refs.add(value);
    }
    let blobBytes = 0;
    for (const ref of refs) blobBytes += Buffer.byteLength((await store.getBlob(ref)) ?? '');
    const settings = sqlite?.settings();
    await store.close();
    return {
      metrics: {
        stepUs: median(wall),
        stepUsBest: Math.min(...wall),
        stepCpuUs: median(cpu),
        ...(sqlite ? { transactionsPerStep: median(transactions) / steps } : {}),
        eventsPerStep: ((run?.headSeq ?? -1) + 1) / steps,
        journalBytesPerStep: (bodyBytes + blobBytes) / steps,
      },
      info: {
        source,
        steps,
        warmup,
        reps,
        events: events.length,
        blobs: refs.size,
        ...(settings ? { settings } : {}),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
