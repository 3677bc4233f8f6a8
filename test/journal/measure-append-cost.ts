// Micro-measurement of the SQLite append path against a raw single-row insert transaction on the
// same settings, in one process so the ratio is meaningful on a noisy machine.
// Run: node --import tsx test/journal/measure-append-cost.ts [iterations] [process|power-loss]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '../../src/core/json.js';
import { chainHash } from '../../src/core/hash.js';
import type { AppendRequest, StoredEvent } from '../../src/core/ports.js';
import { openSqliteStore, type SqliteDurability } from '../../src/journal/sqlite-store.js';

const iterations = Number(process.argv[2] ?? 20_000);
const durability = (process.argv[3] ?? 'process') as SqliteDurability;
const rounds = 5;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-measure-'));

function event(runId: string, seq: number, prev: string): StoredEvent {
  const body = canonicalJson({
    type: 'step-end',
    runId,
    seq,
    at: 1_700_000_000_000 + seq,
    path: 'steps.fetch',
    output: { ref: 'f'.repeat(64) },
  });
  return { seq, type: 'step-end', body, hash: chainHash(prev, body) };
}

function raw(round: number): number {
  const db = new Database(join(dir, `raw-${round}.db`));
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  const transaction = db.transaction((body: string) => insert.run(body));
  const body = event('run', 1, '').body;
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) transaction.immediate(body);
  const elapsed = Number(process.hrtime.bigint() - started) / 1000 / iterations;
  db.close();
  return elapsed;
}

async function store(round: number, perBatch: number): Promise<number> {
  const journal = openSqliteStore(join(dir, `store-${round}-${perBatch}.db`), { durability });
  const runId = 'run_01HZX3Y4ABCDEF0123456789';
  let prev = '';
  const batches: AppendRequest[] = [];
  // Built up front so the loop times the store, not hashing.
  for (let seq = 0; seq < iterations * perBatch; seq += perBatch) {
    const events: StoredEvent[] = [];
    for (let i = 0; i < perBatch; i++) {
      const next = event(runId, seq + i, prev);
      prev = next.hash;
      events.push(next);
    }
    batches.push({ runId, expectedSeq: seq, events, blobs: [], at: seq });
  }
  const first = batches[0] as AppendRequest;
  first.create = { runId, workflow: 'bench', specHash: 'spec', parentRunId: null, createdAt: 0 };
  const started = process.hrtime.bigint();
  for (const batch of batches) await journal.append(batch);
  const elapsed = Number(process.hrtime.bigint() - started) / 1000 / iterations;
  await journal.close();
  return elapsed;
}

/** Many runs stepping in lockstep: each step's appends share one group commit. */
async function grouped(round: number, runs: number): Promise<number> {
  const journal = openSqliteStore(join(dir, `grouped-${round}.db`), { durability });
  const steps = Math.ceil(iterations / runs);
  const ids = Array.from({ length: runs }, (_, i) => `run_${String(i).padStart(22, '0')}`);
  const heads = new Map(ids.map((id) => [id, '']));
  const batchesFor = (seq: number): AppendRequest[] =>
    ids.map((runId) => {
      const events: StoredEvent[] = [];
      for (let i = 0; i < 4; i++) {
        const next = event(runId, seq + i, heads.get(runId) as string);
        heads.set(runId, next.hash);
        events.push(next);
      }
      const request: AppendRequest = { runId, expectedSeq: seq, events, blobs: [], at: seq };
      if (seq === 0) {
        request.create = {
          runId,
          workflow: 'bench',
          specHash: 'spec',
          parentRunId: null,
          createdAt: 0,
        };
      }
      return request;
    });
  const all = Array.from({ length: steps }, (_, step) => batchesFor(step * 4));
  const started = process.hrtime.bigint();
  for (const step of all) await Promise.all(step.map((batch) => journal.append(batch)));
  const elapsed = Number(process.hrtime.bigint() - started) / 1000 / (steps * runs);
  await journal.close();
  return elapsed;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

const results = {
  raw: [] as number[],
  one: [] as number[],
  four: [] as number[],
  grouped: [] as number[],
};
for (let round = 0; round < rounds; round++) {
  results.raw.push(raw(round));
  results.one.push(await store(round, 1));
  results.four.push(await store(round, 4));
  results.grouped.push(await grouped(round, 64));
}
rmSync(dir, { recursive: true, force: true });
const base = median(results.raw);
const line = (label: string, values: number[]): string => {
  const cost = median(values);
  return `${label.padEnd(50)} ${cost.toFixed(1).padStart(6)} µs  ${(cost / base).toFixed(2)}x`;
};
console.log(`${iterations} awaited appends per round, ${durability}, median of ${rounds} rounds`);
console.log(line('raw single-row INSERT transaction', results.raw));
console.log(line('store.append, 1-event batch', results.one));
console.log(line('store.append, 4-event batch', results.four));
console.log(line('store.append, 4-event batch, 64 runs in lockstep', results.grouped));
