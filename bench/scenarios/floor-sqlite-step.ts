// Floor (c): the raw SQLite transaction that writes what one chain step writes, on the store's own
// schema: advance the run row (the store's conditional UPDATE) and insert the step's events, with
// bodies and hashes copied from a real journal. No encoding, hashing or engine work: the store's
// distance from this is its own overhead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childArgs, collectGarbage, cpuSinceUs, median, runChild, sinceUs } from '../lib/child.js';
import { openRaw } from '../lib/sqlite.js';
import { seedRun, stepShape } from '../lib/step-shape.js';
import { sy } from '../lib/switchyard.js';

interface Args {
  transactions: number;
  reps: number;
}

await runChild(async () => {
  const { transactions, reps } = childArgs<Args>();
  const shape = await stepShape();
  const rows = shape.events;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const once = async (file: string, count: number): Promise<{ wall: number; cpu: number }> => {
    const path = join(dir, file);
    // The store creates the schema and the run row, so the raw writes hit the very same tables.
    const store = sy.openSqliteStore(path);
    await seedRun(store, shape);
    await store.close();
    const db = openRaw(path);
    const advance = db.prepare(
      'UPDATE runs SET head_seq = ?, updated_at = ?, status = ? WHERE run_id = ? AND head_seq = ?',
    );
    const insert = db.prepare(
      'INSERT INTO events (run_id, seq, type, body, hash) VALUES (?, ?, ?, ?, ?)',
    );
    const step = db.transaction((head: number) => {
      const next = head + rows.length;
      if (advance.run(next, next, 'running', shape.runId, head).changes !== 1)
        throw new Error('the run row did not advance');
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as (typeof rows)[number];
        insert.run(shape.runId, head + 1 + i, row.type, row.body, row.hash);
      }
    });
    collectGarbage();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let head = 0;
    for (let i = 0; i < count; i++) {
      step.immediate(head);
      head += rows.length;
    }
    const result = { wall: sinceUs(t0) / count, cpu: cpuSinceUs(c0) / count };
    db.close();
    return result;
  };
  try {
    // A shorter warm-up: enough to compile the paths and touch the code, not to time them.
    await once('warmup.db', Math.ceil(transactions / 5));
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      const one = await once(`rep-${r}.db`, transactions);
      wall.push(one.wall);
      cpu.push(one.cpu);
    }
    return {
      metrics: { stepUs: median(wall), stepCpuUs: median(cpu) },
      info: {
        transactions,
        reps,
        rowsPerTransaction: `1 UPDATE runs + ${rows.length} INSERT events`,
        eventTypes: rows.map((r) => r.type),
        eventBytes: rows.map((r) => Buffer.byteLength(r.body)),
        appendsPerStep: shape.appendsPerStep,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
