import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson, type JsonValue } from '../../src/core/json.js';
import { chainHash, hashJson } from '../../src/core/hash.js';
import type {
  AppendRequest,
  Blob,
  JournalStore,
  RunRecord,
  RunStatus,
  StoredBatch,
} from '../../src/core/ports.js';
import {
  AppendRequestError,
  JournalConflictError,
  RunNotFoundError,
} from '../../src/journal/errors.js';

export interface StoreHandle {
  store: JournalStore;
  cleanup(): Promise<void>;
}

const SPEC_HASH = hashJson({ workflow: 'conformance' });

/**
 * A realistic hash-chained journal fragment: `count` batches of `size` events each, canonical JSON
 * bodies linked by chainHash.
 */
export function chainEvents(
  runId: string,
  count: number,
  options: { fromSeq?: number; prevHash?: string; extra?: JsonValue; size?: number } = {},
): StoredBatch[] {
  const batches: StoredBatch[] = [];
  const size = options.size ?? 1;
  let prev = options.prevHash ?? '';
  let seq = options.fromSeq ?? 0;
  for (let i = 0; i < count; i++) {
    const texts: string[] = [];
    const first = seq;
    for (let j = 0; j < size; j++, seq++) {
      texts.push(
        canonicalJson({
          type: seq === 0 ? 'run-start' : 'step-end',
          seq,
          runId,
          at: 1_700_000_000_000 + seq,
          path: `steps.s${seq}`,
          output: options.extra ?? { ok: true, n: seq },
        }),
      );
    }
    const body = `[${texts.join(',')}]`;
    prev = chainHash(prev, body);
    batches.push({ seq: first, lastSeq: seq - 1, body, hash: prev });
  }
  return batches;
}

export function blobOf(value: JsonValue): Blob {
  const text = canonicalJson(value);
  return { hash: hashJson(value), text };
}

interface CreateOptions {
  workflow?: string;
  parentRunId?: string | null;
  createdAt?: number;
  status?: RunStatus;
  batches?: StoredBatch[];
  blobs?: Blob[];
}

export function createRequest(runId: string, options: CreateOptions = {}): AppendRequest {
  const createdAt = options.createdAt ?? 1_000;
  const request: AppendRequest = {
    runId,
    expectedSeq: 0,
    batches: options.batches ?? chainEvents(runId, 1),
    blobs: options.blobs ?? [],
    create: {
      runId,
      workflow: options.workflow ?? 'wf',
      specHash: SPEC_HASH,
      parentRunId: options.parentRunId ?? null,
      createdAt,
    },
    at: createdAt,
  };
  if (options.status !== undefined) request.status = options.status;
  return request;
}

