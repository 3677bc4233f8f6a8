import { SwitchyardError } from '../core/errors.js';

export class JournalInvalidError extends SwitchyardError {
  constructor(message: string, details: { runId?: string; seq?: number } = {}) {
    super('JOURNAL_INVALID', message, {
      path: details.seq === undefined ? undefined : `seq ${details.seq}`,
      hint: 'the journal is damaged or was not written by Switchyard; `switchyard replay <runId> --verify` shows where',
    });
  }
}

/** Replay produced a different decision than the journal records: a determinism or integrity failure. */
export class ReplayDivergenceError extends SwitchyardError {
  constructor(
    readonly runId: string,
    readonly seq: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(
      'REPLAY_DIVERGED',
      `run ${runId} diverges from its journal at seq ${seq}: replay expected ${expected} but the journal has ${found}`,
      {
        path: `seq ${seq}`,
        hint: 'the journal was altered, or the engine or spec changed in a way that changes decisions',
      },
    );
  }
}

export class JournalHashError extends SwitchyardError {
  constructor(runId: string, seq: number, what: string) {
    super('JOURNAL_HASH_MISMATCH', `run ${runId}: ${what} at seq ${seq} does not match its hash`, {
      path: `seq ${seq}`,
      hint: 'the stored journal was modified after it was written',
    });
  }
}
