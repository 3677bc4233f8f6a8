import { sha256Hex } from '../core/hash.js';
import type { ModelProvider, ModelRequest, ModelResponse } from '../core/ports.js';
import type { Price } from './prices.js';
import { simulatedResponse, sleep } from './simulated.js';

/**
 * The `quiz` simulated profile: a stand-in model that answers arithmetic questions, right with a
 * probability that falls with the question's difficulty, so cascades and routing can be measured
 * offline (`switchyard bench cascade`, docs/models.md#the-quiz-profile). It is labelled simulated
 * like every simulated model.
 *
 * How it errs (the model of mistakes the scorers have to catch, honestly, without the answer key):
 * - Difficulty is the number of operators in the expression: 1 easy, 2–3 medium, 4+ hard. The
 *   per-answer error rate is the profile's `errorRate` × 0.25 (easy), × 1.2 (medium), × 2.6 (hard),
 *   capped at 0.95; on the benchmark's mix (50 % easy, 30 % medium, 20 % hard) that averages to the
 *   configured rate (0.2 → 5 %, 24 %, 52 %).
 * - A temperature-0 answer is the model's greedy answer: the same every time it is asked the same
 *   question (seeded by the question). An answer at a higher temperature is a fresh draw (seeded by
 *   the call). Given the difficulty, draws are independent.
 * - A wrong answer is malformed 30 % of the time (the number as a word-ish string, or truncated
 *   JSON: a schema check catches it). Otherwise it is a plausible slip: 40 % evaluating left to
 *   right, ignoring precedence (the same slip every time, so two wrong samples often agree), 30 %
 *   off by ±10, 30 % off by ±1.
 */

/** The question line the profile reads from the prompt. */
const EXPRESSION_LINE = /^Expression:\s*([-+*0-9 ]+)$/m;

export type QuizDifficulty = 'easy' | 'medium' | 'hard';

export const QUIZ_ERROR_MULTIPLIER: Record<QuizDifficulty, number> = {
  easy: 0.25,
  medium: 1.2,
  hard: 2.6,
};

export interface QuizModelOptions {
  name?: string;
  seed?: number;
  /** Average probability of a wrong answer on the benchmark's mix (`1 - accuracy`). */
  errorRate: number;
  price?: Price;
  latencyMs?: number | { min: number; max: number };
}

export class QuizSimulatedModel implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly price: Price | undefined;
  private readonly seed: number;
  private readonly errorRate: number;
  private readonly latency: { min: number; max: number };

  constructor(options: QuizModelOptions) {
    if (!(options.errorRate >= 0 && options.errorRate <= 1))
      throw new RangeError(`errorRate must be in [0, 1], got ${options.errorRate}`);
    this.name = options.name ?? 'quiz';
    this.seed = options.seed ?? 0;
    this.errorRate = options.errorRate;
    this.price = options.price;
    const latency = options.latencyMs ?? 0;
    this.latency = typeof latency === 'number' ? { min: latency, max: latency } : latency;
  }

  async generate(request: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    const model = `simulated:${this.name}`;
    const match = EXPRESSION_LINE.exec(request.prompt);
    // Greedy answers depend on the question only; sampled ones on the call.
    const key =
      request.temperature === 0
        ? `${this.seed}|${this.name}|greedy|${sha256Hex(request.prompt)}`
        : `${this.seed}|${this.name}|${request.sampleKey}|${request.temperature}|${sha256Hex(request.prompt)}`;
    const rng = rngFrom(key);
    const delay = this.latency.min + rng() * (this.latency.max - this.latency.min);
    if (delay > 0) await sleep(delay, signal);
    if (!match) return simulatedResponse('{"answer": null}', model, request);
    const expression = (match[1] as string).trim();
    const tokens = tokenize(expression);
    const truth = evaluate(tokens);
    const difficulty = quizDifficulty(tokens);
    const error = Math.min(0.95, this.errorRate * QUIZ_ERROR_MULTIPLIER[difficulty]);
    let text: string;
    if (rng() >= error) text = JSON.stringify({ answer: truth });
    else if (rng() < 0.3)
      text =
        rng() < 0.5
          ? JSON.stringify({ answer: `about ${truth}` })
          : JSON.stringify({ answer: truth }).slice(0, -2);
    else {
      const slip = rng();
      let wrong: number;
      if (slip < 0.4) {
        wrong = evaluateLeftToRight(tokens);
        if (wrong === truth) wrong = truth + 10;
      } else if (slip < 0.7) wrong = truth + (rng() < 0.5 ? 10 : -10);
      else wrong = truth + (rng() < 0.5 ? 1 : -1);
      text = JSON.stringify({ answer: wrong });
    }
    return simulatedResponse(text, model, request);
  }
}

