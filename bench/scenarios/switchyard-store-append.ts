// The SQLite store on its own: store.append() of one step's batch (the row of a real mid-chain
// step, already encoded), awaited, one after another, as the driver does. Against (c), this is the
// store's own overhead: request checks, the group-commit hop, the transaction wrapper.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppendRequest } from '../../src/index.js';
import { childArgs, collectGarbage, cpuSinceUs, median, runChild, sinceUs } from '../lib/child.js';
import { seedRun, stepShape } from '../lib/step-shape.js';
import { sy } from '../lib/switchyard.js';

interface Args {
  transactions: number;
  reps: number;
}

await runChild(async () => {
  const { transactions, reps } = childArgs<Args>();
  const shape = await stepShape();
  const size = shape.eventsPerBatch;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const once = async (file: string, count: number): Promise<{ wall: number; cpu: number }> => {
    const store = sy.openSqliteStore(join(dir, file));
    await seedRun(store, shape);
    // Built up front so the loop times the store, not the building of requests.
    const requests: AppendRequest[] = [];
    for (let i = 0, seq = size; i < count; i++, seq += size) {
      requests.push({
        runId: shape.runId,
        expectedSeq: seq,
        batches: [{ ...shape.batch, seq, lastSeq: seq + size - 1 }],
        blobs: [],
        status: 'running',
        at: seq,
      });
    }
    collectGarbage();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const request of requests) await store.append(request);
    const result = { wall: sinceUs(t0) / count, cpu: cpuSinceUs(c0) / count };
    await store.close();
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
      info: { transactions, reps, eventsPerAppend: size },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
