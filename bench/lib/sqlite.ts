// Raw better-sqlite3 helpers shared by the floors and the journal measurements.
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';

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
  /** UTF-8 bytes of every event body of the run. */
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
    const all = db
      .prepare(
        'SELECT count(*) AS n, coalesce(sum(length(CAST(body AS BLOB))), 0) AS bytes ' +
          'FROM events WHERE run_id = ?',
      )
      .get(runId) as { n: number; bytes: number };
    const steps = db
      .prepare(
        'SELECT count(*) AS n, coalesce(sum(length(CAST(body AS BLOB))), 0) AS bytes, ' +
          'coalesce(sum(length(CAST(seq AS TEXT)) + ' +
          "length(json_extract(body, '$.path')) - ?), 0) " +
          "AS digits FROM events WHERE run_id = ? AND json_extract(body, '$.path') LIKE ? || '%'",
      )
      .get(pathWithoutDigits, runId, stepPrefix) as { n: number; bytes: number; digits: number };
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
