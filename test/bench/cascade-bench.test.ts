// Issue #7's benchmark (switchyard bench cascade): 1,000 quiz questions of mixed difficulty through
// the engine on the two simulated profiles the issue sets, the agreement cascade against each model
// alone. The numbers are deterministic per seed, so the goal is checked here, not just printed.
import { describe, expect, it } from 'vitest';
import {
  evaluate,
  evaluateLeftToRight,
  QuizSimulatedModel,
  quizDifficulty,
  quizQueries,
  tokenize,
} from '../../src/providers/quiz.js';
import { runCascadeBench } from '../../src/runtime/cascade-bench.js';

describe('the quiz profile', () => {
  it('evaluates with precedence, and its classic slip ignores it', () => {
    const tokens = tokenize('12 + 3 * 4 - 5');
    expect(evaluate(tokens)).toBe(19);
    expect(evaluateLeftToRight(tokens)).toBe(55);
    expect(quizDifficulty(tokens)).toBe('medium');
    expect(quizDifficulty(tokenize('40 - 7'))).toBe('easy');
  });

  it('makes questions of mixed difficulty, the same ones for the same seed', () => {
    const queries = quizQueries(1000, 7);
    expect(quizQueries(1000, 7)).toEqual(queries);
    const count = (d: string): number => queries.filter((q) => q.difficulty === d).length;
    expect(count('easy')).toBeGreaterThan(400);
    expect(count('medium')).toBeGreaterThan(200);
    expect(count('hard')).toBeGreaterThan(120);
  });

  it('gives the same greedy answer each time and fresh draws at higher temperatures', async () => {
    const model = new QuizSimulatedModel({ name: 'cheap', errorRate: 0.9 });
    const prompt = 'Expression: 12 + 3 * 4 - 5 * 2 + 7';
    const ask = (temperature: number, sampleKey: string) =>
      model.generate(
        { model: 'cheap', prompt, temperature, sampleKey },
        new AbortController().signal,
      );
    const greedy = await Promise.all([ask(0, 'a'), ask(0, 'b'), ask(0, 'c')]);
    expect(new Set(greedy.map((r) => r.text)).size).toBe(1);
    const sampled = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(0.7, `s${i}`)));
    expect(new Set(sampled.map((r) => r.text)).size).toBeGreaterThan(1);
    expect(greedy[0].simulated).toBe(true);
    expect(greedy[0].model).toBe('simulated:cheap');
  });
});

describe('switchyard bench cascade', () => {
  it('meets the goal on 1,000 questions: within 1 pp of the expensive model at <= 40 % of its cost', async () => {
    const report = await runCascadeBench({ queries: 1000, seed: 7 });
    const { cheap, expensive } = report.results;
    // The profiles are what the issue sets, on this mix.
    expect(cheap.accuracy).toBeGreaterThan(0.76);
    expect(cheap.accuracy).toBeLessThan(0.84);
    expect(expensive.accuracy).toBeGreaterThan(0.965);
    expect(report.goal.withinAccuracy).toBe(true);
    expect(report.goal.withinCost).toBe(true);
    // Schema validity alone catches only malformed answers: it is cheaper and clearly worse.
    expect(report.results['cascade-schema'].accuracy).toBeLessThan(expensive.accuracy - 0.03);
  }, 60_000);
});
