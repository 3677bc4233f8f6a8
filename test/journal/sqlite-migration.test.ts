// A journal written by schema 1 (one row per event) opens under schema 2 (one row per batch): the
// migration regroups every run, keeps every event byte for byte, and the runs still verify and
// resume. A damaged schema-1 journal is refused, unchanged, instead of being re-chained as valid.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/core/hash.js';
import { encodeEvent } from '../../src/core/journal-codec.js';
import type { JournalEvent } from '../../src/core/events.js';
import { StoreCorruptError } from '../../src/journal/errors.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { openSqliteStore, SQLITE_SCHEMA_VERSION } from '../../src/journal/sqlite-store.js';
import { echoTool, harness, workflow } from '../executor/harness.js';

const V1_SCHEMA = `
CREATE TABLE runs (run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, spec_hash TEXT NOT NULL,
  status TEXT NOT NULL, parent_run_id TEXT, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, head_seq INTEGER NOT NULL);
CREATE INDEX runs_by_created ON runs (created_at DESC, run_id);
CREATE INDEX runs_by_parent ON runs (parent_run_id, created_at DESC);
CREATE TABLE events (run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
  body TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
CREATE TABLE blobs (hash TEXT PRIMARY KEY, text TEXT NOT NULL);
PRAGMA application_id = 1398362698;
PRAGMA user_version = 1;
`;

const spec = workflow({
  name: 'migrated',
  steps: [
    { id: 'a', kind: 'tool', tool: 'echo', input: { note: '$.input.note' } },
    { id: 'b', kind: 'tool', tool: 'echo', input: '$.steps.a.output' },
  ],
});

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs the workflow on a memory store and writes its journal into a schema-1 file, event by event. */
async function v1File(damage = false): Promise<{ file: string; runId: string; events: JournalEvent[] }> {
  const { runtime } = harness({ store: new MemoryJournalStore(), tools: [echoTool()] });
  const outcome = await runtime.start({ spec }, { note: 'n'.repeat(3000) });
  expect(outcome.status).toBe('completed');
  const events = await runtime.events(outcome.runId);
  const run = await runtime.getRun(outcome.runId);
  dir = mkdtempSync(join(tmpdir(), 'switchyard-migrate-'));
  const file = join(dir, 'journal.db');
  const db = new Database(file);
  db.exec(V1_SCHEMA);
  db.prepare('INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    run.runId,
    run.workflow,
    run.specHash,
    run.status,
    null,
    run.createdAt,
    run.updatedAt,
    run.headSeq,
  );
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)');
  const blob = db.prepare('INSERT OR IGNORE INTO blobs VALUES (?, ?)');
  let prev = '';
  for (const event of events) {
    const { text, blobs } = encodeEvent(event);
    const body = damage && event.type === 'step-end' ? text.replace('"a"', '"x"') : text;
    prev = chainHash(prev, text);
    insert.run(run.runId, event.seq, event.type, body, prev);
    for (const b of blobs) blob.run(b.hash, b.text);
  }
  db.close();
  return { file, runId: outcome.runId, events };
}

describe('SQLite schema 1 → 2 migration', () => {
  it('regroups every event into batch rows that load, verify and keep their bytes', async () => {
    const { file, runId, events } = await v1File();
    const store = openSqliteStore(file);
    expect(store.settings().schemaVersion).toBe(SQLITE_SCHEMA_VERSION);
    const { runtime } = harness({ store, tools: [echoTool()] });
    expect(await runtime.events(runId)).toEqual(events);
    const report = await runtime.verify(runId);
    expect(report.ok).toBe(true);
    expect(report.decisionsChecked).toBeGreaterThan(0);
    // One batch per world event: run-start and the two tool results.
    expect((await store.read(runId)).length).toBe(3);
    expect((await store.getRun(runId))?.headSeq).toBe(events.length - 1);
    await store.close();
    // Opening again finds schema 2 and changes nothing.
    const again = openSqliteStore(file);
    expect((await again.read(runId)).length).toBe(3);
    await again.close();
  });

  it('refuses a damaged schema-1 journal and leaves the file at schema 1', async () => {
    const { file } = await v1File(true);
    expect(() => openSqliteStore(file)).toThrow(StoreCorruptError);
    expect(() => openSqliteStore(file)).toThrow(/cannot be migrated/);
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBeGreaterThan(0);
    db.close();
  });
});
