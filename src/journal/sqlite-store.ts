import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AppendRequest,
  JournalStore,
  RunFilter,
  RunRecord,
  RunStatus,
  StoredEvent,
} from '../core/ports.js';
import { isSwitchyardError } from '../core/errors.js';
import {
  JournalConflictError,
  RunNotFoundError,
  StoreClosedError,
  StoreCorruptError,
  StoreUnavailableError,
  StoreVersionError,
} from './errors.js';
import { checkRequest, newRunRecord, uniqueBlobs } from './request.js';

/**
 * 'process' survives a crash or kill -9 of the process (WAL, synchronous=NORMAL: a commit is in the
 * OS before append() resolves). 'power-loss' also survives an OS crash or power cut
 * (synchronous=FULL: the WAL is fsynced at every commit), at the price of one fsync per group
 * commit.
 */
export type SqliteDurability = 'process' | 'power-loss';

export interface SqliteStoreOptions {
  durability?: SqliteDurability;
}

/** PRAGMA user_version of the schema below; bump with a migration when the layout changes. */
export const SQLITE_SCHEMA_VERSION = 1;
/** PRAGMA application_id ('SYRJ'): marks a file as a Switchyard journal. */
const APPLICATION_ID = 0x5359524a;
const BUSY_TIMEOUT_MS = 5000;

// events is WITHOUT ROWID: bodies are small (payloads live in blobs), and one b-tree keyed by
// (run_id, seq) instead of a table plus an index measured ~10% cheaper per single-event append.
const SCHEMA = `
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  workflow TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  parent_run_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  head_seq INTEGER NOT NULL
);
CREATE INDEX runs_by_created ON runs (created_at DESC, run_id);
CREATE INDEX runs_by_parent ON runs (parent_run_id, created_at DESC);
CREATE TABLE events (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  body TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE blobs (
  hash TEXT PRIMARY KEY,
  text TEXT NOT NULL
);
PRAGMA application_id = ${APPLICATION_ID};
PRAGMA user_version = ${SQLITE_SCHEMA_VERSION};
`;

const EXPECTED_COLUMNS: Record<string, string[]> = {
  runs: [
    'run_id',
    'workflow',
    'spec_hash',
    'status',
    'parent_run_id',
    'created_at',
    'updated_at',
    'head_seq',
  ],
  events: ['run_id', 'seq', 'type', 'body', 'hash'],
  blobs: ['hash', 'text'],
};

const RUN_COLUMNS =
  'run_id AS runId, workflow, spec_hash AS specHash, status, parent_run_id AS parentRunId, ' +
  'created_at AS createdAt, updated_at AS updatedAt, head_seq AS headSeq';

/** Maps SQLite's error codes onto the store's typed errors; anything else passes through. */
export function translateSqliteError(error: unknown, file: string): unknown {
  if (isSwitchyardError(error) || !(error instanceof Database.SqliteError)) return error;
  const code = error.code;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new StoreCorruptError(file, error.message, error);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreUnavailableError(file, `still locked after ${BUSY_TIMEOUT_MS} ms (${code})`, {
      cause: error,
      hint: 'another process holds a long write lock on the journal; retry when it is done',
    });
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_PERM'
  ) {
    return new StoreUnavailableError(file, `${error.message} (${code})`, {
      cause: error,
      hint: 'check that the path is a writable file on a disk with free space',
    });
  }
  return error;
}

/** Opens (creating if missing) a SQLite journal. Synchronous: better-sqlite3 is. */
export function openSqliteStore(
  file: string,
  options: SqliteStoreOptions = {},
): SqliteJournalStore {
  const path = resolve(file);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new StoreUnavailableError(path, `cannot create its directory (${String(error)})`, {
      cause: error,
    });
  }
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (error) {
    throw translateSqliteError(error, path);
  }
  try {
    // Before anything that takes a lock, so a concurrent opener waits instead of failing.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    prepareSchema(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
    return new SqliteJournalStore(db, path, options.durability ?? 'process');
  } catch (error) {
    db.close();
    throw translateSqliteError(error, path);
  }
}

