import { VoteCannotConvergeError, VoteOutOfRangeError } from './errors.js';

/**
 * The planner: MAKER's scaling laws (Meyerson et al. 2025, arXiv:2511.09030 §3.2–3.3; formulas and
 * the paper's model table in research/seeds.md §2.4–2.5), for maximal decomposition (m = 1: one
 * agent call decides one step, as in the Hanoi run and in a `vote` step).
 *
 * Symbols: p is the per-step success rate of one valid (non-flagged) sample, r = (1 − p)/p, k the
 * required lead, s the number of steps, t the target probability that all s steps are right, c the
 * cost of one sample, v the probability that a sample is valid (not red-flagged).
 *
 * The paper's analysis races the right answer against a single alternative (the worst case for
 * voting: every wrong sample agrees). Every function here requires 0.5 < p ≤ 1; at p ≤ 0.5 the
 * right answer does not win the race more often than a wrong one, whatever k is.
 */

function checkP(p: number): void {
  if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p > 1) {
    throw new VoteOutOfRangeError('p', p, 'a per-step success rate in (0, 1]');
  }
  if (p <= 0.5) throw new VoteCannotConvergeError(p);
}

function checkWhole(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new VoteOutOfRangeError(name, value, `a whole number of at least ${min}`);
  }
}

function checkTarget(t: number): void {
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t >= 1) {
    throw new VoteOutOfRangeError(
      't',
      t,
      'a target success probability strictly between 0 and 1',
      'a target of 1 needs infinitely many votes unless p = 1; use e.g. 0.95 or 0.999',
    );
  }
}

function checkCost(c: number): void {
  if (typeof c !== 'number' || !Number.isFinite(c) || c < 0) {
    throw new VoteOutOfRangeError('c', c, 'a cost per sample ≥ 0');
  }
}

function checkValidRate(v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > 1) {
    throw new VoteOutOfRangeError(
      'v',
      v,
      'the probability of a valid (not red-flagged) sample, in (0, 1]',
    );
  }
}

/**
 * The probability that first-to-ahead-by-k voting picks the right answer for one step (paper
 * §3.2, the gambler's ruin): `p(step correct | vote) = 1 / (1 + ((1−p)/p)^k)`.
 */
export function stepSuccess(p: number, k: number): number {
  checkP(p);
  checkWhole('k', k, 1);
  return 1 / (1 + ((1 - p) / p) ** k);
}

/**
 * The probability that all s steps are decided right (paper §3.2, m = 1):
 * `p_full = (1 + ((1−p)/p)^k)^(−s)`. Computed as exp(−s · log1p(r^k)), which keeps its precision
 * when r^k is tiny and s is a million.
 */
export function pFull(p: number, k: number, s: number): number {
  checkP(p);
  checkWhole('k', k, 1);
  checkWhole('s', s, 1);
  return Math.exp(-s * Math.log1p(((1 - p) / p) ** k));
}

/**
 * The smallest lead k that makes all s steps right with probability at least t (paper §3.2, m = 1):
 * `k_min = ⌈ ln(t^(−1/s) − 1) / ln((1−p)/p) ⌉`, at least 1.
 *
 * t^(−1/s) − 1 is computed as expm1(−ln(t)/s) so it does not round to 0 for large s. The result is
 * then checked against pFull and moved by one if floating point put the ceiling on the wrong side
 * of an integer, so it is exactly the smallest k with pFull(p, k, s) ≥ t as computed here.
 */
export function kMin(p: number, s: number, t: number): number {
  checkP(p);
  checkWhole('s', s, 1);
  checkTarget(t);
  if (p === 1) return 1;
  const slack = Math.expm1(-Math.log(t) / s);
  let k = Math.max(1, Math.ceil(Math.log(slack) / Math.log((1 - p) / p)));
  while (k > 1 && pFull(p, k - 1, s) >= t) k--;
  while (pFull(p, k, s) < t) k++;
  return k;
}

/**
 * Expected samples drawn per step, the paper's approximation (§3.3):
 * `E[samples per step] ≈ k / (v · (2p − 1))`. Multiplied by c · s it is the paper's expected cost.
 */
export function expectedSamplesPerStep(p: number, k: number, v = 1): number {
  checkP(p);
  checkWhole('k', k, 1);
  checkValidRate(v);
  return k / (v * (2 * p - 1));
}

/**
 * Expected valid votes per step when samples are drawn one at a time, exactly, for the paper's
 * two-candidate model (gambler's ruin duration, research/seeds.md §2.2):
 * `E[N] = k (1 − r^k) / ((2p − 1)(1 + r^k))`. Slightly below the approximation above; divide by v
 * for samples including the flagged ones (Wald's identity).
 */
export function expectedVotesExact(p: number, k: number): number {
  checkP(p);
  checkWhole('k', k, 1);
  if (p === 1) return k;
  const rk = ((1 - p) / p) ** k;
  return (k * (1 - rk)) / ((2 * p - 1) * (1 + rk));
}

/**
 * The paper's expected cost of the whole task (§3.3, m = 1):
 * `E[cost] ≈ c · s · k / (v · (2p − 1))`; with k = k_min it is Θ(s ln s).
 */
export function expectedCost(p: number, k: number, s: number, c = 1, v = 1): number {
  checkWhole('s', s, 1);
  checkCost(c);
  return c * s * expectedSamplesPerStep(p, k, v);
}

export interface VotePlanInput {
  /** Per-step success rate of one valid sample, 0.5 < p ≤ 1. */
  readonly p: number;
  /** Steps in the task, a whole number ≥ 1. */
  readonly steps: number;
  /** Target probability that every step is right, 0 < t < 1. */
  readonly target: number;
  /** Cost of one sample (default 1: the cost is then counted in samples). */
  readonly costPerSample?: number;
  /** Probability that a sample passes the red flags (default 1). */
  readonly validRate?: number;
}

/** What `switchyard plan-vote --json` prints. */
export interface VotePlan {
  readonly kMin: number;
  /** p_full at k = kMin. */
  readonly pFull: number;
  /** The paper's k/(v(2p − 1)) at k = kMin. */
  readonly expectedSamplesPerStep: number;
  /** c · s · expectedSamplesPerStep. */
  readonly expectedCost: number;
}

export function planVote(input: VotePlanInput): VotePlan {
  const { p, steps, target, costPerSample = 1, validRate = 1 } = input;
  const k = kMin(p, steps, target);
  return {
    kMin: k,
    pFull: pFull(p, k, steps),
    expectedSamplesPerStep: expectedSamplesPerStep(p, k, validRate),
    expectedCost: expectedCost(p, k, steps, costPerSample, validRate),
  };
}
