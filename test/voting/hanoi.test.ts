import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPrompt } from '../../src/executor/prompt.js';
import {
  applyMove,
  checkHanoiTrajectory,
  correctAnswer,
  HanoiChecker,
  hanoiPromptInput,
  hanoiSteps,
  initialPegs,
  isSolved,
  parseHanoiAnswer,
  simulateHanoiModel,
  solveHanoi,
  strategyMove,
  type HanoiAnswer,
  type Move,
  type Pegs,
} from '../../src/voting/hanoi/index.js';
import { repoRoot } from '../support/cli.js';

/** The strategy's whole trajectory, generated step by step from (previous move, state). */
function* strategyTrajectory(disks: number): Generator<HanoiAnswer> {
  let previous: Move | null = null;
  let pegs: Pegs = initialPegs(disks);
  for (let step = 0; step < hanoiSteps(disks); step++) {
    const answer: HanoiAnswer = correctAnswer(disks, previous, pegs)!;
    yield answer;
    previous = answer.move;
    pegs = answer.next_state;
  }
}

describe('Hanoi state and the strategy', () => {
  it('the strategy solves 1 to 12 disks in exactly 2^N − 1 legal moves, ending on peg 2', () => {
    for (let disks = 1; disks <= 12; disks++) {
      const check = checkHanoiTrajectory(disks, strategyTrajectory(disks));
      expect(check).toEqual({
        ok: true,
        disks,
        steps: 2 ** disks - 1,
        solved: true,
        firstError: null,
      });
    }
  });

  it("is the paper's rule: disk 1 clockwise (even N), otherwise the only other legal move", () => {
    expect(strategyMove(4, null, [[4, 3, 2, 1], [], []])).toEqual([1, 0, 1]);
    expect(strategyMove(4, [1, 0, 1], [[4, 3, 2], [1], []])).toEqual([2, 0, 2]);
    expect(strategyMove(4, [2, 0, 2], [[4, 3], [1], [2]])).toEqual([1, 1, 2]);
    expect(strategyMove(3, null, [[3, 2, 1], [], []])).toEqual([1, 0, 2]); // odd: 0 → 2 → 1
  });

  it('matches the 3-disk solution in the prompt and the paper simulator', () => {
    expect([...strategyTrajectory(3)].map((answer) => answer.move)).toEqual([
      [1, 0, 2],
      [2, 0, 1],
      [1, 2, 1],
      [3, 0, 2],
      [1, 1, 0],
      [2, 1, 2],
      [1, 0, 2],
    ]);
  });

  it('applyMove enforces the rules', () => {
    const pegs: Pegs = [[3, 2], [1], []];
    expect(applyMove(3, pegs, [2, 0, 1])).toEqual({
      ok: false,
      message: 'cannot put disk 2 on the smaller disk 1',
    });
    expect(applyMove(3, pegs, [3, 0, 2])).toMatchObject({
      ok: false,
      message: 'disk 3 is not on top of peg 0 (top is 2)',
    });
    expect(applyMove(3, pegs, [1, 2, 0])).toMatchObject({ ok: false, message: 'peg 2 is empty' });
    expect(applyMove(3, pegs, [2, 0, 2])).toEqual({ ok: true, pegs: [[3], [1], [2]] });
    expect(isSolved(3, [[], [], [3, 2, 1]])).toBe(true);
  });
});

