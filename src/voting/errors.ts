import { SwitchyardError } from '../core/errors.js';

/**
 * The planner was asked about a model whose per-step success rate p is at most 1/2. Under the
 * paper's model the right answer then wins a first-to-ahead-by-k race with probability
 * 1/(1 + ((1−p)/p)^k) ≤ 1/2, and a larger k makes that worse, not better: no k reaches a target.
 */
export class VoteCannotConvergeError extends SwitchyardError {
  constructor(p: number) {
    super(
      'VOTE_CANNOT_CONVERGE',
      `voting cannot converge on the right answer with a per-step success rate p = ${p}: ` +
        'at p ≤ 0.5 a wrong answer is at least as likely to win each race, and raising k makes it more likely',
      {
        value: p,
        hint: 'decompose the step further, or use a model, prompt or red flags that get p above 0.5',
      },
    );
  }
}

/** A planner or rule parameter is outside the range the formulas are defined on. */
export class VoteOutOfRangeError extends SwitchyardError {
  constructor(name: string, value: unknown, expected: string, hint?: string) {
    super(
      'VOTE_OUT_OF_RANGE',
      `${name} must be ${expected}, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`,
      { path: name, value, hint: hint ?? `pass ${expected}` },
    );
  }
}

/** A vote rule (k, sample cap, temperatures, red flags) cannot be compiled. */
export class VoteRuleError extends SwitchyardError {
  constructor(path: string, message: string, hint: string, value?: unknown) {
    super('VOTE_RULE_INVALID', `${path}: ${message}`, { path, value, hint });
  }
}

/** One candidate's tally in an exhausted vote. */
export interface CandidateCount {
  /** The vote key: canonical JSON of the parsed output. */
  readonly key: string;
  readonly votes: number;
}

/** How long a candidate's key may be in the error message; the full keys travel in `value`. */
const KEY_IN_MESSAGE = 80;

function shortKey(key: string): string {
  return key.length <= KEY_IN_MESSAGE ? key : `${key.slice(0, KEY_IN_MESSAGE - 1)}…`;
}

/**
 * The sample cap was reached and no answer led every other by k votes. The message lists every
 * candidate's votes (most first) and the flagged samples by reason; `counts` and `flagged` carry them
 * as data.
 */
export class VoteExhaustedError extends SwitchyardError {
  readonly counts: readonly CandidateCount[];
  readonly flagged: Readonly<Record<string, number>>;

  constructor(
    k: number,
    samples: number,
    counts: readonly CandidateCount[],
    flagged: Readonly<Record<string, number>>,
  ) {
    const tally =
      counts.length === 0
        ? 'no sample passed the red flags'
        : counts
            .map(
              (candidate) =>
                `${shortKey(candidate.key)} had ${candidate.votes} vote${candidate.votes === 1 ? '' : 's'}`,
            )
            .join(', ');
    const flaggedTotal = Object.values(flagged).reduce((sum, n) => sum + n, 0);
    const flaggedText =
      flaggedTotal === 0
        ? ''
        : `; ${flaggedTotal} flagged (${Object.entries(flagged)
            .filter(([, n]) => n > 0)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', ')})`;
    super(
      'VOTE_EXHAUSTED',
      `no answer led every other by ${k} vote${k === 1 ? '' : 's'} after ${samples} sample${samples === 1 ? '' : 's'}: ${tally}${flaggedText}`,
      {
        value: { k, samples, counts, flagged },
        hint: 'raise maxSamples, or lower the per-sample error (prompt, model, red flags); `switchyard plan-vote` estimates what is needed',
      },
    );
    this.counts = counts;
    this.flagged = flagged;
  }
}

/**
 * The vote state machine was fed a sample after the vote ended. This is a bug in the caller, never
 * a model failure, so it throws instead of becoming journal data.
 */
export class VoteMisuseError extends SwitchyardError {
  constructor(message: string, value?: unknown) {
    super('VOTE_UNEXPECTED_INPUT', message, {
      value,
      hint: 'stop adding samples once addSample() returns a decided or exhausted outcome',
    });
  }
}

/** A recorded vote, re-derived from its samples, made different decisions than it recorded. */
export class VoteReplayError extends SwitchyardError {
  readonly index: number;

  constructor(index: number, recorded: unknown, replayed: unknown) {
    super('VOTE_REPLAY_DIVERGED', `replaying the vote diverged at sample ${index}`, {
      value: { recorded, replayed },
      hint: 'the vote rule (k, cap, red flags, parser) or the voting code changed since the run was recorded',
    });
    this.index = index;
  }
}