type Token = number | '+' | '-' | '*';

/** Integers and + - * separated by spaces: the only syntax the quiz uses. */
export function tokenize(expression: string): Token[] {
  return expression
    .split(/\s+/)
    .filter((part) => part !== '')
    .map((part) => (part === '+' || part === '-' || part === '*' ? part : Number(part)));
}

export function quizDifficulty(tokens: readonly Token[]): QuizDifficulty {
  const operators = tokens.filter((token) => typeof token !== 'number').length;
  return operators <= 1 ? 'easy' : operators <= 3 ? 'medium' : 'hard';
}

/** With precedence: * before + and -. */
export function evaluate(tokens: readonly Token[]): number {
  const terms: number[] = [];
  let sign = 1;
  let product = tokens[0] as number;
  for (let i = 1; i < tokens.length; i += 2) {
    const op = tokens[i] as '+' | '-' | '*';
    const value = tokens[i + 1] as number;
    if (op === '*') product *= value;
    else {
      terms.push(sign * product);
      sign = op === '+' ? 1 : -1;
      product = value;
    }
  }
  terms.push(sign * product);
  return terms.reduce((a, b) => a + b, 0);
}

/** The classic slip: left to right, ignoring precedence. */
export function evaluateLeftToRight(tokens: readonly Token[]): number {
  let value = tokens[0] as number;
  for (let i = 1; i < tokens.length; i += 2) {
    const op = tokens[i] as '+' | '-' | '*';
    const next = tokens[i + 1] as number;
    value = op === '+' ? value + next : op === '-' ? value - next : value * next;
  }
  return value;
}

export interface QuizQuery {
  id: number;
  expression: string;
  difficulty: QuizDifficulty;
  answer: number;
}

/**
 * `count` questions of mixed difficulty (50 % easy, 30 % medium, 20 % hard), deterministic per seed:
 * easy ones are one + or − of two-digit numbers; medium ones 2–3 operators, one of them ×; hard
 * ones 4–5 operators with two-digit products.
 */
export function quizQueries(count: number, seed = 7): QuizQuery[] {
  const rng = rngFrom(`quiz-queries|${seed}`);
  const int = (min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
  const queries: QuizQuery[] = [];
  for (let id = 0; id < count; id++) {
    const roll = rng();
    const operators = roll < 0.5 ? 1 : roll < 0.8 ? int(2, 3) : int(4, 5);
    const tokens: Token[] = [int(10, 99)];
    let times = false;
    for (let i = 0; i < operators; i++) {
      const op: '+' | '-' | '*' =
        operators > 1 && (!times || rng() < 0.3) && rng() < 0.5 ? '*' : rng() < 0.5 ? '+' : '-';
      if (op === '*') times = true;
      tokens.push(op, op === '*' ? int(2, 19) : int(10, 99));
    }
    if (operators > 1 && !times) tokens[tokens.length - 2] = '*';
    const expression = tokens.join(' ');
    queries.push({ id, expression, difficulty: quizDifficulty(tokens), answer: evaluate(tokens) });
  }
  return queries;
}

/** mulberry32 seeded from a hash, as the other simulated models. */
function rngFrom(seedText: string): () => number {
  let state = parseInt(sha256Hex(seedText).slice(0, 8), 16) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
