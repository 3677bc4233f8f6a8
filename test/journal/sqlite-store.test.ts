import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/core/hash.js';
import {
  JournalConflictError,
  StoreClosedError,
  StoreCorruptError,
  StoreVersionError,
} from '../../src/journal/errors.js';
import { openSqliteStore, SQLITE_SCHEMA_VERSION } from '../../src/journal/sqlite-store.js';
import {
  blobOf,
  chainEvents,
  createRequest,
  describeJournalStoreConformance,
  nextRequest,
} from '../conformance/journal-store.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let counter = 0;
const freshFile = (): string => join(dir, `journal-${counter++}.db`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-sqlite-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeJournalStoreConformance('sqlite', async () => {
  const store = openSqliteStore(freshFile());
  return { store, cleanup: () => store.close() };
});

async function journalWithData(file: string): Promise<void> {
  const store = openSqliteStore(file);
  for (let i = 0; i < 40; i++) {
    const runId = `run-${i}`;
    await store.append(
      createRequest(runId, {
        batches: chainEvents(runId, 8, { extra: { text: 'payload '.repeat(40) } }),
        blobs: [blobOf({ prompt: `prompt ${i} `.repeat(50) })],
      }),
    );
  }
  await store.close();
}

describe('SqliteJournalStore', () => {
  it('uses WAL with synchronous NORMAL by default and FULL for power-loss durability', async () => {
    const fast = openSqliteStore(freshFile());
    expect(fast.settings()).toEqual({
      journalMode: 'wal',
      synchronous: 1,
      busyTimeout: 5000,
      schemaVersion: SQLITE_SCHEMA_VERSION,
    });
    expect(fast.durability).toBe('process');
    await fast.close();
    const safe = openSqliteStore(freshFile(), { durability: 'power-loss' });
    expect(safe.settings().synchronous).toBe(2);
    expect(safe.settings().journalMode).toBe('wal');
    await safe.close();
  });

  it('creates a missing parent directory', async () => {
    const file = join(dir, 'nested', 'deeper', 'journal.db');
    const store = openSqliteStore(file);
    await store.append(createRequest('r'));
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  it('keeps everything across close and reopen', async () => {
    const file = freshFile();
    const events = chainEvents('r', 5);
    const blob = blobOf({ big: 'prompt '.repeat(100) });
    const first = openSqliteStore(file);
    await first.append(createRequest('r', { batches: events.slice(0, 2), blobs: [blob] }));
    await first.append({
      ...nextRequest('r', 2, 0, { status: 'completed', at: 9 }),
      batches: events.slice(2),
    });
    const before = await first.getRun('r');
    await first.close();

    const second = openSqliteStore(file);
    expect(await second.read('r')).toEqual(events);
    expect(await second.getRun('r')).toEqual(before);
    expect(await second.getBlob(blob.hash)).toBe(blob.text);
    await second.append(nextRequest('r', 5, 1));
    expect((await second.getRun('r'))?.headSeq).toBe(5);
    await second.close();
  });

  it('stores a large batch packed, smaller than its text, and reads back the exact text', async () => {
    const file = freshFile();
    const events = chainEvents('r', 3, {
      size: 12,
      extra: { text: 'the same words again '.repeat(8) },
    });
    const small = chainEvents('r', 1, { fromSeq: 36, prevHash: events[2]?.hash ?? '' });
    const store = openSqliteStore(file);
    await store.append(createRequest('r', { batches: events }));
    await store.append({ ...nextRequest('r', 36, 35), batches: small });
    await store.close();
    const db = new Database(file, { readonly: true });
    const rows = db
      .prepare('SELECT typeof(body) AS type, length(body) AS size FROM batches ORDER BY id')
      .all() as Array<{ type: string; size: number }>;
    db.close();
    // The three large batches are BLOBs a fraction of their text; the small one stays plain text.
    expect(rows.map((row) => row.type)).toEqual(['blob', 'blob', 'blob', 'text']);
    for (const [i, row] of rows.slice(0, 3).entries())
      expect(row.size).toBeLessThan((events[i]?.body.length ?? 0) / 4);
    const reopened = openSqliteStore(file);
    expect(await reopened.read('r')).toEqual([...events, ...small]);
    await reopened.close();
  });

  it('a packed batch whose bytes were damaged is StoreCorruptError naming run and seq', async () => {
    const file = freshFile();
    const store = openSqliteStore(file);
    await store.append(createRequest('r', { batches: chainEvents('r', 1, { size: 20 }) }));
    await store.close();
    const db = new Database(file);
    db.prepare("UPDATE batches SET body = X'01DEADBEEF'").run();
    db.close();
    const reopened = openSqliteStore(file);
    const error = await reopened.read('r').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptError);
    expect((error as Error).message).toMatch(/batch at seq 0 of run r cannot be unpacked/);
    await reopened.close();
  });

  it('a schema-2 journal is stamped schema 3 when opened, its batches read as before', async () => {
    const file = freshFile();
    const events = chainEvents('r', 4);
    const first = openSqliteStore(file);
    await first.append(createRequest('r', { batches: events }));
    await first.close();
    const db = new Database(file);
    db.pragma('user_version = 2');
    db.close();
    const second = openSqliteStore(file);
    expect(await second.read('r')).toEqual(events);
    await second.close();
    const check = new Database(file, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(3);
    check.close();
  });

  it('commits concurrent append() calls as one group transaction', async () => {
    const store = openSqliteStore(freshFile());
    const ids = Array.from({ length: 200 }, (_, i) => `g-${i}`);
    await Promise.all(ids.map((id) => store.append(createRequest(id))));
    expect(store.stats).toEqual({ transactions: 1, batches: 200 });
    await store.append(createRequest('alone'));
    expect(store.stats).toEqual({ transactions: 2, batches: 201 });
    await store.close();
  });

  it('resolves an append only after its commit is visible to another connection', async () => {
    const file = freshFile();
    const store = openSqliteStore(file);
    const pending = store.append(createRequest('r'));
    const other = new Database(file, { readonly: true });
    const count = other.prepare('SELECT count(*) FROM batches').pluck();
    expect(count.get()).toBe(0);
    await pending;
    expect(count.get()).toBe(1);
    other.close();
    await store.close();
  });

  it('detects a conflict between two connections to one file', async () => {
    const file = freshFile();
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    await a.append(createRequest('r'));
    await a.append(nextRequest('r', 1, 1));
    const error = await b.append(nextRequest('r', 1, 1)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JournalConflictError);
    expect((error as JournalConflictError).headSeq).toBe(1);
    await expect(b.append(createRequest('r'))).rejects.toBeInstanceOf(JournalConflictError);
    await a.close();
    await b.close();
  });

  it('a writer that cached its head still sees another connection extend the run', async () => {
    const file = freshFile();
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    await a.append(createRequest('r'));
    await a.append(nextRequest('r', 1, 1)); // a now knows the head is 1 without asking
    await b.append(nextRequest('r', 2, 2)); // b writes seq 2..3 as one batch
    // a's next append at seq 3 collides with no batch id (b's batch starts at 2): only a head
    // check that notices b's commit stops a fork of the chain.
    const error = await a.append(nextRequest('r', 3, 1)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JournalConflictError);
    expect((error as JournalConflictError).headSeq).toBe(3);
    await a.append(nextRequest('r', 4, 1));
    expect((await b.getRun('r'))?.headSeq).toBe(4);
    await a.close();
    await b.close();
  });

  it('a writer that cached the run status still writes the status another connection changed', async () => {
    const file = freshFile();
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    await a.append(createRequest('r'));
    await a.append({ ...nextRequest('r', 1, 1), status: 'waiting' }); // a caches head 1, 'waiting'
    // b changes only the status: the head stays 1, so a's head check passes either way.
    await b.append({
      runId: 'r',
      expectedSeq: 2,
      batches: [],
      blobs: [],
      at: 3_000,
      status: 'running',
    });
    // Had a trusted its cached 'waiting', it would skip writing a status it thinks is unchanged.
    await a.append({ ...nextRequest('r', 2, 1), status: 'waiting' });
    expect((await b.getRun('r'))?.status).toBe('waiting');
    await a.close();
    await b.close();
  });

  it('an append that conflicts inside a group commit leaves the next append its true head', async () => {
    const store = openSqliteStore(freshFile());
    await store.append(createRequest('r'));
    // One group: the first extends the run, the second repeats its seq and is refused.
    const results = await Promise.allSettled([
      store.append(nextRequest('r', 1, 1)),
      store.append(nextRequest('r', 1, 1)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(JournalConflictError);
    await store.append(nextRequest('r', 2, 1));
    expect((await store.getRun('r'))?.headSeq).toBe(2);
    expect(store.stats.transactions).toBe(3);
    await store.close();
  });

  it.each([
    ['alone, so its transaction rolls back', false],
    ['beside another append, so its savepoint rolls back', true],
  ])('a head written by a rolled-back appendMany is forgotten (%s)', async (_, beside) => {
    const store = openSqliteStore(freshFile());
    await store.append(createRequest('r'));
    await store.append(createRequest('q'));
    // The first request moves r's head to 1 inside the transaction, the second then conflicts:
    // all of it rolls back, and the head must be 0 again, not the 1 the first request wrote.
    const results = await Promise.allSettled([
      store.appendMany([nextRequest('r', 1, 1), nextRequest('r', 1, 1)]),
      ...(beside ? [store.append(nextRequest('q', 1, 1))] : []),
    ]);
    expect(results.map((r) => r.status)).toEqual(beside ? ['rejected', 'fulfilled'] : ['rejected']);
    const gap = await store.append(nextRequest('r', 2, 1)).catch((caught: unknown) => caught);
    expect(gap).toBeInstanceOf(JournalConflictError);
    expect((gap as JournalConflictError).headSeq).toBe(0);
    await store.append(nextRequest('r', 1, 1));
    expect((await store.getRun('r'))?.headSeq).toBe(1);
    await store.close();
  });

  it('close() commits appends that were still queued', async () => {
    const file = freshFile();
    const store = openSqliteStore(file);
    const pending = store.append(createRequest('r'));
    await store.close();
    await pending;
    const reopened = openSqliteStore(file);
    expect((await reopened.getRun('r'))?.headSeq).toBe(0);
    await reopened.close();
  });

  it('refuses use after close with StoreClosedError', async () => {
    const store = openSqliteStore(freshFile());
    await store.close();
    await expect(store.append(createRequest('r'))).rejects.toBeInstanceOf(StoreClosedError);
    await expect(store.read('r')).rejects.toBeInstanceOf(StoreClosedError);
  });

  it('a file of random bytes is StoreCorruptError naming the file', async () => {
    const file = freshFile();
    await writeFile(file, randomBytes(16 * 1024));
    expect(() => openSqliteStore(file)).toThrow(StoreCorruptError);
    try {
      openSqliteStore(file);
    } catch (error) {
      expect((error as StoreCorruptError).code).toBe('STORE_CORRUPT');
      expect((error as StoreCorruptError).file).toBe(file);
      expect((error as StoreCorruptError).message).toContain(file);
      expect((error as StoreCorruptError).message).toMatch(
        /not a Switchyard journal or is damaged/,
      );
    }
  });

  it('a text file is StoreCorruptError', async () => {
    const file = freshFile();
    await writeFile(file, 'this is not a journal\n'.repeat(200));
    expect(() => openSqliteStore(file)).toThrow(StoreCorruptError);
  });

  it('the first 4 KiB of a journal with data is StoreCorruptError naming the file', async () => {
    const whole = freshFile();
    await journalWithData(whole);
    const truncated = freshFile();
    await writeFile(truncated, (await readFile(whole)).subarray(0, 4096));
    let caught: unknown;
    try {
      const store = openSqliteStore(truncated);
      // Should the damage only show on access, it must still be typed.
      await store.read('run-1');
      await store.close();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StoreCorruptError);
    expect((caught as StoreCorruptError).file).toBe(truncated);
  });

  it('a SQLite database of another application is StoreCorruptError, not overwritten', async () => {
    const file = freshFile();
    const other = new Database(file);
    other.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
    other.close();
    expect(() => openSqliteStore(file)).toThrow(/other tables \(notes\)/);
    const check = new Database(file);
    expect(
      check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'runs'").pluck().get(),
    ).toBe(0);
    check.close();
  });

  it('a journal missing one of its tables is StoreCorruptError', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const db = new Database(file);
    db.exec('DROP TABLE blobs');
    db.close();
    expect(() => openSqliteStore(file)).toThrow(/table blobs is missing/);
  });

  it('meta values survive close and reopen', async () => {
    const file = freshFile();
    const first = openSqliteStore(file);
    await first.putMeta('tool-health', '{"a":{"consecutiveFailures":3,"openedAt":1}}');
    await first.close();
    const second = openSqliteStore(file);
    expect(await second.getMeta('tool-health')).toBe(
      '{"a":{"consecutiveFailures":3,"openedAt":1}}',
    );
    await second.close();
  });

  it('a schema-2 journal from before the meta table gets one when opened, its runs untouched', async () => {
    const file = freshFile();
    const first = openSqliteStore(file);
    await first.append(createRequest('r'));
    await first.close();
    const db = new Database(file);
    db.exec('DROP TABLE meta');
    db.close();
    const second = openSqliteStore(file);
    expect(await second.getMeta('tool-health')).toBeUndefined();
    await second.putMeta('tool-health', '{}');
    expect(await second.getMeta('tool-health')).toBe('{}');
    expect((await second.getRun('r'))?.headSeq).toBe(0);
    await second.close();
  });

  it('a journal from a newer schema version is refused with StoreVersionError', async () => {
    const file = freshFile();
    await openSqliteStore(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openSqliteStore(file)).toThrow(StoreVersionError);
  });

  it('an empty existing file is initialised as a fresh journal', async () => {
    const file = freshFile();
    await writeFile(file, '');
    const store = openSqliteStore(file);
    await store.append(createRequest('r'));
    expect((await store.getRun('r'))?.headSeq).toBe(0);
    await store.close();
  });

  it('every append acknowledged before kill -9 survives, with no gap in the chain', async () => {
    const file = freshFile();
    const script = join(dir, 'crash-writer.mjs');
    await writeFile(script, CRASH_WRITER);
    const storeUrl = new URL('../../src/journal/sqlite-store.ts', import.meta.url).href;
    const hashUrl = new URL('../../src/core/hash.ts', import.meta.url).href;
    const child = spawn(process.execPath, ['--import', 'tsx', script, storeUrl, hashUrl, file], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<string, number>();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    let buffered = '';
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const parts = buffered.split('\n');
        buffered = parts.pop() ?? '';
        for (const line of parts) {
          const [runId, seq] = line.split(' ');
          acked.set(runId as string, Number(seq));
          // Kill mid-stream, well after the writers are up and group commits are happening.
          if (++lines === 600) {
            child.kill('SIGKILL');
            resolve();
          }
        }
      });
      void exited.then(() => reject(new Error(`writer exited before the kill: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');
    expect(acked.size).toBe(4);

    const store = openSqliteStore(file);
    for (const [runId, lastAcked] of acked) {
      const batches = await store.read(runId);
      const run = await store.getRun(runId);
      let next = 0;
      let prev = '';
      for (const batch of batches) {
        expect(batch.seq).toBe(next);
        expect(batch.hash).toBe(chainHash(prev, batch.body));
        next = batch.lastSeq + 1;
        prev = batch.hash;
      }
      expect(next - 1).toBeGreaterThanOrEqual(lastAcked);
      expect(run?.headSeq).toBe(next - 1);
    }
    await store.close();
  });
});

/** Four writers appending 4-event batches to their own runs until killed; prints acked seqs. */
const CRASH_WRITER = `
const [storeUrl, hashUrl, file] = process.argv.slice(2);
const { openSqliteStore } = await import(storeUrl);
const { chainHash } = await import(hashUrl);
const store = openSqliteStore(file);
async function writer(w) {
  const runId = 'crash-' + w;
  let prev = '';
  const make = (seq, count) => {
    const events = [];
    for (let i = 0; i < count; i++) events.push(JSON.stringify({ seq: seq + i, w, pad: 'x'.repeat(200) }));
    const body = '[' + events.join(',') + ']';
    prev = chainHash(prev, body);
    return { seq, lastSeq: seq + count - 1, body, hash: prev };
  };
  await store.append({
    runId, expectedSeq: 0, batches: [make(0, 1)], blobs: [], at: 0,
    create: { runId, workflow: 'crash', specHash: 'spec', parentRunId: null, createdAt: 0 },
  });
  process.stdout.write(runId + ' 0\\n');
  for (let seq = 1; ; seq += 4) {
    const blobs = [{ hash: 'blob-' + (seq % 7), text: 'shared payload' }];
    await store.append({ runId, expectedSeq: seq, batches: [make(seq, 4)], blobs, at: seq });
    process.stdout.write(runId + ' ' + (seq + 3) + '\\n');
  }
}
await Promise.all([0, 1, 2, 3].map(writer));
`;
