import { describe, expect, it } from 'vitest';
import {
  expectedCost,
  expectedSamplesPerStep,
  expectedVotesExact,
  kMin,
  pFull,
  planVote,
  stepSuccess,
  VoteCannotConvergeError,
  VoteOutOfRangeError,
} from '../../src/voting/index.js';

/** research/seeds.md §2.5, the paper's model table (Fig. 6): 1 − p and k_min at s = 2^20 − 1, t = 0.95. */
const PAPER_TABLE: ReadonlyArray<[model: string, errorRate: number, kMin: number]> = [
  ['gpt-4.1-nano', 0.3571, 29],
  ['gpt-4.1-mini (τ=1.0)', 0.004, 4],
  ['gpt-4.1-mini (τ=0.1)', 0.0022, 3],
  ['o3-mini (low)', 0.0018, 3],
  ['haiku-4.5', 0.1839, 12],
  ['gpt-oss-20B', 0.0358, 6],
  ['qwen3', 0.2342, 15],
  ['deepseek-v3.1', 0.0569, 6],
  ['kimi-k2', 0.0393, 6],
];

const HANOI_20 = 2 ** 20 - 1;

describe('kMin reproduces the paper', () => {
  it.each(PAPER_TABLE)('%s: 1 − p = %f → k_min = %i', (_model, errorRate, expected) => {
    expect(kMin(1 - errorRate, HANOI_20, 0.95)).toBe(expected);
  });

  it('llama-3.2-3B (1 − p = 1.0) has no k_min: voting cannot converge', () => {
    expect(() => kMin(0, HANOI_20, 0.95)).toThrow(VoteOutOfRangeError);
    expect(() => kMin(1e-9, HANOI_20, 0.95)).toThrow(VoteCannotConvergeError);
  });

  it('is the smallest k whose p_full reaches the target', () => {
    for (const [, errorRate] of PAPER_TABLE) {
      const p = 1 - errorRate;
      const k = kMin(p, HANOI_20, 0.95);
      expect(pFull(p, k, HANOI_20)).toBeGreaterThanOrEqual(0.95);
      if (k > 1) expect(pFull(p, k - 1, HANOI_20)).toBeLessThan(0.95);
    }
  });

  it('grows like ln s', () => {
    const ks = [1e2, 1e4, 1e6, 1e8].map((s) => kMin(0.9, s, 0.95));
    expect(ks).toEqual([...ks].sort((a, b) => a - b));
    expect(ks[3]! - ks[0]!).toBeLessThanOrEqual(7);
  });

  it('is 1 when p = 1 or the target is already met by one vote', () => {
    expect(kMin(1, HANOI_20, 0.95)).toBe(1);
    expect(kMin(0.999, 1, 0.5)).toBe(1);
  });
});

describe('the formulas', () => {
  it('stepSuccess and pFull', () => {
    expect(stepSuccess(0.75, 1)).toBeCloseTo(0.75, 12);
    expect(stepSuccess(0.75, 2)).toBeCloseTo(1 / (1 + 1 / 9), 12);
    expect(pFull(0.75, 2, 3)).toBeCloseTo(0.9 ** 3, 12);
    expect(pFull(0.9978, 3, HANOI_20)).toBeCloseTo(0.98882, 4); // seeds.md: ≈ 0.989
    expect(pFull(1, 1, HANOI_20)).toBe(1);
  });

  it("expected samples per step: the paper's k / (v(2p − 1)) and the exact two-candidate value", () => {
    expect(expectedSamplesPerStep(0.75, 3)).toBeCloseTo(6, 12);
    expect(expectedSamplesPerStep(0.75, 3, 0.5)).toBeCloseTo(12, 12);
    // Gambler's ruin: k(1 − r^k) / ((2p − 1)(1 + r^k)), r = 1/3, k = 1 → 1 vote.
    expect(expectedVotesExact(0.75, 1)).toBeCloseTo(1, 12);
    expect(expectedVotesExact(0.75, 2)).toBeCloseTo((2 * (1 - 1 / 9)) / (0.5 * (1 + 1 / 9)), 12);
    expect(expectedVotesExact(0.9978, 3)).toBeLessThan(expectedSamplesPerStep(0.9978, 3));
    expect(expectedVotesExact(1, 4)).toBe(4);
  });

  it("expected cost: gpt-4.1-mini at the paper's prices (output tokens only, v = 1)", () => {
    const c = (538 * 1.6) / 1e6;
    const cost = expectedCost(0.9978, 3, HANOI_20, c);
    // seeds.md §2.4: the formula lands 1.14–1.44x below the paper's $3.5K.
    expect(3500 / cost).toBeGreaterThan(1.14);
    expect(3500 / cost).toBeLessThan(1.44);
  });

  it('planVote puts them together', () => {
    expect(planVote({ p: 0.9978, steps: HANOI_20, target: 0.95, costPerSample: 2 })).toEqual({
      kMin: 3,
      pFull: pFull(0.9978, 3, HANOI_20),
      expectedSamplesPerStep: expectedSamplesPerStep(0.9978, 3),
      expectedCost: 2 * HANOI_20 * expectedSamplesPerStep(0.9978, 3),
    });
  });
});

describe('edge cases are typed errors', () => {
  it('p ≤ 0.5: VOTE_CANNOT_CONVERGE, with why', () => {
    for (const p of [0.5, 0.3]) {
      const error = (() => {
        try {
          kMin(p, 100, 0.9);
        } catch (caught) {
          return caught as VoteCannotConvergeError;
        }
        throw new Error('no error');
      })();
      expect(error).toBeInstanceOf(VoteCannotConvergeError);
      expect(error.code).toBe('VOTE_CANNOT_CONVERGE');
      expect(error.message).toMatch(/cannot converge.*p ≤ 0\.5/);
    }
    expect(() => pFull(0.5, 3, 10)).toThrow(VoteCannotConvergeError);
    expect(() => expectedSamplesPerStep(0.2, 3)).toThrow(VoteCannotConvergeError);
  });

  it.each([
    ['p above 1', () => kMin(1.1, 10, 0.9), 'p'],
    ['p NaN', () => kMin(Number.NaN, 10, 0.9), 'p'],
    ['t = 1', () => kMin(0.9, 10, 1), 't'],
    ['t = 0', () => kMin(0.9, 10, 0), 't'],
    ['s fractional', () => kMin(0.9, 10.5, 0.9), 's'],
    ['s = 0', () => pFull(0.9, 3, 0), 's'],
    ['k = 0', () => pFull(0.9, 0, 10), 'k'],
    ['c negative', () => expectedCost(0.9, 3, 10, -1), 'c'],
    ['v = 0', () => expectedSamplesPerStep(0.9, 3, 0), 'v'],
  ])('%s: VOTE_OUT_OF_RANGE naming the parameter', (_name, call, path) => {
    expect(call).toThrow(VoteOutOfRangeError);
    try {
      call();
    } catch (error) {
      expect((error as VoteOutOfRangeError).code).toBe('VOTE_OUT_OF_RANGE');
      expect((error as VoteOutOfRangeError).path).toBe(path);
    }
  });
});
