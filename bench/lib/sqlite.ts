// Raw better-sqlite3 helpers shared by the floors and the journal measurements.
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { unpackBody } from '../../src/journal/body-codec.js';

/** A raw connection with the store's default settings (WAL, synchronous=NORMAL). */
export function openRaw(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

export interface JournalSize {
  events: number;
  /** UTF-8 bytes of every batch body of the run (its events' texts, commas and brackets). */
  bodyBytes: number;
  /** Events and body bytes of the steps only: path under `stepPrefix` (start and end excluded). */
  stepEvents: number;
  stepBodyBytes: number;
  /**
   * Of stepBodyBytes, the decimal digits of each step event's seq and of the iteration number in
   * its path: the only part of a step's events that grows with the journal's length.
   */
  stepDigitBytes: number;
  blobs: number;
  /** UTF-8 bytes of every blob in the file (the file holds this one run). */
  blobBytes: number;
  /** File size after a TRUNCATE checkpoint (the WAL folded in), and its page accounting. */
  fileBytes: number;
  pageSize: number;
  pages: number;
  freePages: number;
}

/**
 * Counts a run's journal from the file's own tables. Bytes are UTF-8 (CAST AS BLOB), which is
 * what the file stores for TEXT in a UTF-8 database.
 */
export function measureJournal(
  file: string,
  runId: string,
  stepPrefix: string,
  /** Length of a step path without its iteration digits ('loop//step'). */
  pathWithoutDigits: number,
): JournalSize {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    // Large bodies are stored packed (src/journal/body-codec.ts): measure their canonical text.
    db.function('body_text', { deterministic: true }, (body: unknown) =>
      unpackBody(body as string | Uint8Array),
    );
    // Schema 2: one row per batch, the run's rows being one rowid range under its run_key.
    const runKey = db.prepare('SELECT run_key FROM runs WHERE run_id = ?').pluck().get(runId);
    const range = 'id BETWEEN ?1 * 4294967296 AND ?1 * 4294967296 + 4294967295';
    const all = db
      .prepare(
        'SELECT coalesce(sum(json_array_length(body_text(body))), 0) AS n, ' +
          'coalesce(sum(length(CAST(body_text(body) AS BLOB))), 0) AS bytes ' +
          `FROM batches WHERE ${range}`,
      )
      .get({ 1: runKey }) as { n: number; bytes: number };
    // Each event's share of its row: its own text (canonical, so json_each's text is the same
    // bytes) plus the comma or bracket that follows it.
    const steps = db
      .prepare(
        'SELECT count(*) AS n, coalesce(sum(length(CAST(e.value AS BLOB)) + 1), 0) AS bytes, ' +
          "coalesce(sum(length(CAST(json_extract(e.value, '$.seq') AS TEXT)) + " +
          "length(json_extract(e.value, '$.path')) - ?2), 0) AS digits " +
          `FROM batches b, json_each(body_text(b.body)) e WHERE b.${range} ` +
          "AND json_extract(e.value, '$.path') LIKE ?3 || '%'",
      )
      .get({ 1: runKey, 2: pathWithoutDigits, 3: stepPrefix }) as {
      n: number;
      bytes: number;
      digits: number;
    };
    const blobs = db
      .prepare(
        'SELECT count(*) AS n, coalesce(sum(length(CAST(text AS BLOB))), 0) AS bytes FROM blobs',
      )
      .get() as { n: number; bytes: number };
    return {
      events: all.n,
      bodyBytes: all.bytes,
      stepEvents: steps.n,
      stepBodyBytes: steps.bytes,
      stepDigitBytes: steps.digits,
      blobs: blobs.n,
      blobBytes: blobs.bytes,
      fileBytes: statSync(file).size,
      pageSize: db.pragma('page_size', { simple: true }) as number,
      pages: db.pragma('page_count', { simple: true }) as number,
      freePages: db.pragma('freelist_count', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}
