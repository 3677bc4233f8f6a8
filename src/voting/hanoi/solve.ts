import { canonicalJson, type JsonValue } from '../../core/json.js';
import type { VoteExhaustedError } from '../errors.js';
import { FLAG_REASONS, NO_FLAGS, type FlagCounts, type FlagReason } from '../red-flags.js';
import { compileVoteRule, type VoteRule } from '../rule.js';
import { planBatch } from '../sampling.js';
import { addSample, exhaustedError, startVote, type VoteState } from '../vote.js';
import { HanoiChecker, type HanoiCheck } from './checker.js';
import {
  DEFAULT_MISTAKE_MIX,
  simulateHanoiModel,
  type HanoiSampleKind,
  type MistakeMix,
} from './model.js';
import { asHanoiAnswer, hanoiParser } from './parser.js';
import {
  correctAnswer,
  hanoiSteps,
  initialPegs,
  MAX_DISKS,
  type Move,
  type Pegs,
} from './state.js';

/**
 * A pure driver for tests and benchmarks: the whole Hanoi task the MAKER way, with the simulated
 * model. One vote per move; the voted (move, next_state) is the next step's (previous move,
 * current state) — state is carried by the voted output, never recomputed — and the trajectory
 * checker verifies every voted answer as it is decided (it only observes; nothing it finds feeds
 * back into the run). Memory is O(disks + maxSamples): counters, the current state, one vote and
 * the checker's true state, never anything per step.
 */

export interface SolveHanoiOptions {
  readonly disks: number;
  /** The simulated model's probability of a correct sample. */
  readonly p: number;
  readonly k: number;
  /** Sample cap per step (the vote is exhausted past it, and the run stops there). */
  readonly maxSamples: number;
  readonly seed: number | string;
  /** The red flag on length (the paper: 750); null turns it off. */
  readonly maxOutputTokens?: number | null;
  /** Temperatures of the first and later samples (the paper: 0 and 0.1). */
  readonly temperature?: { readonly first?: number; readonly later?: number };
  readonly mix?: MistakeMix;
}

export interface SolveHanoiResult {
  readonly disks: number;
  /** The task's 2^N − 1 steps. */
  readonly totalSteps: number;
  /** Steps decided (all of them unless a vote was exhausted). */
  readonly steps: number;
  /** Samples drawn, flagged ones included. */
  readonly samples: number;
  /** Samples that passed the red flags and voted. */
  readonly votes: number;
  readonly flagged: FlagCounts;
  /** Samples the simulation produced, by what it meant them to be. */
  readonly produced: Readonly<Record<HanoiSampleKind, number>>;
  readonly samplesPerStep: number;
  /** Most samples any one step needed. */
  readonly maxSamplesInAStep: number;
  /** decidedInRound[r]: steps decided in sampling round r + 1 (round 1 is the first batch of k). */
  readonly decidedInRound: readonly number[];
  /**
   * Steps whose decided answer is not the correct answer for the input the step was given (the
   * voted previous move and state): the errors the vote let through.
   */
  readonly errors: number;
  readonly firstErrorStep: number | null;
  /**
   * Steps where the first valid sample (what k = 1 would have taken) was wrong but the vote
   * decided the right answer: the errors voting removed.
   */
  readonly overruled: number;
  readonly firstOverruledStep: number | null;
  /** The step whose vote was exhausted, and the error the step fails with; null if none was. */
  readonly exhausted: { readonly step: number; readonly error: VoteExhaustedError } | null;
  /** The trajectory checker's verdict on the voted answers. */
  readonly check: HanoiCheck;
}

function ruleFor(options: SolveHanoiOptions): VoteRule {
  const maxOutputTokens = options.maxOutputTokens === undefined ? 750 : options.maxOutputTokens;
  return compileVoteRule(
    {
      k: options.k,
      maxSamples: options.maxSamples,
      ...(options.temperature === undefined ? {} : { temperature: { ...options.temperature } }),
      redFlags: {
        ...(maxOutputTokens === null ? {} : { maxOutputTokens }),
        parser: { function: 'hanoi' },
      },
    },
    { parsers: { hanoi: hanoiParser(options.disks) } },
    'hanoi',
  );
}

