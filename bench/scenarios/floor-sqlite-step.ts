// Floor (c): the raw SQLite transaction that writes what one chain step writes, on the store's own
// schema: read the run's status and head (the store's check) and insert the step's batch row, with
// body and hash copied from a real journal. No encoding, hashing or engine work: the store's
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
  const size = shape.eventsPerBatch;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const once = async (file: string, count: number): Promise<{ wall: number; cpu: number }> => {
    const path = join(dir, file);
    // The store creates the schema and the run row, so the raw writes hit the very same tables.
    const store = sy.openSqliteStore(path);
    await seedRun(store, shape);
    await store.close();
    const db = openRaw(path);
    const runKey = db.prepare('SELECT run_key FROM runs WHERE run_id = ?').pluck().get(shape.runId);
    const head = db.prepare(
      'SELECT status, (SELECT last_seq FROM batches WHERE id BETWEEN ? * 4294967296 AND ' +
        '? * 4294967296 + 4294967295 ORDER BY id DESC LIMIT 1) AS head FROM runs WHERE run_key = ?',
    );
    const insert = db.prepare(
      'INSERT INTO batches (id, last_seq, at, body, hash) VALUES (? * 4294967296 + ?, ?, ?, ?, ?)',
    );
    const { body, hash } = shape.batch;
    const step = db.transaction((seq: number) => {
      const found = head.get(runKey, runKey, runKey) as { head: number };
      if (found.head !== seq - 1) throw new Error('the head moved');
      insert.run(runKey, seq, seq + size - 1, seq, body, hash);
    });
    collectGarbage();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0, seq = size; i < count; i++, seq += size) step.immediate(seq);
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
        rowsPerTransaction: `1 SELECT head + 1 INSERT batches (${size} events)`,
        rowBytes: Buffer.byteLength(shape.batch.body),
        appendsPerStep: shape.appendsPerStep,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
