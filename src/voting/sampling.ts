import type { VoteRule } from './rule.js';
import { votesNeeded, type VoteState } from './vote.js';

/**
 * The sampling plan: which samples to draw next, at which temperature. The paper draws k samples
 * in parallel for each step, the first at temperature 0 (so the model's best guess is among the
 * votes) and the rest at 0.1, then more rounds only for the rare undecided steps.
 */

/** One sample to draw: its index and temperature. */
export interface SampleRequest {
  readonly index: number;
  readonly temperature: number;
}

/** Sample 0 at the first temperature (the paper: 0), every later one at the later temperature. */
export function sampleTemperature(rule: VoteRule, index: number): number {
  return index === 0 ? rule.sampling.firstTemperature : rule.sampling.laterTemperature;
}

/**
 * The next parallel batch, once every sample requested before has been added: `votesNeeded`
 * samples (so with k = 3 the first batch is 3, the paper's "at least three in parallel"), never past
 * the sample cap nor `maxParallel`. Empty once the vote has ended. A batch that comes back with a
 * winner before its last sample leaves the rest unused: they are drawn (and cost) but not added.
 */
export function planBatch(rule: VoteRule, state: VoteState): SampleRequest[] {
  const size = Math.min(
    votesNeeded(rule, state),
    rule.maxSamples - state.samples,
    rule.sampling.maxParallel ?? Number.POSITIVE_INFINITY,
  );
  const batch: SampleRequest[] = [];
  for (let i = 0; i < size; i++) {
    const index = state.samples + i;
    batch.push({ index, temperature: sampleTemperature(rule, index) });
  }
  return batch;
}