export function nextRequest(
  runId: string,
  expectedSeq: number,
  count: number,
  options: { at?: number; status?: RunStatus; blobs?: Blob[]; prevHash?: string } = {},
): AppendRequest {
  const request: AppendRequest = {
    runId,
    expectedSeq,
    batches: chainEvents(runId, count, {
      fromSeq: expectedSeq,
      prevHash: options.prevHash ?? '',
    }),
    blobs: options.blobs ?? [],
    at: options.at ?? 2_000 + expectedSeq,
  };
  if (options.status !== undefined) request.status = options.status;
  return request;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

/**
 * The behaviour every JournalStore must have. `factory` is called once per test and must return
 * an empty store; `cleanup` closes it and removes whatever it created.
 */
export function describeJournalStoreConformance(
  name: string,
  factory: () => Promise<StoreHandle>,
): void {
  describe(`JournalStore conformance: ${name}`, () => {
    let handle: StoreHandle;
    let store: JournalStore;

    beforeEach(async () => {
      handle = await factory();
      store = handle.store;
    });

    afterEach(async () => {
      await handle.cleanup();
    });

    it('declares specification version v1 and a kind', () => {
      expect(store.specificationVersion).toBe('v1');
      expect(typeof store.kind).toBe('string');
    });

    it('round trip preserves body, type and hash byte for byte (non-ASCII too)', async () => {
      const runId = 'run-ünïcødé-日本';
      const tricky = {
        text: 'Grüße, 你好, Здравствуйте, مرحبا, 🚂🛤️ e\u0301 "quotes" \\ back\nslash\ttab',
        control: '\u0000\u0001\u001f',
        big: 'x'.repeat(10_000),
      };
      const events = chainEvents(runId, 3, { extra: tricky });
      await store.append(createRequest(runId, { batches: events }));
      const read = await store.read(runId);
      expect(read).toEqual(events);
      for (let i = 0; i < events.length; i++) {
        expect(Buffer.from((read[i] as StoredBatch).body)).toEqual(
          Buffer.from((events[i] as StoredBatch).body),
        );
      }
      // The chain still verifies from what came back.
      let prev = '';
      for (const event of read) {
        expect(event.hash).toBe(chainHash(prev, event.body));
        prev = event.hash;
      }
    });

    it('a created run carries its metadata and a head seq at its last event', async () => {
      await store.append(
        createRequest('r1', { workflow: 'invoice', createdAt: 42, batches: chainEvents('r1', 2) }),
      );
      expect(await store.getRun('r1')).toEqual({
        runId: 'r1',
        workflow: 'invoice',
        specHash: SPEC_HASH,
        status: 'running',
        parentRunId: null,
        createdAt: 42,
        updatedAt: 42,
        headSeq: 1,
      } satisfies RunRecord);
    });

    it('a run can be created without events (head seq -1) and extended from seq 0', async () => {
      await store.append(createRequest('empty', { batches: [] }));
      expect((await store.getRun('empty'))?.headSeq).toBe(-1);
      await store.append(nextRequest('empty', 0, 2));
      expect((await store.getRun('empty'))?.headSeq).toBe(1);
      expect((await store.read('empty')).map((event) => event.seq)).toEqual([0, 1]);
    });

    it('getRun of an unknown run is undefined, and reading it yields no events', async () => {
      expect(await store.getRun('nope')).toBeUndefined();
      expect(await store.read('nope')).toEqual([]);
    });

    it('appending at a stale expectedSeq throws JournalConflictError with its fields', async () => {
      await store.append(createRequest('r', { batches: chainEvents('r', 3) }));
      const error = await rejection(store.append(nextRequest('r', 1, 1)));
      expect(error).toBeInstanceOf(JournalConflictError);
      const conflict = error as JournalConflictError;
      expect(conflict.code).toBe('JOURNAL_CONFLICT');
      expect(conflict.runId).toBe('r');
      expect(conflict.expectedSeq).toBe(1);
      expect(conflict.headSeq).toBe(2);
      expect(conflict.hint).toMatch(/another process/);
      expect((await store.read('r')).length).toBe(3);
    });

    it('a gap (expectedSeq beyond head + 1) is a conflict and writes nothing', async () => {
      await store.append(createRequest('r'));
      const error = await rejection(store.append(nextRequest('r', 5, 1)));
      expect(error).toBeInstanceOf(JournalConflictError);
      expect((error as JournalConflictError).headSeq).toBe(0);
      expect((await store.getRun('r'))?.headSeq).toBe(0);
      expect((await store.read('r')).length).toBe(1);
    });

    it('creating an existing run is a conflict that leaves the run untouched', async () => {
      await store.append(createRequest('r', { workflow: 'first', batches: chainEvents('r', 2) }));
      const error = await rejection(store.append(createRequest('r', { workflow: 'second' })));
      expect(error).toBeInstanceOf(JournalConflictError);
      expect((error as JournalConflictError).message).toMatch(/already exists/);
      expect((error as JournalConflictError).headSeq).toBe(1);
      const run = await store.getRun('r');
      expect(run?.workflow).toBe('first');
      expect(run?.headSeq).toBe(1);
    });

    it('appending to an unknown run is RunNotFoundError', async () => {
      const error = await rejection(store.append(nextRequest('ghost', 0, 1)));
      expect(error).toBeInstanceOf(RunNotFoundError);
      expect((error as RunNotFoundError).code).toBe('RUN_NOT_FOUND');
      expect(await store.getRun('ghost')).toBeUndefined();
    });

    it('a batch whose events do not follow expectedSeq is rejected as invalid', async () => {
      await store.append(createRequest('r'));
      const request = nextRequest('r', 1, 2);
      (request.batches[1] as StoredBatch).seq = 3;
      expect(await rejection(store.append(request))).toBeInstanceOf(AppendRequestError);
      expect((await store.getRun('r'))?.headSeq).toBe(0);
    });

    it('two concurrent writers at the same seq: exactly one wins', async () => {
      await store.append(createRequest('r'));
      const a = nextRequest('r', 1, 2, { prevHash: 'a' });
      const b = nextRequest('r', 1, 3, { prevHash: 'b' });
      const results = await Promise.allSettled([store.append(a), store.append(b)]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result) => result.status === 'rejected');
      expect(won.length).toBe(1);
      expect(lost.length).toBe(1);
      expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(JournalConflictError);
      const winner = results[0].status === 'fulfilled' ? a : b;
      expect((await store.read('r', 1)).map((event) => event.hash)).toEqual(
        winner.batches.map((batch) => batch.hash),
      );
    });

    it('two concurrent creators of one run: exactly one wins', async () => {
      const results = await Promise.allSettled([
        store.append(createRequest('r', { workflow: 'a' })),
        store.append(createRequest('r', { workflow: 'b' })),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled').length).toBe(1);
      const lost = results.find((result) => result.status === 'rejected');
      expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(JournalConflictError);
    });

    it('concurrent appends to one run in seq order all land in order', async () => {
      await store.append(createRequest('r'));
      await Promise.all([1, 2, 3, 4].map((seq) => store.append(nextRequest('r', seq, 1))));
      expect((await store.read('r')).map((event) => event.seq)).toEqual([0, 1, 2, 3, 4]);
    });

    it('blobs are stored once and read back; re-putting one is harmless', async () => {
      const prompt = blobOf({ prompt: 'Summarise — résumé 📄', temperature: 0 });
      await store.append(createRequest('a', { blobs: [prompt, prompt] }));
      await store.append(createRequest('b', { blobs: [prompt] }));
      await store.append(nextRequest('a', 1, 1, { blobs: [prompt] }));
      expect(await store.getBlob(prompt.hash)).toBe(prompt.text);
      expect(await store.getBlob(hashJson('missing'))).toBeUndefined();
    });

    it('a blob travels with its batch: a rejected batch stores no blob', async () => {
      await store.append(createRequest('r'));
      const orphan = blobOf({ orphan: true });
      await rejection(store.append(nextRequest('r', 7, 1, { blobs: [orphan] })));
      expect(await store.getBlob(orphan.hash)).toBeUndefined();
    });

    it('a batch of several events is one row: read(fromSeq) inside it returns all of it', async () => {
      const [first, second, third] = chainEvents('r', 3, { size: 3 });
      await store.append(createRequest('r', { batches: [first as StoredBatch] }));
      await store.append({ ...nextRequest('r', 3, 0), batches: [second as StoredBatch] });
      await store.append({ ...nextRequest('r', 6, 0), batches: [third as StoredBatch] });
      expect((await store.getRun('r'))?.headSeq).toBe(8);
      expect(await store.read('r', 4)).toEqual([second, third]);
      expect(await store.read('r', 6)).toEqual([third]);
      expect(await store.read('r', 9)).toEqual([]);
      // A stale writer that lands inside the last batch is a conflict, not a fork.
      const stale = await rejection(store.append(nextRequest('r', 7, 1)));
      expect(stale).toBeInstanceOf(JournalConflictError);
      expect((stale as JournalConflictError).headSeq).toBe(8);
    });

    it('a batch whose lastSeq is before its seq is rejected as invalid', async () => {
      await store.append(createRequest('r'));
      const request = nextRequest('r', 1, 1);
      (request.batches[0] as StoredBatch).lastSeq = 0;
      expect(await rejection(store.append(request))).toBeInstanceOf(AppendRequestError);
      expect((await store.getRun('r'))?.headSeq).toBe(0);
    });

    it('a checkpoint lands with its batch, and the next one replaces it', async () => {
      expect(await store.readCheckpoint('r')).toBeUndefined();
      await store.append({ ...createRequest('r'), checkpoint: { seq: 0, state: '{"n":0}' } });
      expect(await store.readCheckpoint('r')).toEqual({ seq: 0, state: '{"n":0}' });
      await store.append({ ...nextRequest('r', 1, 2), checkpoint: { seq: 2, state: '{"n":2}' } });
      expect(await store.readCheckpoint('r')).toEqual({ seq: 2, state: '{"n":2}' });
      // Appends without one leave it as it is.
      await store.append(nextRequest('r', 3, 1));
      expect(await store.readCheckpoint('r')).toEqual({ seq: 2, state: '{"n":2}' });
      expect(await store.readCheckpoint('other')).toBeUndefined();
    });

    it('a checkpoint not at the end of its request is invalid; a rejected one is not kept', async () => {
      await store.append(createRequest('r'));
      const early = { ...nextRequest('r', 1, 2), checkpoint: { seq: 1, state: '{}' } };
      expect(await rejection(store.append(early))).toBeInstanceOf(AppendRequestError);
      const stale = { ...nextRequest('r', 5, 1), checkpoint: { seq: 5, state: '{}' } };
      expect(await rejection(store.append(stale))).toBeInstanceOf(JournalConflictError);
      expect(await store.readCheckpoint('r')).toBeUndefined();
    });

    it('read(runId, fromSeq) returns the tail in seq order', async () => {
      const events = chainEvents('r', 6);
      await store.append(createRequest('r', { batches: events.slice(0, 2) }));
      await store.append({ ...nextRequest('r', 2, 0), batches: events.slice(2, 5) });
      await store.append({ ...nextRequest('r', 5, 0), batches: events.slice(5) });
      expect(await store.read('r', 3)).toEqual(events.slice(3));
      expect(await store.read('r', 0)).toEqual(events);
      expect(await store.read('r', 6)).toEqual([]);
    });

    it('read(runId, fromSeq, limit) returns one page, and the pages join into the journal', async () => {
      const events = chainEvents('r', 7);
      await store.append(createRequest('r', { batches: events.slice(0, 3) }));
      await store.append({ ...nextRequest('r', 3, 0), batches: events.slice(3) });
      expect(await store.read('r', 0, 1)).toEqual(events.slice(0, 1));
      expect(await store.read('r', 2, 3)).toEqual(events.slice(2, 5));
      expect(await store.read('r', 5, 10)).toEqual(events.slice(5));
      const pages: StoredBatch[] = [];
      for (let from = 0; ;) {
        const page = await store.read('r', from, 2);
        if (page.length === 0) break;
        pages.push(...page);
        from = (page.at(-1) as StoredBatch).lastSeq + 1;
      }
      expect(pages).toEqual(events);
    });

    it('listRuns filters by status, workflow, parentRunId and limit, newest first', async () => {
      await store.append(createRequest('p1', { workflow: 'parent', createdAt: 10 }));
      await store.append(
        createRequest('c1', { workflow: 'child', createdAt: 20, parentRunId: 'p1' }),
      );
      await store.append(
        createRequest('c2', { workflow: 'child', createdAt: 30, parentRunId: 'p1' }),
      );
      await store.append(
        createRequest('c3', { workflow: 'child', createdAt: 30, parentRunId: 'p2' }),
      );
      await store.append(createRequest('p2', { workflow: 'parent', createdAt: 5 }));
      await store.append(nextRequest('c1', 1, 1, { status: 'completed' }));
      await store.append(nextRequest('p2', 1, 0, { status: 'failed' }));

      const ids = (runs: RunRecord[]): string[] => runs.map((run) => run.runId);
      expect(ids(await store.listRuns())).toEqual(['c2', 'c3', 'c1', 'p1', 'p2']);
      expect(ids(await store.listRuns({}))).toEqual(['c2', 'c3', 'c1', 'p1', 'p2']);
      expect(ids(await store.listRuns({ status: 'running' }))).toEqual(['c2', 'c3', 'p1']);
      expect(ids(await store.listRuns({ status: 'completed' }))).toEqual(['c1']);
      expect(ids(await store.listRuns({ workflow: 'parent' }))).toEqual(['p1', 'p2']);
      expect(ids(await store.listRuns({ parentRunId: 'p1' }))).toEqual(['c2', 'c1']);
      expect(ids(await store.listRuns({ parentRunId: null }))).toEqual(['p1', 'p2']);
      expect(ids(await store.listRuns({ workflow: 'child', status: 'running' }))).toEqual([
        'c2',
        'c3',
      ]);
      expect(ids(await store.listRuns({ limit: 2 }))).toEqual(['c2', 'c3']);
      expect(ids(await store.listRuns({ limit: 0 }))).toEqual([]);
      expect(ids(await store.listRuns({ status: 'cancelled' }))).toEqual([]);
      expect(await store.listRuns({ parentRunId: 'p1', limit: 1 })).toEqual([
        await store.getRun('c2'),
      ]);
    });

    it('status and updatedAt follow the last append; no status keeps the old one', async () => {
      await store.append(createRequest('r', { createdAt: 100 }));
      await store.append(nextRequest('r', 1, 1, { at: 200, status: 'waiting' }));
      let run = await store.getRun('r');
      expect([run?.status, run?.updatedAt, run?.createdAt, run?.headSeq]).toEqual([
        'waiting',
        200,
        100,
        1,
      ]);
      await store.append(nextRequest('r', 2, 2, { at: 300 }));
      run = await store.getRun('r');
      expect([run?.status, run?.updatedAt, run?.headSeq]).toEqual(['waiting', 300, 3]);
      // A status-only batch: no events, the head stays where it is.
      await store.append(nextRequest('r', 4, 0, { at: 400, status: 'completed' }));
      run = await store.getRun('r');
      expect([run?.status, run?.updatedAt, run?.headSeq]).toEqual(['completed', 400, 3]);
    });

    it('a run created with a status starts in that status', async () => {
      await store.append(createRequest('r', { status: 'waiting' }));
      expect((await store.getRun('r'))?.status).toBe('waiting');
    });

    it('200 concurrent append() calls on 200 different runs all land', async () => {
      const ids = Array.from({ length: 200 }, (_, i) => `run-${String(i).padStart(3, '0')}`);
      await Promise.all(
        ids.map((id) => store.append(createRequest(id, { batches: chainEvents(id, 4) }))),
      );
      await Promise.all(ids.map((id) => store.append(nextRequest(id, 4, 4))));
      const runs = await store.listRuns();
      expect(runs.length).toBe(200);
      expect(runs.every((run) => run.headSeq === 7)).toBe(true);
      for (const id of [ids[0], ids[99], ids[199]] as string[]) {
        expect((await store.read(id)).map((event) => event.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      }
    });

    it('a conflicting append() among concurrent ones fails alone', async () => {
      await store.append(createRequest('a'));
      await store.append(createRequest('b'));
      const results = await Promise.allSettled([
        store.append(nextRequest('a', 1, 1)),
        store.append(nextRequest('b', 9, 1)),
        store.append(nextRequest('b', 1, 1)),
        store.append(nextRequest('ghost', 0, 1)),
      ]);
      expect(results.map((result) => result.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'rejected',
      ]);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(JournalConflictError);
      expect((results[3] as PromiseRejectedResult).reason).toBeInstanceOf(RunNotFoundError);
      expect((await store.getRun('a'))?.headSeq).toBe(1);
      expect((await store.getRun('b'))?.headSeq).toBe(1);
    });

    it('appendMany writes several batches, including consecutive ones for one run', async () => {
      await store.appendMany([
        createRequest('a', { batches: chainEvents('a', 2) }),
        createRequest('b'),
        nextRequest('a', 2, 2, { status: 'completed' }),
      ]);
      expect((await store.getRun('a'))?.headSeq).toBe(3);
      expect((await store.getRun('a'))?.status).toBe('completed');
      expect((await store.read('a')).map((event) => event.seq)).toEqual([0, 1, 2, 3]);
      expect((await store.getRun('b'))?.headSeq).toBe(0);
    });

    it('appendMany is all-or-nothing when one batch conflicts', async () => {
      await store.append(createRequest('existing', { batches: chainEvents('existing', 2) }));
      const blob = blobOf({ never: 'stored' });
      const error = await rejection(
        store.appendMany([
          createRequest('fresh', { blobs: [blob] }),
          nextRequest('existing', 2, 1),
          nextRequest('existing', 1, 1),
        ]),
      );
      expect(error).toBeInstanceOf(JournalConflictError);
      expect(await store.getRun('fresh')).toBeUndefined();
      expect(await store.read('fresh')).toEqual([]);
      expect(await store.getBlob(blob.hash)).toBeUndefined();
      expect((await store.getRun('existing'))?.headSeq).toBe(1);
      expect((await store.read('existing')).length).toBe(2);
    });

    it('appendMany of no batches is a no-op', async () => {
      await store.appendMany([]);
      expect(await store.listRuns()).toEqual([]);
    });

    it('callers cannot change stored data by mutating what they passed or received', async () => {
      const request = createRequest('r', { batches: chainEvents('r', 2) });
      const original = structuredClone(request.batches);
      await store.append(request);
      (request.batches[0] as StoredBatch).body = 'tampered';
      request.batches.push({ seq: 2, lastSeq: 2, body: '[]', hash: 'h' });
      const read = await store.read('r');
      expect(read).toEqual(original);
      (read[1] as StoredBatch).hash = 'tampered';
      read.pop();
      expect(await store.read('r')).toEqual(original);
      const run = (await store.getRun('r')) as RunRecord;
      run.headSeq = 99;
      run.status = 'failed';
      expect((await store.getRun('r'))?.headSeq).toBe(1);
      const listed = await store.listRuns();
      (listed[0] as RunRecord).workflow = 'tampered';
      expect((await store.getRun('r'))?.workflow).toBe('wf');
    });

    it('meta: an unknown key is undefined, a put is read back and replaced by the next', async () => {
      expect(await store.getMeta('tool-health')).toBeUndefined();
      // The stores' own bookkeeping (PostgreSQL's schema_version row) is not a caller's key.
      expect(await store.getMeta('schema_version')).toBeUndefined();
      await store.putMeta('tool-health', '{"search":{"consecutiveFailures":3,"openedAt":5}}');
      await store.putMeta('other', 'ünïcødé 日本');
      expect(await store.getMeta('tool-health')).toBe(
        '{"search":{"consecutiveFailures":3,"openedAt":5}}',
      );
      await store.putMeta('tool-health', '{}');
      expect(await store.getMeta('tool-health')).toBe('{}');
      expect(await store.getMeta('other')).toBe('ünïcødé 日本');
    });

    it('meta is independent of runs: appends leave it alone and it changes no run', async () => {
      await store.putMeta('tool-health', 'v1');
      await store.append(createRequest('r'));
      expect(await store.getMeta('tool-health')).toBe('v1');
      await store.putMeta('tool-health', 'v2');
      expect((await store.getRun('r'))?.headSeq).toBe(0);
      expect(await store.listRuns()).toHaveLength(1);
    });

    it('a long run keeps a gapless chain across many batches', async () => {
      await store.append(createRequest('long'));
      let prev = (await store.read('long'))[0]?.hash ?? '';
      for (let seq = 1; seq < 200; seq += 4) {
        const request = nextRequest('long', seq, 4, { prevHash: prev });
        await store.append(request);
        prev = (request.batches[3] as StoredBatch).hash;
      }
      const events = await store.read('long');
      expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 201 }, (_, i) => i));
      let link = '';
      for (const event of events) {
        expect(event.hash).toBe(chainHash(link, event.body));
        link = event.hash;
      }
    });
  });
}
