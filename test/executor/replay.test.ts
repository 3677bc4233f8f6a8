import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/core/hash.js';
import type { JournalStore, StoredBatch } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { openSqliteStore } from '../../src/journal/sqlite-store.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import {
  copyRun,
  echoTool,
  eventRows,
  type EventRow,
  expectVerified,
  harness,
  safeTool,
  tempSqlite,
  workflow,
  type TempSqlite,
} from './harness.js';

const spec = workflow({
  name: 'audited',
  steps: [
    { id: 'fetch', kind: 'tool', tool: 'echo', input: { big: '$.input.big' } },
    {
      id: 'route',
      kind: 'branch',
      cases: [
        {
          when: 'steps.fetch.output.big',
          steps: [{ id: 'big', kind: 'tool', tool: 'echo', input: 'big' }],
        },
      ],
      default: { steps: [{ id: 'small', kind: 'tool', tool: 'echo', input: 'small' }] },
    },
    { id: 'report', kind: 'tool', tool: 'echo', input: { route: '$.steps.route.output' } },
  ],
});

async function completedRun(store: JournalStore = new MemoryJournalStore()) {
  const { runtime } = harness({ store, tools: [echoTool()] });
  const outcome = await runtime.start({ spec }, { big: true, note: 'x'.repeat(3000) });
  expect(outcome.status).toBe('completed');
  return { runtime, store, runId: outcome.runId };
}

/** A runtime that only reads (verify needs no tools to re-derive decisions). */
function verifier(store: JournalStore): Runtime {
  return harness({ store, tools: [echoTool()] }).runtime;
}

function rowOf(rows: EventRow[], type: string): EventRow {
  const row = rows.find((r) => r.type === type);
  if (!row) throw new Error(`no ${type} row`);
  return row;
}

/** Replaces the first occurrence of `from` in the body, keeping the length (one byte changed). */
function flipByte(body: string, from: string, to: string): string {
  const at = body.indexOf(from);
  if (at < 0 || from.length !== to.length) throw new Error(`cannot flip ${from} in ${body}`);
  return body.slice(0, at) + to + body.slice(at + from.length);
}

