import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AppendRequest,
  Checkpoint,
  JournalStore,
  RunFilter,
  RunRecord,
  RunStatus,
  StoredBatch,
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
import { batchesFromV1, type V1EventRow } from './migrate-v1.js';
import { packBody, unpackBody } from './body-codec.js';
import { checkRequest, headAfter, newRunRecord, uniqueBlobs } from './request.js';

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
export const SQLITE_SCHEMA_VERSION = 3;
/** PRAGMA application_id ('SYRJ'): marks a file as a Switchyard journal. */
const APPLICATION_ID = 0x5359524a;
const BUSY_TIMEOUT_MS = 5000;

// One row per appended batch, in a rowid table keyed by run_key * 2^32 + the batch's first seq: a
// run's batches are one key range (read in order without an index), and an append writes one row
// at the end of that range, so a step's commit dirties one table page and no index page (measured:
// ~17 µs per commit against ~25 µs with an index on (run_id, seq) and ~31 µs WITHOUT ROWID). The
// run row is written only when the status changes; head and last-append time come from the last
// batch. status_seq (the head when the status was last written) lets a reader notice batches cut
// off the end of a run that has since paused or ended.
// Process-wide values beside the journals (the tool health table). Added to schema 2 after its first
// release: a schema-2 file without it gets it when opened (an older reader ignores the table).
const META = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;
const TABLES = `
CREATE TABLE runs (
  run_key INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  workflow TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  parent_run_id TEXT,
  created_at INTEGER NOT NULL,
  status_at INTEGER NOT NULL,
  status_seq INTEGER NOT NULL
);
CREATE INDEX runs_by_created ON runs (created_at DESC, run_id);
CREATE INDEX runs_by_parent ON runs (parent_run_id, created_at DESC);
CREATE TABLE batches (
  id INTEGER PRIMARY KEY,
  last_seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE checkpoints (
  run_key INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  state TEXT NOT NULL
);
${META}`;
const BLOBS = `
CREATE TABLE blobs (
  hash TEXT PRIMARY KEY,
  text TEXT NOT NULL
);
`;
const STAMP = `
PRAGMA application_id = ${APPLICATION_ID};
PRAGMA user_version = ${SQLITE_SCHEMA_VERSION};
`;

/** A run's batch key range, as SQL over runs.run_key (r). */
const RANGE = 'BETWEEN r.run_key * 4294967296 AND r.run_key * 4294967296 + 4294967295';
const LAST_BATCH = (column: string): string =>
  `(SELECT ${column} FROM batches WHERE id ${RANGE} ORDER BY id DESC LIMIT 1)`;

const EXPECTED_COLUMNS: Record<string, string[]> = {
  runs: [
    'run_key',
    'run_id',
    'workflow',
    'spec_hash',
    'status',
    'parent_run_id',
    'created_at',
    'status_at',
    'status_seq',
  ],
  batches: ['id', 'last_seq', 'at', 'body', 'hash'],
  checkpoints: ['run_key', 'seq', 'state'],
  blobs: ['hash', 'text'],
  meta: ['key', 'value'],
};

const RUN_COLUMNS =
  'r.run_id AS runId, r.workflow, r.spec_hash AS specHash, r.status, ' +
  'r.parent_run_id AS parentRunId, r.created_at AS createdAt, ' +
  `max(r.status_at, coalesce(${LAST_BATCH('at')}, r.status_at)) AS updatedAt, ` +
  `max(r.status_seq, coalesce(${LAST_BATCH('last_seq')}, -1)) AS headSeq`;

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
      db.exec(TABLES + BLOBS + STAMP);
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
  if (version === 1) migrateFromV1(db, file);
  // Schema 3 may hold packed bodies (journal/body-codec.ts) that a schema-2 reader would misread;
  // the layout is unchanged, so a schema-2 file only needs its stamp moved on.
  if (version === 2) db.transaction(() => db.exec(STAMP)).immediate();
  const columnsOf = db.prepare('SELECT name FROM pragma_table_info(?)').pluck();
  // A schema-2 file from before the meta table: add it (CREATE … IF NOT EXISTS, so a concurrent
  // opener doing the same is harmless).
  if ((columnsOf.all('meta') as string[]).length === 0) db.exec(META);
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