export function solveHanoi(options: SolveHanoiOptions): SolveHanoiResult {
  const { disks, p, seed } = options;
  if (!Number.isInteger(disks) || disks < 1 || disks > MAX_DISKS)
    throw new RangeError(`disks must be a whole number from 1 to ${MAX_DISKS}, got ${disks}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  const rule = ruleFor(options);
  const mix = options.mix ?? DEFAULT_MISTAKE_MIX;
  const totalSteps = hanoiSteps(disks);
  const checker = new HanoiChecker(disks);

  let previousMove: Move | null = null;
  let state: Pegs = initialPegs(disks);
  let samples = 0;
  let votes = 0;
  const flagged: Record<FlagReason, number> = { ...NO_FLAGS };
  const produced: Record<HanoiSampleKind, number> = {
    correct: 0,
    'wrong-move': 0,
    'corrupt-state': 0,
    'too-long': 0,
    malformed: 0,
  };
  const decidedInRound: number[] = [];
  let maxSamplesInAStep = 0;
  let errors = 0;
  let firstErrorStep: number | null = null;
  let overruled = 0;
  let firstOverruledStep: number | null = null;
  let exhausted: SolveHanoiResult['exhausted'] = null;
  let steps = 0;

  for (let step = 0; step < totalSteps; step++) {
    const correct = correctAnswer(disks, previousMove, state);
    const correctKey = correct === null ? null : canonicalJson(correct as unknown as JsonValue);
    let vote: VoteState = startVote();
    let firstVoteKey: string | null = null;
    let round = 0;
    let winner: JsonValue | null = null;
    let winnerKey = '';
    while (winner === null && exhausted === null) {
      const batch = planBatch(rule, vote);
      if (batch.length === 0) throw new Error('planBatch returned no sample for an open vote');
      round++;
      for (const request of batch) {
        const output = simulateHanoiModel({
          seed,
          step,
          sample: request.index,
          temperature: request.temperature,
          p,
          disks,
          previousMove,
          state,
          mix,
        });
        samples++;
        produced[output.kind]++;
        if (winner !== null || exhausted !== null) continue; // drawn, not added (see planBatch)
        const next = addSample(rule, vote, { text: output.text });
        vote = next.state;
        const cast = next.decisions[0];
        if (cast?.type === 'vote-flagged') flagged[cast.reason]++;
        else if (cast?.type === 'vote-cast') {
          votes++;
          firstVoteKey ??= (vote.candidates[cast.candidate] as { key: string }).key;
        }
        if (next.outcome.kind === 'decided') {
          winner = next.outcome.winner.value;
          winnerKey = next.outcome.winner.key;
        } else if (next.outcome.kind === 'exhausted') {
          exhausted = { step, error: exhaustedError(rule, vote) };
        }
      }
    }
    maxSamplesInAStep = Math.max(maxSamplesInAStep, vote.samples);
    if (winner === null) break;
    while (decidedInRound.length < round) decidedInRound.push(0);
    decidedInRound[round - 1] = (decidedInRound[round - 1] ?? 0) + 1;
    steps++;
    if (winnerKey !== correctKey) {
      errors++;
      firstErrorStep ??= step;
    } else if (firstVoteKey !== correctKey) {
      overruled++;
      firstOverruledStep ??= step;
    }
    const answer = asHanoiAnswer(winner);
    checker.step(answer);
    previousMove = answer.move;
    state = answer.next_state;
  }

  const flaggedCounts = Object.fromEntries(
    FLAG_REASONS.map((reason) => [reason, flagged[reason]]),
  ) as unknown as FlagCounts;
  return {
    disks,
    totalSteps,
    steps,
    samples,
    votes,
    flagged: flaggedCounts,
    produced,
    samplesPerStep: steps === 0 ? 0 : samples / steps,
    maxSamplesInAStep,
    decidedInRound,
    errors,
    firstErrorStep,
    overruled,
    firstOverruledStep,
    exhausted,
    check: checker.report(),
  };
}