function readHeader(db: Database.Database): { applicationId: number; version: number } {
  return {
    applicationId: db.pragma('application_id', { simple: true }) as number,
    version: db.pragma('user_version', { simple: true }) as number,
  };
}

/**
 * Accepts our schema, creates it in an empty file, and refuses everything else. Reading the header
 * and sqlite_master is what makes SQLite notice a file that is not a database or is truncated, so
 * it happens here, at open, rather than at the first append.
 */
function prepareSchema(db: Database.Database, file: string): void {
  let { applicationId, version } = readHeader(db);
  if (applicationId === 0 && version === 0) {
    // Re-checked under the write lock: two processes may open one fresh file at once.
    db.transaction(() => {
      ({ applicationId, version } = readHeader(db));
      if (applicationId !== 0 || version !== 0) return;
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        .pluck()
        .all() as string[];
      if (tables.length > 0) {
        throw new StoreCorruptError(
          file,
          `it is a SQLite database with other tables (${tables.slice(0, 5).join(', ')})`,
        );
      }
      db.exec(SCHEMA);
      ({ applicationId, version } = readHeader(db));
    }).immediate();
  }
  if (applicationId !== APPLICATION_ID) {
    throw new StoreCorruptError(
      file,
      `it is a SQLite database with application_id ${applicationId}, not a Switchyard journal`,
    );
  }
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new StoreVersionError(file, version, SQLITE_SCHEMA_VERSION);
  }
  if (version < 1) {
    throw new StoreCorruptError(file, `its schema version is ${version}`);
  }
  const columnsOf = db.prepare('SELECT name FROM pragma_table_info(?)').pluck();
  for (const [table, expected] of Object.entries(EXPECTED_COLUMNS)) {
    const found = new Set(columnsOf.all(table) as string[]);
    const missing = expected.filter((column) => !found.has(column));
    if (missing.length > 0) {
      throw new StoreCorruptError(
        file,
        found.size === 0
          ? `table ${table} is missing`
          : `table ${table} lacks column(s) ${missing.join(', ')}`,
      );
    }
  }
}

interface Pending {
  requests: AppendRequest[];
  resolve(): void;
  reject(error: unknown): void;
}

interface Statements {
  createRun: Database.Statement<
    [string, string, string, string, string | null, number, number, number]
  >;
  advance: Database.Statement<[number, number, string, number]>;
  advanceWithStatus: Database.Statement<[number, number, RunStatus, string, number]>;
  headOf: Database.Statement<[string], number>;
  insertEvent: Database.Statement<[string, number, string, string, string]>;
  insertBlob: Database.Statement<[string, string]>;
  readFrom: Database.Statement<[string, number], StoredEvent>;
  getRun: Database.Statement<[string], RunRecord>;
  getBlob: Database.Statement<[string], string>;
}

export interface SqliteStoreStats {
  /** Write transactions committed (a group commit counts once). */
  transactions: number;
  /** append()/appendMany() calls that were committed. */
  batches: number;
}

export interface SqliteStoreSettings {
  journalMode: string;
  /** 1 = NORMAL, 2 = FULL. */
  synchronous: number;
  busyTimeout: number;
  schemaVersion: number;
}

export class SqliteJournalStore implements JournalStore {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'sqlite';
  readonly file: string;
  readonly durability: SqliteDurability;
  readonly #db: Database.Database;
  readonly #statements: Statements;
  readonly #listStatements = new Map<string, Database.Statement<unknown[], RunRecord>>();
  readonly #stats: SqliteStoreStats = { transactions: 0, batches: 0 };
  /** Applies requests; a plain call inside a transaction runs in a SAVEPOINT (better-sqlite3). */
  readonly #applyAll: Database.Transaction<(requests: AppendRequest[]) => void>;
  readonly #applyGroup: Database.Transaction<(group: Pending[], failures: unknown[]) => void>;
  #queue: Pending[] = [];
  #flushTimer: NodeJS.Immediate | undefined;
  #closed = false;