/**
 * Schema 1 kept one row per event with an index on (run_id, seq) and a run row updated on every
 * append. The migration regroups each run's events into batch rows (see batchesFromV1) in one
 * transaction: it completes or leaves the file as it was.
 */
function migrateFromV1(db: Database.Database, file: string): void {
  db.transaction(() => {
    if (readHeader(db).version !== 1) return; // another process migrated it meanwhile
    db.exec(
      'ALTER TABLE runs RENAME TO runs_v1; ALTER TABLE events RENAME TO events_v1; ' +
        'DROP INDEX IF EXISTS runs_by_created; DROP INDEX IF EXISTS runs_by_parent;' +
        TABLES,
    );
    const runs = db
      .prepare(
        'SELECT run_id AS runId, workflow, spec_hash AS specHash, status, ' +
          'parent_run_id AS parentRunId, created_at AS createdAt, updated_at AS updatedAt, ' +
          'head_seq AS headSeq FROM runs_v1 ORDER BY created_at, run_id',
      )
      .all() as RunRecord[];
    const eventsOf = db.prepare<[string], V1EventRow>(
      'SELECT seq, type, body, hash FROM events_v1 WHERE run_id = ? ORDER BY seq',
    );
    const insertRun = db.prepare(
      'INSERT INTO runs (run_id, workflow, spec_hash, status, parent_run_id, created_at, ' +
        'status_at, status_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertBatch = db.prepare(
      'INSERT INTO batches (id, last_seq, at, body, hash) VALUES (? * 4294967296 + ?, ?, ?, ?, ?)',
    );
    for (const run of runs) {
      const rows = eventsOf.all(run.runId);
      const result = batchesFromV1(rows);
      if ('damagedAt' in result) {
        throw new StoreCorruptError(
          file,
          `run ${run.runId} is damaged at seq ${result.damagedAt}, so the journal cannot be ` +
            `migrated from schema 1 to ${SQLITE_SCHEMA_VERSION}`,
        );
      }
      const runKey = insertRun.run(
        run.runId,
        run.workflow,
        run.specHash,
        run.status,
        run.parentRunId,
        run.createdAt,
        run.updatedAt,
        run.headSeq,
      ).lastInsertRowid;
      for (const batch of result.batches) {
        const first = JSON.parse(batch.body) as Array<{ at?: unknown }>;
        const at = typeof first[0]?.at === 'number' ? first[0].at : run.updatedAt;
        insertBatch.run(runKey, batch.seq, batch.lastSeq, at, packBody(batch.body), batch.hash);
      }
    }
    db.exec(`DROP TABLE events_v1; DROP TABLE runs_v1; ${STAMP}`);
  }).immediate();
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
  keyOf: Database.Statement<[string], number>;
  stateOf: Database.Statement<[number], { status: RunStatus; head: number }>;
  setStatus: Database.Statement<[RunStatus, number, number, number]>;
  insertBatch: Database.Statement<[number, number, number, number, string | Buffer, string]>;
  insertBlob: Database.Statement<[string, string]>;
  /** `body` as stored: text, or packed bytes (body-codec.ts) until read() unpacks it. */
  readFrom: Database.Statement<[number, number, number, number, number], StoredBatch>;
  getRun: Database.Statement<[string], RunRecord>;
  getBlob: Database.Statement<[string], string>;
  putCheckpoint: Database.Statement<[number, number, string]>;
  getCheckpoint: Database.Statement<[number], Checkpoint>;
  dataVersion: Database.Statement<[], number>;
  getMeta: Database.Statement<[string], string>;
  putMeta: Database.Statement<[string, string]>;
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
  /** run_id → run_key; cleared when a transaction rolls back (a created run may not exist). */
  readonly #keys = new Map<string, number>();
  /**
   * run_key → the head and status this connection's last append to the run left, valid while no
   * other connection has committed (PRAGMA data_version unchanged): the optimistic-concurrency
   * check of the next append then costs no query (measured: the stateOf query added ~1.8 µs to a
   * ~7 µs transaction). Cleared with #keys, and whenever the data version moves.
   */
  readonly #heads = new Map<number, { head: number; status: RunStatus }>();
  #dataVersion: number | undefined;
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
          'created_at, status_at, status_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (run_id) DO NOTHING',
      ),
      keyOf: db.prepare<[string], number>('SELECT run_key FROM runs WHERE run_id = ?').pluck(),
      stateOf: db.prepare(
        `SELECT r.status AS status, max(r.status_seq, coalesce(${LAST_BATCH('last_seq')}, -1)) ` +
          'AS head FROM runs r WHERE r.run_key = ?',
      ),
      setStatus: db.prepare(
        'UPDATE runs SET status = ?, status_at = ?, status_seq = ? WHERE run_key = ?',
      ),
      insertBatch: db.prepare(
        'INSERT INTO batches (id, last_seq, at, body, hash) ' +
          'VALUES (? * 4294967296 + ?, ?, ?, ?, ?)',
      ),
      insertBlob: db.prepare(
        'INSERT INTO blobs (hash, text) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING',
      ),
      readFrom: db.prepare(
        'SELECT id - ? * 4294967296 AS seq, last_seq AS lastSeq, body, hash FROM batches ' +
          'WHERE id BETWEEN ? * 4294967296 AND ? * 4294967296 + 4294967295 ' +
          'AND last_seq >= ? ORDER BY id LIMIT ?',
      ),
      getRun: db.prepare(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_id = ?`),
      getBlob: db.prepare<[string], string>('SELECT text FROM blobs WHERE hash = ?').pluck(),
      putCheckpoint: db.prepare(
        'INSERT INTO checkpoints (run_key, seq, state) VALUES (?, ?, ?) ' +
          'ON CONFLICT (run_key) DO UPDATE SET seq = excluded.seq, state = excluded.state',
      ),
      getCheckpoint: db.prepare('SELECT seq, state FROM checkpoints WHERE run_key = ?'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
      getMeta: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
      putMeta: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ' +
          'ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
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
          this.#forgetKeys();
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

  async read(runId: string, fromSeq = 0, limit = -1): Promise<StoredBatch[]> {
    return this.#query(() => {
      const runKey = this.#keyOf(runId);
      if (runKey === undefined) return [];
      // Iterating measured ~25% faster than .all() on a 400,000-row journal, with less memory:
      // resume reads whole journals.
      const rows: StoredBatch[] = [];
      for (const row of this.#statements.readFrom.iterate(runKey, runKey, runKey, fromSeq, limit)) {
        const stored = row.body as string | Uint8Array;
        if (typeof stored !== 'string') row.body = this.#unpack(runId, row.seq, stored);
        rows.push(row);
      }
      return rows;
    });
  }

  #unpack(runId: string, seq: number, stored: Uint8Array): string {
    try {
      return unpackBody(stored);
    } catch (error) {
      throw new StoreCorruptError(
        this.file,
        `the batch at seq ${seq} of run ${runId} cannot be unpacked: ${(error as Error).message}`,
        error,
      );
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#query(() => this.#statements.getRun.get(runId));
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.#query(() => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.status !== undefined) {
        where.push('r.status = ?');
        params.push(filter.status);
      }
      if (filter.workflow !== undefined) {
        where.push('r.workflow = ?');
        params.push(filter.workflow);
      }
      if (filter.parentRunId === null) {
        where.push('r.parent_run_id IS NULL');
      } else if (filter.parentRunId !== undefined) {
        where.push('r.parent_run_id = ?');
        params.push(filter.parentRunId);
      }
      params.push(filter.limit === undefined ? -1 : Math.max(0, Math.floor(filter.limit)));
      const key = where.join(' AND ');
      let statement = this.#listStatements.get(key);
      if (statement === undefined) {
        statement = this.#db.prepare<unknown[], RunRecord>(
          `SELECT ${RUN_COLUMNS} FROM runs r ${key === '' ? '' : `WHERE ${key}`} ` +
            'ORDER BY r.created_at DESC, r.run_id LIMIT ?',
        );
        this.#listStatements.set(key, statement);
      }
      return statement.all(...params);
    });
  }

  async getBlob(hash: string): Promise<string | undefined> {
    return this.#query(() => this.#statements.getBlob.get(hash));
  }

  async readCheckpoint(runId: string): Promise<Checkpoint | undefined> {
    return this.#query(() => {
      const runKey = this.#keyOf(runId);
      return runKey === undefined ? undefined : this.#statements.getCheckpoint.get(runKey);
    });
  }

  async getMeta(key: string): Promise<string | undefined> {
    return this.#query(() => this.#statements.getMeta.get(key));
  }

  /** Its own transaction, outside the group commit: a health record is rare and small. */
  async putMeta(key: string, value: string): Promise<void> {
    this.#query(() => this.#statements.putMeta.run(key, value));
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
        this.#forgetKeys();
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
      this.#forgetKeys();
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

  /** After a rollback: a run created, or a head moved, in the rolled-back work may not exist. */
  #forgetKeys(): void {
    this.#keys.clear();
    this.#heads.clear();
  }

  /**
   * The run's head and status inside the open write transaction: from #heads when no other
   * connection has committed since this one last looked, else read.
   */
  #stateOf(runKey: number): { head: number; status: RunStatus } | undefined {
    const version = this.#statements.dataVersion.get();
    if (version !== this.#dataVersion) {
      this.#heads.clear();
      this.#dataVersion = version;
    }
    return this.#heads.get(runKey) ?? this.#statements.stateOf.get(runKey);
  }

  /** A run's key, cached: keys never change once a run exists (see #forgetKeys for rollbacks). */
  #keyOf(runId: string): number | undefined {
    let key = this.#keys.get(runId);
    if (key === undefined) {
      key = this.#statements.keyOf.get(runId);
      if (key !== undefined) this.#keys.set(runId, key);
    }
    return key;
  }

  /** One request inside the open write transaction: the head check and the writes are one unit. */
  #apply(request: AppendRequest): void {
    checkRequest(request);
    const s = this.#statements;
    const { runId, expectedSeq, batches } = request;
    let runKey: number;
    let status: RunStatus;
    if (request.create !== undefined) {
      const run = newRunRecord(request);
      status = run.status;
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
        const key = this.#keyOf(runId);
        const head = key === undefined ? -1 : (this.#stateOf(key)?.head ?? -1);
        throw new JournalConflictError(runId, expectedSeq, head, 'exists');
      }
      runKey = Number(created.lastInsertRowid);
      this.#keys.set(runId, runKey);
    } else {
      const key = this.#keyOf(runId);
      const state = key === undefined ? undefined : this.#stateOf(key);
      if (key === undefined || state === undefined) throw new RunNotFoundError(runId);
      if (state.head !== expectedSeq - 1) {
        throw new JournalConflictError(runId, expectedSeq, state.head, 'extended');
      }
      runKey = key;
      status = state.status;
      if (request.status !== undefined && request.status !== state.status)
        s.setStatus.run(request.status, request.at, headAfter(request), runKey);
    }
    for (const batch of batches) {
      try {
        s.insertBatch.run(
          runKey,
          batch.seq,
          batch.lastSeq,
          request.at,
          packBody(batch.body),
          batch.hash,
        );
      } catch (error) {
        if (
          error instanceof Database.SqliteError &&
          error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
        ) {
          throw new StoreCorruptError(
            this.file,
            `run ${runId} already has a batch at seq ${batch.seq}, past its head`,
            error,
          );
        }
        throw error;
      }
    }
    for (const blob of uniqueBlobs(request)) s.insertBlob.run(blob.hash, blob.text);
    if (request.checkpoint !== undefined)
      s.putCheckpoint.run(runKey, request.checkpoint.seq, request.checkpoint.state);
    this.#heads.set(runKey, { head: headAfter(request), status: request.status ?? status });
  }
}
