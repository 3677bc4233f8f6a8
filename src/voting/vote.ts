import { canonicalJson, type JsonValue } from '../core/json.js';
import {
  VoteExhaustedError,
  VoteMisuseError,
  VoteReplayError,
  type CandidateCount,
} from './errors.js';
import {
  NO_FLAGS,
  screenSample,
  type FlagCounts,
  type FlagReason,
  type VoteSample,
} from './red-flags.js';
import type { VoteRule } from './rule.js';

/**
 * First-to-ahead-by-k voting (MAKER §3.2; research/seeds.md §2.2) as a pure state machine over
 * plain data. The caller draws samples and feeds them in, one at a time, in sample-index order;
 * each call returns the next state, the decisions to journal, and the outcome:
 *
 * - a red-flagged sample is counted by reason and does not vote;
 * - a valid sample votes for the candidate with its key (canonical JSON of the parsed output);
 * - candidate y wins as soon as `votes(y) ≥ votes(z) + k` for every other candidate z (alone, that
 *   is `votes(y) = k`);
 * - when `rule.maxSamples` samples (flagged ones included) have been added without a winner, the
 *   vote is exhausted.
 *
 * Ties. Only the candidate that just received a vote can newly reach a k-lead, and two candidates
 * can never both lead each other, so checking after every single sample leaves exactly one possible
 * winner: there is no tie to break in a decision. What does need an order is defined here and
 * nowhere else: samples count in index order (a parallel batch is applied in index order, never in
 * arrival order, and samples of the batch after the deciding one are not added); candidates are
 * numbered in the order they were first voted for; the leader among equal counts is the one first
 * voted for; the exhausted tally lists candidates by votes, most first, then by that order.
 *
 * Memory per vote is bounded by the sample cap (one entry per distinct candidate), never by the
 * length of the run.
 */

export interface Candidate {
  readonly key: string;
  readonly value: JsonValue;
  readonly votes: number;
}

export type VoteStatus = 'open' | 'decided' | 'exhausted';

export interface VoteState {
  /** Samples added so far, flagged ones included; the next sample's index. */
  readonly samples: number;
  readonly flagged: FlagCounts;
  /** In the order they were first voted for; a decision names a candidate by this index. */
  readonly candidates: readonly Candidate[];
  readonly status: VoteStatus;
}

/** The events to journal for one sample, in order. Plain JSON. */
export type VoteDecision =
  | {
      readonly type: 'vote-flagged';
      readonly sample: number;
      readonly reason: FlagReason;
      readonly message: string;
    }
  /** `votes` is the candidate's count after this vote. */
  | {
      readonly type: 'vote-cast';
      readonly sample: number;
      readonly candidate: number;
      readonly votes: number;
    }
  | {
      readonly type: 'vote-decided';
      readonly candidate: number;
      readonly votes: number;
      /** votes minus the runner-up's votes (≥ k). */
      readonly lead: number;
      readonly samples: number;
    }
  | {
      readonly type: 'vote-exhausted';
      readonly samples: number;
      readonly counts: readonly CandidateCount[];
      readonly flagged: FlagCounts;
    };

export type VoteOutcome =
  | { readonly kind: 'continue' }
  | {
      readonly kind: 'decided';
      readonly winner: Candidate;
      /** The winner's index in `state.candidates`. */
      readonly candidate: number;
      readonly lead: number;
    }
  | {
      readonly kind: 'exhausted';
      /** Every candidate's votes, most first. */
      readonly counts: readonly CandidateCount[];
      readonly flagged: FlagCounts;
    };

export interface VoteStep {
  readonly state: VoteState;
  readonly decisions: readonly VoteDecision[];
  readonly outcome: VoteOutcome;
}

export const NEW_VOTE: VoteState = {
  samples: 0,
  flagged: NO_FLAGS,
  candidates: [],
  status: 'open',
};

export function startVote(): VoteState {
  return NEW_VOTE;
}

/** The most votes any candidate other than `except` has (0 with none). */
function bestOther(candidates: readonly Candidate[], except: number): number {
  let best = 0;
  for (let i = 0; i < candidates.length; i++) {
    const votes = (candidates[i] as Candidate).votes;
    if (i !== except && votes > best) best = votes;
  }
  return best;
}

/** Candidates by votes, most first; equal counts in the order first voted for. */
export function tally(state: VoteState): CandidateCount[] {
  return state.candidates
    .map((candidate, index) => ({ index, key: candidate.key, votes: candidate.votes }))
    .sort((a, b) => b.votes - a.votes || a.index - b.index)
    .map(({ key, votes }) => ({ key, votes }));
}