  /** Use openSqliteStore(); the constructor expects a database it has checked. */
  constructor(db: Database.Database, file: string, durability: SqliteDurability) {
    this.#db = db;
    this.file = file;
    this.durability = durability;
    this.#statements = {
      // ON CONFLICT rather than OR IGNORE: only an existing run is skipped; a NULL where a value is
      // required still throws instead of being silently reported as a conflict.
      createRun: db.prepare(
        'INSERT INTO runs (run_id, workflow, spec_hash, status, parent_run_id, ' +
          'created_at, updated_at, head_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (run_id) DO NOTHING',
      ),
      advance: db.prepare(
        'UPDATE runs SET head_seq = ?, updated_at = ? WHERE run_id = ? AND head_seq = ?',
      ),
      advanceWithStatus: db.prepare(
        'UPDATE runs SET head_seq = ?, updated_at = ?, status = ? ' +
          'WHERE run_id = ? AND head_seq = ?',
      ),
      headOf: db.prepare<[string], number>('SELECT head_seq FROM runs WHERE run_id = ?').pluck(),
      insertEvent: db.prepare(
        'INSERT INTO events (run_id, seq, type, body, hash) VALUES (?, ?, ?, ?, ?)',
      ),
      insertBlob: db.prepare(
        'INSERT INTO blobs (hash, text) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING',
      ),
      readFrom: db.prepare(
        'SELECT seq, type, body, hash FROM events WHERE run_id = ? AND seq >= ? ORDER BY seq',
      ),
      getRun: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`),
      getBlob: db.prepare<[string], string>('SELECT text FROM blobs WHERE hash = ?').pluck(),
    };
    this.#applyAll = db.transaction((requests: AppendRequest[]) => {
      for (const request of requests) this.#apply(request);
    });
    this.#applyGroup = db.transaction((group: Pending[], failures: unknown[]) => {
      for (let i = 0; i < group.length; i++) {
        try {
          this.#applyAll((group[i] as Pending).requests);
        } catch (error) {
          // The savepoint is rolled back; only an error that ended the whole transaction (I/O,
          // disk full) must abort the group.
          if (!db.inTransaction) throw error;
          failures[i] = error;
        }
      }
    });
  }

  get stats(): SqliteStoreStats {
    return { ...this.#stats };
  }

  /** The connection's effective settings, for diagnostics (and tests that pin them). */
  settings(): SqliteStoreSettings {
    return this.#query(() => ({
      journalMode: this.#db.pragma('journal_mode', { simple: true }) as string,
      synchronous: this.#db.pragma('synchronous', { simple: true }) as number,
      busyTimeout: this.#db.pragma('busy_timeout', { simple: true }) as number,
      schemaVersion: this.#db.pragma('user_version', { simple: true }) as number,
    }));
  }

  /**
   * Queues the batch for the next group commit (one setImmediate away): every append() made while
   * a flush is pending shares one transaction, hence one WAL sync. Resolves after COMMIT. The
   * request is read when the group commits, so it must not be mutated before the promise settles.
   */
  append(request: AppendRequest): Promise<void> {
    return this.#enqueue([request]);
  }

  /** All batches in one savepoint of the next group commit: all land or none does. */
  appendMany(requests: AppendRequest[]): Promise<void> {
    return this.#enqueue(requests);
  }

  async read(runId: string, fromSeq = 0): Promise<StoredEvent[]> {
    return this.#query(() => {
      // Iterating measured ~25% faster than .all() on a 400,000-event journal, with less memory:
      // resume reads whole journals.
      const rows: StoredEvent[] = [];
      for (const row of this.#statements.readFrom.iterate(runId, fromSeq)) rows.push(row);
      return rows;
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#query(() => this.#statements.getRun.get(runId));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#query(() => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.status !== undefined) {
        where.push('status = ?');
        params.push(filter.status);
      }
      if (filter.workflow !== undefined) {
        where.push('workflow = ?');
        params.push(filter.workflow);
      }
      if (filter.parentRunId === null) {
        where.push('parent_run_id IS NULL');
      } else if (filter.parentRunId !== undefined) {
        where.push('parent_run_id = ?');
        params.push(filter.parentRunId);
      }
      params.push(filter.limit === undefined ? -1 : Math.max(0, Math.floor(filter.limit)));
      const key = where.join(' AND ');
      let statement = this.#listStatements.get(key);
      if (statement === undefined) {
        statement = this.#db.prepare<unknown[], RunRecord>(
          `SELECT ${RUN_COLUMNS} FROM runs ${key === '' ? '' : `WHERE ${key}`} ` +
            'ORDER BY created_at DESC, run_id LIMIT ?',
        );
        this.#listStatements.set(key, statement);
      }
      return statement.all(...params);
    });
  }

  async getBlob(hash: string): Promise<string | undefined> {
    return this.#query(() => this.#statements.getBlob.get(hash));
  }

  /** Commits what is queued, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#flushTimer !== undefined) {
      clearImmediate(this.#flushTimer);
      this.#flush();
    }
    this.#closed = true;
    this.#db.close();
  }

  #query<T>(run: () => T): T {
    if (this.#closed) throw new StoreClosedError(this.kind);
    try {
      return run();
    } catch (error) {
      throw translateSqliteError(error, this.file);
    }
  }

  #enqueue(requests: AppendRequest[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#closed) {
        reject(new StoreClosedError(this.kind));
        return;
      }
      this.#queue.push({ requests, resolve, reject });
      this.#flushTimer ??= setImmediate(this.#flush);
    });
  }

  readonly #flush = (): void => {
    this.#flushTimer = undefined;
    const group = this.#queue;
    this.#queue = [];
    if (group.length === 1) {
      // The common case (one sequential writer) skips the savepoint.
      const only = group[0] as Pending;
      try {
        this.#applyAll.immediate(only.requests);
      } catch (error) {
        only.reject(translateSqliteError(error, this.file));
        return;
      }
      this.#stats.transactions++;
      this.#stats.batches++;
      only.resolve();
      return;
    }
    const failures: unknown[] = new Array<unknown>(group.length);
    try {
      this.#applyGroup.immediate(group, failures);
    } catch (error) {
      const failure = translateSqliteError(error, this.file);
      for (let i = 0; i < group.length; i++) {
        (group[i] as Pending).reject(
          failures[i] === undefined ? failure : translateSqliteError(failures[i], this.file),
        );
      }
      return;
    }
    this.#stats.transactions++;
    for (let i = 0; i < group.length; i++) {
      const pending = group[i] as Pending;
      if (failures[i] === undefined) {
        this.#stats.batches++;
        pending.resolve();
      } else {
        pending.reject(translateSqliteError(failures[i], this.file));
      }
    }
  };

  /** One batch inside the open write transaction: the head check and the writes are one unit. */
  #apply(request: AppendRequest): void {
    checkRequest(request);
    const s = this.#statements;
    const { runId, expectedSeq, events } = request;
    if (request.create !== undefined) {
      const run = newRunRecord(request);
      const created = s.createRun.run(
        runId,
        run.workflow,
        run.specHash,
        run.status,
        run.parentRunId,
        run.createdAt,
        run.updatedAt,
        run.headSeq,
      );
      if (created.changes === 0) {
        throw new JournalConflictError(runId, expectedSeq, s.headOf.get(runId) ?? -1, 'exists');
      }
    } else {
      // Check and advance in one statement: the row only moves if the head is where we expect it.
      const head = expectedSeq + events.length - 1;
      const advanced =
        request.status === undefined
          ? s.advance.run(head, request.at, runId, expectedSeq - 1)
          : s.advanceWithStatus.run(head, request.at, request.status, runId, expectedSeq - 1);
      if (advanced.changes === 0) {
        const found = s.headOf.get(runId);
        if (found === undefined) throw new RunNotFoundError(runId);
        throw new JournalConflictError(runId, expectedSeq, found, 'extended');
      }
    }
    for (const event of events) {
      try {
        s.insertEvent.run(runId, event.seq, event.type, event.body, event.hash);
      } catch (error) {
        if (
          error instanceof Database.SqliteError &&
          error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
        ) {
          throw new StoreCorruptError(
            this.file,
            `run ${runId} already has an event at seq ${event.seq}, past its recorded head`,
            error,
          );
        }
        throw error;
      }
    }
    for (const blob of uniqueBlobs(request)) s.insertBlob.run(blob.hash, blob.text);
  }
}
