import type { ModelProvider, ModelRequest, ModelResponse } from '../../core/ports.js';
import { estimateTokens } from '../tokens.js';
import { DEFAULT_MISTAKE_MIX, simulateHanoiModel, type MistakeMix } from './model.js';
import type { Move, Pegs } from './state.js';

/**
 * The simulated Hanoi agent (simulateHanoiModel) as a model provider, so the Hanoi example runs
 * through the real engine: it reads the previous move and the current state out of the prompt
 * (examples/hanoi/prompts/move.md), as a model would, and answers correctly with probability p,
 * otherwise with one of the plausible mistakes. It is labelled like every simulated model: each
 * answer is `simulated: true`, from `simulated:<name>`.
 *
 * Deterministic per (seed, step, sample, temperature): a vote step's sample says which step (its
 * path) and which sample it is (`request.sample`), so mistakes are correlated within a step as the
 * paper's are, and a temperature-0 sample is the step's greedy answer. A call that is not a vote's
 * sample is keyed by its sampleKey. The output-token count is estimateTokens of the answer, the
 * count the pure driver (solveHanoi) flags long answers by.
 */
export interface HanoiModelOptions {
  /** The name steps use (`model: hanoi`); answers come from `simulated:<name>`. */
  readonly name?: string;
  readonly seed?: number | string;
  /** Probability of a correct answer (1 − the error rate). */
  readonly p: number;
  readonly mix?: MistakeMix;
}

export class HanoiSimulatedModel implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly p: number;
  private readonly seed: number | string;
  private readonly mix: MistakeMix;

  constructor(options: HanoiModelOptions) {
    if (!(options.p >= 0 && options.p <= 1))
      throw new RangeError(`p must be in [0, 1], got ${options.p}`);
    this.name = options.name ?? 'hanoi';
    this.seed = options.seed ?? 0;
    this.p = options.p;
    this.mix = options.mix ?? DEFAULT_MISTAKE_MIX;
  }

  generate(request: ModelRequest): Promise<ModelResponse> {
    const asked = readHanoiPrompt(request.prompt);
    const text =
      asked === null
        ? 'I cannot find a previous move and a current state of a Towers of Hanoi puzzle here.'
        : simulateHanoiModel({
            seed: this.seed,
            step: request.sample?.step ?? request.sampleKey,
            sample: request.sample?.index ?? 0,
            temperature: request.temperature,
            p: this.p,
            disks: asked.disks,
            previousMove: asked.previousMove,
            state: asked.state,
            mix: this.mix,
          }).text;
    return Promise.resolve({
      text,
      model: `simulated:${this.name}`,
      usage: {
        inputTokens: Math.ceil(request.prompt.length / 4),
        outputTokens: estimateTokens(text),
      },
      simulated: true,
    });
  }
}

const PREVIOUS = /Previous move:[ \t]*(None|null|\[[^\]\n]*\])/g;
const CURRENT = /Current State:[ \t]*(\[[^\n]*\])/g;

function last(pattern: RegExp, text: string): string | undefined {
  let found: string | undefined;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) found = match[1];
  return found;
}

function isWholeList(value: unknown, length?: number): value is number[] {
  return (
    Array.isArray(value) &&
    (length === undefined || value.length === length) &&
    value.every((item) => Number.isSafeInteger(item))
  );
}

/**
 * The previous move and current state a Hanoi prompt asks about (the last `Previous move: …` and
 * `Current State: …` lines; `None` or `null` for no previous move; the paper's list notation, with
 * or without spaces), and the disk count the state holds. null when the prompt has no such lines.
 */
export function readHanoiPrompt(
  prompt: string,
): { disks: number; previousMove: Move | null; state: Pegs } | null {
  const previous = last(PREVIOUS, prompt);
  const current = last(CURRENT, prompt);
  if (previous === undefined || current === undefined) return null;
  let move: unknown = null;
  let pegs: unknown;
  try {
    if (previous !== 'None' && previous !== 'null') move = JSON.parse(previous);
    pegs = JSON.parse(current);
  } catch {
    return null;
  }
  if (move !== null && !isWholeList(move, 3)) return null;
  if (!Array.isArray(pegs) || pegs.length !== 3 || !pegs.every((peg) => isWholeList(peg)))
    return null;
  const state = pegs as unknown as Pegs;
  return {
    disks: state[0].length + state[1].length + state[2].length,
    previousMove: move as Move | null,
    state,
  };
}