/** Adds the next sample (index `state.samples`). Throws VoteMisuseError once the vote has ended. */
export function addSample(rule: VoteRule, state: VoteState, sample: VoteSample): VoteStep {
  if (state.status !== 'open') {
    throw new VoteMisuseError(
      `the vote is already ${state.status}; sample ${state.samples} cannot be added`,
      {
        status: state.status,
        samples: state.samples,
      },
    );
  }
  const index = state.samples;
  const samples = index + 1;
  const screened = screenSample(rule.redFlags, sample);
  const decisions: VoteDecision[] = [];
  let next: VoteState;
  let outcome: VoteOutcome = { kind: 'continue' };

  if (!screened.ok) {
    decisions.push({
      type: 'vote-flagged',
      sample: index,
      reason: screened.reason,
      message: screened.message,
    });
    next = {
      samples,
      flagged: { ...state.flagged, [screened.reason]: state.flagged[screened.reason] + 1 },
      candidates: state.candidates,
      status: 'open',
    };
  } else {
    let candidate = state.candidates.findIndex((c) => c.key === screened.key);
    let candidates: Candidate[];
    if (candidate === -1) {
      candidate = state.candidates.length;
      candidates = [...state.candidates, { key: screened.key, value: screened.value, votes: 1 }];
    } else {
      candidates = state.candidates.slice();
      const before = candidates[candidate] as Candidate;
      candidates[candidate] = { key: before.key, value: before.value, votes: before.votes + 1 };
    }
    const voted = candidates[candidate] as Candidate;
    decisions.push({ type: 'vote-cast', sample: index, candidate, votes: voted.votes });
    const lead = voted.votes - bestOther(candidates, candidate);
    if (lead >= rule.k) {
      decisions.push({ type: 'vote-decided', candidate, votes: voted.votes, lead, samples });
      outcome = { kind: 'decided', winner: voted, candidate, lead };
      next = { samples, flagged: state.flagged, candidates, status: 'decided' };
    } else {
      next = { samples, flagged: state.flagged, candidates, status: 'open' };
    }
  }

  if (next.status === 'open' && samples >= rule.maxSamples) {
    next = { ...next, status: 'exhausted' };
    const counts = tally(next);
    decisions.push({ type: 'vote-exhausted', samples, counts, flagged: next.flagged });
    outcome = { kind: 'exhausted', counts, flagged: next.flagged };
  }
  return { state: next, decisions, outcome };
}

/** The typed error a step fails with when its vote is exhausted (VOTE_EXHAUSTED). */
export function exhaustedError(rule: VoteRule, state: VoteState): VoteExhaustedError {
  return new VoteExhaustedError(rule.k, state.samples, tally(state), state.flagged);
}

/**
 * The fewest further *valid* votes after which some candidate could lead by k: k minus the
 * leader's current lead over the runner-up (k when nothing has voted yet). 0 once the vote ended.
 */
export function votesNeeded(rule: VoteRule, state: VoteState): number {
  if (state.status !== 'open') return 0;
  let first = 0;
  let second = 0;
  for (const candidate of state.candidates) {
    if (candidate.votes > first) {
      second = first;
      first = candidate.votes;
    } else if (candidate.votes > second) {
      second = candidate.votes;
    }
  }
  return Math.max(1, rule.k - (first - second));
}

/** One added sample as the engine journals it: the sample (world) and its decisions. */
export interface VoteRecord {
  readonly sample: VoteSample;
  readonly decisions: readonly VoteDecision[];
}

/**
 * Re-derives a recorded vote from its samples alone, without calling the model, and checks that
 * every sample makes the recorded decisions (compared as canonical JSON, so key order from a
 * journal does not matter): what `replay --verify` does with a vote step. Throws VoteReplayError
 * at the first divergence; returns the last step (state and outcome).
 */
export function replayVote(rule: VoteRule, records: readonly VoteRecord[]): VoteStep {
  let step: VoteStep = { state: startVote(), decisions: [], outcome: { kind: 'continue' } };
  records.forEach((record, index) => {
    step = addSample(rule, step.state, record.sample);
    const replayed = canonicalJson(step.decisions as unknown as JsonValue);
    if (replayed !== canonicalJson(record.decisions as unknown as JsonValue)) {
      throw new VoteReplayError(index, record.decisions, step.decisions);
    }
  });
  return step;
}
