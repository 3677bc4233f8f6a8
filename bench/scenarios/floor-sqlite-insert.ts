// Floor (b): one single-row INSERT transaction (BEGIN IMMEDIATE … COMMIT) at the store's default
// settings, inserting the body of a real step's row into a plain rowid table. The floor of the
// inserts a durable step needs: one commit of one row of that size, nothing else.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childArgs, collectGarbage, cpuSinceUs, median, runChild, sinceUs } from '../lib/child.js';
import { openRaw } from '../lib/sqlite.js';
import { stepShape } from '../lib/step-shape.js';

interface Args {
  transactions: number;
  reps: number;
}

await runChild(async () => {
  const { transactions, reps } = childArgs<Args>();
  const shape = await stepShape();
  const body = shape.batch.body;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const once = (file: string, count: number): { wall: number; cpu: number } => {
    const db = openRaw(join(dir, file));
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const transaction = db.transaction((text: string) => insert.run(text));
    collectGarbage();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) transaction.immediate(body);
    const result = { wall: sinceUs(t0) / count, cpu: cpuSinceUs(c0) / count };
    db.close();
    return result;
  };
  try {
    // A shorter warm-up: enough to compile the paths and touch the code, not to time them.
    once('warmup.db', Math.ceil(transactions / 5));
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < reps; r++) {
      const one = once(`rep-${r}.db`, transactions);
      wall.push(one.wall);
      cpu.push(one.cpu);
    }
    return {
      metrics: { stepUs: median(wall), stepCpuUs: median(cpu) },
      info: { transactions, reps, bodyBytes: Buffer.byteLength(body) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
