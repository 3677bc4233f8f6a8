import { SwitchyardError } from '../core/errors.js';

/**
 * Optimistic concurrency lost: the run's head is not where the writer expected it. Either another
 * writer extended the run, or the batch tried to create a run that already exists.
 */
export class JournalConflictError extends SwitchyardError {
  readonly runId: string;
  readonly expectedSeq: number;
  /** The run's head seq found by the store; -1 for a run with no events. */
  readonly headSeq: number;

  constructor(runId: string, expectedSeq: number, headSeq: number, reason: 'extended' | 'exists') {
    const message =
      reason === 'exists'
        ? `run ${runId} already exists (head seq ${headSeq}); ` +
          'a batch that creates it cannot be appended'
        : `run ${runId}: expected to append at seq ${expectedSeq} but the run's head is at seq ` +
          `${headSeq} (the next seq is ${headSeq + 1}); another writer extended the run`;
    super('JOURNAL_CONFLICT', message, {
      value: { runId, expectedSeq, headSeq },
      hint: 'another process may be executing this run; wait for it or re-read the journal',
    });
    this.runId = runId;
    this.expectedSeq = expectedSeq;
    this.headSeq = headSeq;
  }
}

export class RunNotFoundError extends SwitchyardError {
  readonly runId: string;

  constructor(runId: string) {
    super('RUN_NOT_FOUND', `run ${runId} does not exist in this journal`, {
      value: runId,
      hint: 'check the run id (list runs to see the ids) and the journal store URL',
    });
    this.runId = runId;
  }
}

/** A malformed append request: local misuse by the caller, never a race. */
export class AppendRequestError extends SwitchyardError {
  readonly runId: string;

  constructor(runId: string, problem: string) {
    super('JOURNAL_APPEND_INVALID', `invalid append to run ${runId}: ${problem}`, {
      value: runId,
      hint:
        'number the events expectedSeq, expectedSeq + 1, …, ' +
        'and pass `create` only with expectedSeq 0',
    });
    this.runId = runId;
  }
}

export class StoreCorruptError extends SwitchyardError {
  constructor(file: string, detail: string, cause?: unknown) {
    super('STORE_CORRUPT', `${file} is not a Switchyard journal or is damaged (${detail})`, {
      file,
      cause,
      hint:
        'point the store URL at a Switchyard journal, or restore the file from a backup; ' +
        'a missing file is created fresh',
    });
  }
}

/** The file was written by a newer Switchyard whose schema this version does not know. */
export class StoreVersionError extends SwitchyardError {
  readonly found: number;
  readonly supported: number;

  constructor(file: string, found: number, supported: number) {
    super(
      'STORE_VERSION_UNSUPPORTED',
      `${file} has journal schema version ${found}, ` +
        `but this Switchyard supports up to ${supported}`,
      { file, value: found, hint: 'upgrade Switchyard to open this journal' },
    );
    this.found = found;
    this.supported = supported;
  }
}

export class StoreUnavailableError extends SwitchyardError {
  /** Where the store was expected: `host:port` for a server, the path for a file. */
  readonly target: string;

  constructor(target: string, detail: string, options: { hint?: string; cause?: unknown } = {}) {
    super('STORE_UNAVAILABLE', `journal store at ${target} is unavailable: ${detail}`, {
      value: target,
      cause: options.cause,
      hint: options.hint ?? 'check that the database is running and reachable, then retry',
    });
    this.target = target;
  }
}

export class StoreClosedError extends SwitchyardError {
  constructor(kind: string) {
    super('STORE_CLOSED', `the ${kind} journal store was used after close()`, {
      hint: 'open a new store; close() ends a store for good',
    });
  }
}

export const ACCEPTED_STORE_URLS = [
  'memory:',
  'sqlite:PATH (relative to the working directory)',
  'sqlite:PATH?durability=power-loss',
  'postgres://USER@HOST:PORT/DB (also postgresql://… and postgres:postgres://…)',
] as const;

/** A store URL as it may appear in messages and logs: any password replaced by ***. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:)[^@/?#]*@/i, '$1***@');
}

export class StoreUrlError extends SwitchyardError {
  constructor(url: string, problem: string) {
    const shown = redactUrl(url);
    super('STORE_URL_INVALID', `journal store URL ${JSON.stringify(shown)} ${problem}`, {
      value: shown,
      hint: `accepted forms: ${ACCEPTED_STORE_URLS.join('; ')}`,
    });
  }
}
