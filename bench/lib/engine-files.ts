// Reads any engine's SQLite file the same way (issue #4's storage numbers): run by the orchestrator
// after the child that wrote the file has exited, so no child loads a second SQLite driver (or
// pays for the reading) in its own peak RSS.
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface EngineFile {
  /** The file after a TRUNCATE checkpoint (its WAL folded in). */
  fileBytes: number;
  /**
   * Bytes of every value in every table (CAST AS BLOB: TEXT as UTF-8, BLOBs as stored): what the
   * engine chose to keep, whatever its schema, without b-tree pages and free space.
   */
  dataBytes: number;
  pageSize: number;
  freePages: number;
}

function onDisk(file: string): number {
  let total = 0;
  for (const suffix of ['', '-wal'])
    if (existsSync(file + suffix)) total += statSync(file + suffix).size;
  return total;
}

export function measureEngineFile(file: string): EngineFile {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    let dataBytes = 0;
    for (const table of tables) {
      const columns = db.pragma(`table_info("${table}")`) as Array<{ name: string }>;
      if (columns.length === 0) continue;
      const sum = columns
        .map((c) => `coalesce(sum(length(CAST("${c.name}" AS BLOB))), 0)`)
        .join(' + ');
      dataBytes += db.prepare(`SELECT ${sum} FROM "${table}"`).pluck().get() as number;
    }
    return {
      fileBytes: onDisk(file),
      dataBytes,
      pageSize: db.pragma('page_size', { simple: true }) as number,
      freePages: db.pragma('freelist_count', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}