describe('replay verification', () => {
  let db: TempSqlite | undefined;
  afterEach(() => {
    db?.cleanup();
    db = undefined;
  });

  it('verifies an untouched journal, re-deriving every decision', async () => {
    const { runtime, runId } = await completedRun();
    const report = await runtime.verify(runId);
    expect(report).toMatchObject({ runId, ok: true, children: [] });
    expect(report.decisionsChecked).toBeGreaterThan(0);
    expect(report.events).toBe((await runtime.events(runId)).length);
  });

  it('reports JOURNAL_HASH_MISMATCH naming the seq when one byte of an event body changes', async () => {
    const { store, runId } = await completedRun();
    const target = rowOf(await eventRows(store, runId), 'tool-call-end');
    const tampered = await copyRun(store, runId, {
      event: (row) =>
        row.seq === target.seq ? flipByte(row.text, '"big":true', '"big":tru3') : row.text,
    });

    const report = await verifier(tampered).verify(runId);

    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('JOURNAL_HASH_MISMATCH');
    // The chain links batches: the error names the batch that holds the changed event.
    expect(report.error?.message).toContain(`seq ${target.batchSeq}`);
  });

  it('reports JOURNAL_HASH_MISMATCH when a batch row is edited in the SQLite file', async () => {
    db = tempSqlite();
    const store = db.open();
    const { runId } = await completedRun(store);
    const step = rowOf(await eventRows(store, runId), 'step-end');
    const target = (await store.read(runId)).find((b) => b.seq === step.batchSeq) as StoredBatch;
    await store.close();
    const raw = new Database(db.file);
    const changed = raw
      .prepare('UPDATE batches SET body = ? WHERE body = ?')
      .run(flipByte(target.body, '"completed"', '"complete_"'), target.body);
    expect(changed.changes).toBe(1);
    raw.close();

    const reopened = db.open();
    const report = await verifier(reopened).verify(runId);
    await reopened.close();

    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('JOURNAL_HASH_MISMATCH');
    expect(report.error?.message).toContain(`seq ${target.seq}`);
  });

  it('detects one changed byte in a stored payload blob', async () => {
    const { store, runId } = await completedRun();
    const rows = await eventRows(store, runId);
    const withRef = rows.find((r) => /"inputRef":"[0-9a-f]{64}"/.test(r.text));
    expect(withRef, 'the 3000-character input is stored as a blob').toBeDefined();
    const tampered = await copyRun(store, runId, {
      blob: (_hash, text) => (text.includes('xxxx') ? flipByte(text, 'xxxx', 'xxyx') : text),
    });

    const report = await verifier(tampered).verify(runId);

    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('JOURNAL_HASH_MISMATCH');
    expect(report.error?.message).toContain(`seq ${withRef?.seq}`);
    expect(report.error?.message).toContain('payload');
  });

  it('reports REPLAY_DIVERGED at a re-chained forged decision, naming expected and found', async () => {
    const { store, runId } = await completedRun();
    const rows = await eventRows(store, runId);
    const decision = rowOf(rows, 'branch-decision');
    expect(decision.text).toContain('"taken":0');
    const tampered = await copyRun(store, runId, {
      event: (row) =>
        row.seq === decision.seq ? flipByte(row.text, '"taken":0', '"taken":1') : row.text,
      rechain: true,
    });

    const report = await verifier(tampered).verify(runId);

    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('REPLAY_DIVERGED');
    const message = report.error?.message ?? '';
    expect(message).toContain(`at seq ${decision.seq}`);
    expect(message).toMatch(
      /replay expected \{.*"taken":0.*\} but the journal has \{.*"taken":1.*\}/,
    );
  });

  it('reports REPLAY_DIVERGED when a re-chained world event changes what later decisions saw', async () => {
    const { store, runId } = await completedRun();
    const rows = await eventRows(store, runId);
    const fetched = rows.find(
      (r) => r.type === 'tool-call-end' && r.text.includes('"path":"fetch"'),
    );
    expect(fetched).toBeDefined();
    const tampered = await copyRun(store, runId, {
      event: (row) =>
        row.seq === fetched?.seq ? flipByte(row.text, '"big":true', '"big":null') : row.text,
      rechain: true,
    });

    const report = await verifier(tampered).verify(runId);

    expect(report.error?.code).toBe('REPLAY_DIVERGED');
    // The first decision derived from the forged output is the step-end that records it.
    const end = rows.find((r) => r.type === 'step-end' && r.text.includes('"path":"fetch"'));
    expect(report.error?.message).toContain(`at seq ${end?.seq}`);
    expect(report.error?.message).toContain('replay expected {"at"');
    expect(report.error?.message).toContain('"output":{"big":null}');
  });

  it('reports REPLAY_DIVERGED when a batch is cut short (a decision is missing)', async () => {
    const { store, runId } = await completedRun();
    const rows = await eventRows(store, runId);
    const last = rows[rows.length - 1];
    expect(last?.type).toBe('run-end');
    // Drop run-end but keep the step-end decided in the same batch, re-chained: no writer would
    // produce that batch.
    const truncated = await copyRun(store, runId, {
      keep: (row) => row.seq !== last?.seq,
      rechain: true,
    });

    const report = await verifier(truncated).verify(runId);

    expect(report.error?.code).toBe('REPLAY_DIVERGED');
    expect(report.error?.message).toContain(`at seq ${last?.seq}`);
    expect(report.error?.message).toContain('the end of the journal');
  });

  it('reports REPLAY_DIVERGED for a decision appended after the run ended', async () => {
    const { store, runId } = await completedRun();
    const rows = await eventRows(store, runId);
    const last = rows[rows.length - 1] as EventRow;
    const call = rowOf(rows, 'tool-call-start');
    // A forged second call of the first tool, correctly chained onto the end.
    const body = `[${call.text.replace(/"seq":\d+/, `"seq":${last.seq + 1}`)}]`;
    const forged: StoredBatch = {
      seq: last.seq + 1,
      lastSeq: last.seq + 1,
      body,
      hash: chainHash(last.batchHash, body),
    };
    const tampered = await copyRun(store, runId);
    await tampered.append({ runId, expectedSeq: forged.seq, batches: [forged], blobs: [], at: 0 });

    const report = await verifier(tampered).verify(runId);

    expect(report.error?.code).toBe('REPLAY_DIVERGED');
    expect(report.error?.message).toContain(`at seq ${forged.seq}`);
    expect(report.error?.message).toContain('a world event (nothing left to decide)');
  });

  it('verifies a journal cut at a batch boundary: it is a valid prefix', async () => {
    const { store, runId } = await completedRun();
    const rows = await eventRows(store, runId);
    const lastWorld = rows.map((r) => r.type).lastIndexOf('tool-call-end');
    const prefix = await copyRun(store, runId, {
      keep: (row) => row.seq < lastWorld,
      status: 'running',
    });
    const report = await verifier(prefix).verify(runId);
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('verifies runs that retried, timed out, looped and mapped', async () => {
    let n = 0;
    const { runtime } = harness({
      tools: [
        echoTool(),
        safeTool('flaky', () => {
          n += 1;
          if (n % 2 === 1) throw new Error('odd');
          return n;
        }),
      ],
    });
    const mixed = workflow({
      name: 'mixed',
      steps: [
        {
          id: 'each',
          kind: 'map',
          items: '$.input.items',
          concurrency: 2,
          steps: [
            {
              id: 'loop',
              kind: 'loop',
              maxIterations: 2,
              steps: [
                {
                  id: 'try',
                  kind: 'tool',
                  tool: 'flaky',
                  retry: { maxAttempts: 3 },
                  input: { item: '$.item', it: '$.iteration' },
                },
              ],
            },
          ],
        },
      ],
    });
    const outcome = await runtime.start({ spec: mixed }, { items: [1, 2, 3] });
    expect(outcome.status).toBe('completed');
    await expectVerified(runtime, outcome.runId);
  });
});

describe('verification catches what the hash chain alone cannot', () => {
  it('a journal cut short (its last batch deleted) fails verification', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-truncate-'));
    const file = join(dir, 'journal.db');
    try {
      const store = openSqliteStore(file);
      const { runtime } = harness({ store, tools: [echoTool()] });
      const done = await runtime.start({
        spec: workflow({
          name: 'cut',
          steps: [
            { id: 'a', kind: 'tool', tool: 'echo' },
            { id: 'b', kind: 'tool', tool: 'echo', after: ['a'] },
          ],
        }),
      });
      expect(done.status).toBe('completed');
      const db = new Database(file);
      // The run's batches are the only rows: delete the last one.
      db.prepare('DELETE FROM batches WHERE id = (SELECT max(id) FROM batches)').run();
      db.close();
      const report = await runtime.verify(done.runId);
      expect(report.ok).toBe(false);
      expect(report.error?.code).toBe('JOURNAL_INVALID');
      expect(report.error?.message).toMatch(/removed from the end/);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('verifying a journal longer than one page', () => {
  it('verifies page by page and names a damaged event on a later page', async () => {
    const temp = tempSqlite();
    const store = temp.open();
    try {
      const { runtime } = harness({ store, tools: [echoTool()] });
      // One batch per iteration: past one page (PAGE_BATCHES = 1024; 5,000 batches are several pages).
      const outcome = await runtime.start({
        spec: workflow({
          name: 'long-loop',
          steps: [
            {
              id: 'loop',
              kind: 'loop',
              maxIterations: 5000,
              until: 'iteration + 1 >= 5000',
              steps: [{ id: 'tick', kind: 'tool', tool: 'echo', input: { i: '$.iteration' } }],
            },
          ],
        }),
      });
      expect(outcome.status).toBe('completed');
      const batches = await store.read(outcome.runId);
      expect(batches.length).toBeGreaterThan(4096);
      await expectVerified(runtime, outcome.runId);

      const target = batches[4600] as StoredBatch;
      const db = new Database(temp.file);
      const changed = db
        .prepare(
          'UPDATE batches SET body = replace(body, \'"seq":\', \'"seq": \') WHERE last_seq = ?',
        )
        .run(target.lastSeq).changes;
      db.close();
      expect(changed).toBe(1);
      const report = await runtime.verify(outcome.runId);
      expect(report.ok).toBe(false);
      expect(report.error?.code).toBe('JOURNAL_HASH_MISMATCH');
      expect(report.error?.message).toContain(`seq ${target.seq}`);
    } finally {
      await store.close();
      temp.cleanup();
    }
  });
});