describe("the paper's red-flag parser", () => {
  it('takes the last move and next_state, in the Python list notation', () => {
    const text = 'Maybe move = [9, 9, 9]? No.\nmove = [1, 0, 2]\nnext_state = [[3, 2], [], [1]]';
    expect(parseHanoiAnswer(text, 3)).toEqual({
      ok: true,
      value: { move: [1, 0, 2], next_state: [[3, 2], [], [1]] },
    });
    expect(parseHanoiAnswer('MOVE=[1,0,2] NEXT_STATE=[ [3,2] , [ ] , [1] ]', 3).ok).toBe(true);
  });

  it.each([
    ['next_state = [[3, 2], [], [1]]', /no 'move/],
    ['move = [1, 0, 2]', /no 'next_state/],
    ['move = [1, 0]\nnext_state = [[3, 2], [], [1]]', /exactly 3 integers/],
    ['move = [1, 0, x]\nnext_state = [[3, 2], [], [1]]', /exactly 3 integers/],
    ['move = [1, 0, 2]\nnext_state = [[3, 2], [1]]', /no 'next_state/],
    ['move = [1, 0, 2]\nnext_state = [[3, 2], [], [1.5]]', /must be integers/],
    ['move = [1, 0, 2]\nnext_state = [[3], [], [1]]', /1\.\.3 exactly once/],
    ['move = [1, 0, 2]\nnext_state = [[3, 2, 1], [], [1]]', /1\.\.3 exactly once/],
    ['move = [1, 0, 2]\nnext_state = [[3, 2], [], [4]]', /1\.\.3 exactly once/],
  ])('flags %j', (text, message) => {
    const result = parseHanoiAnswer(text, 3);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('checks form, not rules: a broken but complete state passes (the checker catches it)', () => {
    expect(parseHanoiAnswer('move = [3, 0, 2]\nnext_state = [[1, 2], [], [3]]', 3).ok).toBe(true);
  });
});

describe('the trajectory checker reports the first error', () => {
  const run = (edit: (answers: HanoiAnswer[]) => void): ReturnType<typeof checkHanoiTrajectory> => {
    const answers = [...strategyTrajectory(4)];
    edit(answers);
    return checkHanoiTrajectory(4, answers);
  };

  it.each([
    ['illegal-move', (a: HanoiAnswer[]) => (a[5] = { ...a[5]!, move: [4, 0, 2] })],
    [
      'wrong-move',
      (a: HanoiAnswer[]) => (a[2] = { move: [1, 1, 0], next_state: [[4, 3], [], [2, 1]] }),
    ],
    [
      'wrong-state',
      (a: HanoiAnswer[]) => (a[7] = { ...a[7]!, next_state: [[], [4, 3, 2, 1], []] }),
    ],
    ['extra-step', (a: HanoiAnswer[]) => a.push(a[0]!)],
    ['unfinished', (a: HanoiAnswer[]) => a.pop()],
  ])('%s', (kind, edit) => {
    const check = run(edit);
    expect(check.ok).toBe(false);
    expect(check.firstError?.kind).toBe(kind);
  });

  it('streams: a later error does not hide the first one', () => {
    const checker = new HanoiChecker(4);
    const answers = [...strategyTrajectory(4)];
    answers.forEach((answer, step) =>
      checker.step(
        step === 3 || step === 9 ? { ...answer, next_state: [[4, 3, 2, 1], [], []] } : answer,
      ),
    );
    expect(checker.report().firstError).toMatchObject({ step: 3, kind: 'wrong-state' });
    expect(checker.report().steps).toBe(15);
  });
});

describe('the simulated model', () => {
  const base = { seed: 42, p: 0.5, disks: 4, previousMove: null, state: initialPegs(4) } as const;

  it('is deterministic per (seed, step, sample, temperature, p)', () => {
    const a = simulateHanoiModel({ ...base, step: 3, sample: 2, temperature: 0.1 });
    expect(simulateHanoiModel({ ...base, step: 3, sample: 2, temperature: 0.1 })).toEqual(a);
  });

  it('temperature 0 is greedy: the same answer for every sample index of a step', () => {
    const texts = new Set(
      [0, 1, 2, 3].map(
        (sample) => simulateHanoiModel({ ...base, step: 5, sample, temperature: 0 }).text,
      ),
    );
    expect(texts.size).toBe(1);
    const warm = new Set(
      [0, 1, 2, 3, 4, 5, 6, 7].map(
        (sample) => simulateHanoiModel({ ...base, step: 5, sample, temperature: 0.1 }).kind,
      ),
    );
    expect(warm.size).toBeGreaterThan(1);
  });

  it('answers correctly with probability p; mistakes are correlated within a step', () => {
    const counts: Record<string, number> = {};
    const wrongPerStep = new Map<number, Set<string>>();
    for (let step = 0; step < 4000; step++) {
      for (let sample = 1; sample <= 5; sample++) {
        const out = simulateHanoiModel({ ...base, p: 0.9, step, sample, temperature: 0.1 });
        counts[out.kind] = (counts[out.kind] ?? 0) + 1;
        if (out.kind === 'wrong-move') {
          const set = wrongPerStep.get(step) ?? new Set();
          set.add(out.text.split('\n').slice(1).join('\n'));
          wrongPerStep.set(step, set);
        }
      }
    }
    expect((counts.correct ?? 0) / 20000).toBeGreaterThan(0.89);
    expect((counts.correct ?? 0) / 20000).toBeLessThan(0.91);
    for (const kind of ['wrong-move', 'corrupt-state', 'too-long', 'malformed'])
      expect(counts[kind]).toBeGreaterThan(150);
    for (const answers of wrongPerStep.values()) expect(answers.size).toBe(1);
  });

  it("writes the paper's output format; mistakes are plausible and the red flags catch the right ones", () => {
    const seen: Record<string, { parses: boolean; tokens: number }> = {};
    for (let step = 0; step < 400; step++) {
      const out = simulateHanoiModel({ ...base, p: 0.2, step, sample: 1, temperature: 0.1 });
      seen[out.kind] ??= { parses: parseHanoiAnswer(out.text, 4).ok, tokens: out.text.length };
    }
    expect(seen.correct?.parses).toBe(true);
    expect(seen['wrong-move']?.parses).toBe(true);
    expect(seen['corrupt-state']?.parses).toBe(true);
    expect(seen.malformed?.parses).toBe(false);
    expect(seen['too-long']?.parses).toBe(true); // only the length flag stops it
    const correct = simulateHanoiModel({ ...base, p: 1, step: 0, sample: 0, temperature: 0 });
    expect(correct.text).toMatch(
      /\nmove = \[1, 0, 1\]\nnext_state = \[\[4, 3, 2\], \[1\], \[\]\]$/,
    );
  });
});

describe('solveHanoi: 10 disks (1,023 steps) at 1 − p = 0.01', () => {
  const seeds = [1, 2, 3, 4, 5];
  const options = { disks: 10, p: 0.99, maxSamples: 50 } as const;

  it('k = 3: zero errors, the trajectory checks, every step decided', () => {
    for (const seed of seeds) {
      const result = solveHanoi({ ...options, k: 3, seed });
      expect(result.steps).toBe(1023);
      expect(result.errors).toBe(0);
      expect(result.exhausted).toBeNull();
      expect(result.check).toEqual({
        ok: true,
        disks: 10,
        steps: 1023,
        solved: true,
        firstError: null,
      });
      expect(result.samplesPerStep).toBeGreaterThanOrEqual(3);
      expect(result.samplesPerStep).toBeLessThan(3.2);
      expect(result.samples).toBe(
        result.votes + result.flagged['too-long'] + result.flagged.unparseable,
      );
      expect(result.decidedInRound.reduce((a, b) => a + b, 0)).toBe(1023);
      expect(result.decidedInRound.length).toBeLessThanOrEqual(50); // counters, not per-step history
    }
  });

  it('k = 1: the same model makes errors and the checker finds them', () => {
    for (const seed of seeds) {
      const result = solveHanoi({ ...options, k: 1, seed });
      expect(result.errors).toBeGreaterThan(0);
      expect(result.check.ok).toBe(false);
      expect(result.check.firstError?.step).toBe(result.firstErrorStep);
    }
  });

  it('voting is what removes them: k = 3 overrules exactly the first answer k = 1 got wrong', () => {
    for (const seed of seeds) {
      const single = solveHanoi({ ...options, k: 1, seed });
      const voted = solveHanoi({ ...options, k: 3, seed });
      // Same model, same samples in the same order (the first valid sample is what k = 1 takes):
      // the first step k = 1 gets wrong is a step where k = 3 saw the same wrong first vote and
      // the vote overruled it.
      expect(voted.firstOverruledStep).toBe(single.firstErrorStep);
      expect(voted.overruled).toBeGreaterThan(0);
      expect(voted.errors).toBe(0);
    }
  });

  it('red flags discard samples before they vote', () => {
    const result = solveHanoi({ ...options, k: 3, seed: 1 });
    expect(result.flagged['too-long']).toBe(result.produced['too-long']);
    expect(result.flagged.unparseable).toBe(result.produced.malformed);
    const unflagged = solveHanoi({ ...options, k: 3, seed: 1, maxOutputTokens: null });
    expect(unflagged.flagged['too-long']).toBe(0);
    expect(unflagged.votes).toBeGreaterThan(result.votes - result.flagged['too-long']);
  });

  it('a too-small sample cap ends the run with VOTE_EXHAUSTED and the counts', () => {
    const result = solveHanoi({ disks: 10, p: 0.6, k: 3, maxSamples: 3, seed: 1 });
    expect(result.exhausted?.error.code).toBe('VOTE_EXHAUSTED');
    expect(result.exhausted?.error.message).toMatch(
      /^no answer led every other by 3 votes after 3 samples: .* had 2 votes, .* had 1 vote/,
    );
    expect(result.steps).toBe(result.exhausted?.step);
    expect(result.check.firstError?.kind).toBe('unfinished');
  });
});

describe('the prompt file', () => {
  const template = readFileSync(path.join(repoRoot, 'examples/hanoi/prompts/move.md'), 'utf8');

  it("has the paper's structure and renders from hanoiPromptInput", () => {
    expect(template).toMatch(/^# System$/m);
    expect(template).toMatch(/^# User$/m);
    expect(template).toContain('move = [disk id, from peg, to peg]');
    const rendered = renderPrompt(template, hanoiPromptInput(20, [1, 0, 1], [[20, 19], [1], []]));
    expect(rendered.ok).toBe(true);
    if (!rendered.ok) return;
    expect(rendered.text).toContain('Previous move: [1, 0, 1]\nCurrent State: [[20, 19], [1], []]');
    expect(rendered.text).toContain('0 → 1 → 2 → 0');
    const first = renderPrompt(template, hanoiPromptInput(3, null, initialPegs(3)));
    expect(first.ok && first.text).toContain(
      'Previous move: None\nCurrent State: [[3, 2, 1], [], []]',
    );
  });
});
