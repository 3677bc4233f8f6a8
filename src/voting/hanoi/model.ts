import { sha256Hex } from '../../core/hash.js';
import {
  correctAnswer,
  diskOneStep,
  formatMove,
  formatPegs,
  moved,
  type HanoiAnswer,
  type Move,
  type Pegs,
} from './state.js';

/**
 * A simulated Hanoi agent: a pure function of (seed, step, sample index, temperature, p) and the
 * agent's input (the previous move and the current state it was given), for tests and benchmarks
 * without a provider. It answers correctly with probability p, and otherwise makes one of four
 * plausible mistakes, so that red flags and voting both do real work:
 *
 * - `wrong-move`: a legal-looking move that is not the strategy's (disk 1 the wrong way, disk 1
 *   twice in a row, the non-disk-1 move reversed), with the state that move would give;
 * - `corrupt-state`: the right move, but next_state puts the moved disk on the wrong peg;
 * - `too-long`: a rambling answer far past 750 tokens, ending in the step's wrong move;
 * - `malformed`: no next_state, a two-number move, a dropped disk, a state with two pegs, or JSON
 *   instead of the `move = …` / `next_state = …` lines.
 *
 * Mistakes are correlated, as the paper's are: within a step, every `wrong-move` (and `too-long`)
 * sample gives the *same* wrong answer and every `corrupt-state` sample the same wrong state, so
 * wrong answers pile up on one candidate (the paper's two-candidate race) instead of scattering.
 * Temperature 0 is greedy decoding: a temperature-0 sample depends on (seed, step) only, whatever
 * its index, while each sample at a temperature above 0 is an independent draw. p does not depend
 * on the temperature (the paper measured it at 0.1).
 *
 * The randomness is SHA-256 of the inputs (core/hash.ts), cut into 32-bit words: no Math.random,
 * and the same inputs give the same text on every machine.
 */

export type HanoiSampleKind = 'correct' | 'wrong-move' | 'corrupt-state' | 'too-long' | 'malformed';

/** How a wrong sample (probability 1 − p) is split between the mistakes; weights, any scale. */
export interface MistakeMix {
  readonly wrongMove: number;
  readonly corruptState: number;
  readonly tooLong: number;
  readonly malformed: number;
}

/** 60% of mistakes reach the vote, 40% are red-flagged (when the flags are on). */
export const DEFAULT_MISTAKE_MIX: MistakeMix = {
  wrongMove: 0.4,
  corruptState: 0.2,
  tooLong: 0.2,
  malformed: 0.2,
};

export interface HanoiModelInput {
  readonly seed: number | string;
  /**
   * The step: its 0-based move number, or any string naming it (the engine's simulated model uses
   * the vote step's path). Only its identity matters: it keys the randomness.
   */
  readonly step: number | string;
  /** Index of the sample within the step's vote. */
  readonly sample: number;
  readonly temperature: number;
  /** Probability of a correct answer, 0..1. */
  readonly p: number;
  readonly disks: number;
  readonly previousMove: Move | null;
  readonly state: Pegs;
  readonly mix?: MistakeMix;
}

export interface HanoiModelOutput {
  readonly text: string;
  /** What the simulation meant to produce; for statistics only, never for deciding. */
  readonly kind: HanoiSampleKind;
}

/** Uniform numbers in [0, 1) from the 32-bit words of a SHA-256 digest (8 per digest). */
function uniforms(key: string): number[] {
  const hex = sha256Hex(key);
  const out: number[] = [];
  for (let i = 0; i < 64; i += 8) out.push(parseInt(hex.slice(i, i + 8), 16) / 0x1_0000_0000);
  return out;
}

function at(values: readonly number[], index: number): number {
  return values[index] ?? 0;
}

function pick<T>(options: readonly T[], u: number): T {
  return options[Math.min(options.length - 1, Math.floor(u * options.length))] as T;
}

function answerText(reason: string, answer: HanoiAnswer): string {
  return `${reason}\nmove = ${formatMove(answer.move)}\nnext_state = ${formatPegs(answer.next_state)}`;
}

function reasonFor(previousMove: Move | null, move: Move, u: number): string {
  if (previousMove === null)
    return pick(
      [
        'There is no previous move, so disk 1 moves first.',
        'No previous move: I start by moving disk 1.',
      ],
      u,
    );
  if (move[0] === 1)
    return pick(
      [
        'The previous move did not move disk 1, so disk 1 moves one peg clockwise.',
        `Disk 1 goes next, from peg ${move[1]} to peg ${move[2]}.`,
      ],
      u,
    );
  return pick(
    [
      'The previous move moved disk 1, so I make the only legal move that does not involve disk 1.',
      `Disk 1 just moved; the only other legal move is disk ${move[0]}.`,
    ],
    u,
  );
}

/** The step's wrong move: one fixed choice per (seed, step) among the plausible alternatives. */
function wrongAnswer(disks: number, state: Pegs, correct: HanoiAnswer, u: number): HanoiAnswer {
  const [disk, from, to] = correct.move;
  const alternatives: Move[] = [];
  if (disk === 1) {
    // Disk 1 the other way round; or the other kind of move, made out of turn.
    alternatives.push([1, from, (from + 3 - diskOneStep(disks)) % 3]);
    const a = (from + 1) % 3;
    const b = (from + 2) % 3;
    const topA = state[a as 0 | 1 | 2].at(-1);
    const topB = state[b as 0 | 1 | 2].at(-1);
    if (topA !== undefined && (topB === undefined || topA < topB)) alternatives.push([topA, a, b]);
    else if (topB !== undefined) alternatives.push([topB, b, a]);
  } else {
    // Disk 1 twice in a row; or the forced move reversed (a large disk onto a small one).
    const one = state.findIndex((peg) => peg.at(-1) === 1);
    if (one !== -1) alternatives.push([1, one, (one + diskOneStep(disks)) % 3]);
    const reverse = state[to as 0 | 1 | 2].at(-1);
    if (reverse !== undefined) alternatives.push([reverse, to, from]);
  }
  const move = alternatives.length === 0 ? ([disk, to, from] as Move) : pick(alternatives, u);
  return { move, next_state: moved(state, move[1], move[2]) };
}

/** The right move, with the moved disk on the third peg in next_state. */
function corruptAnswer(state: Pegs, correct: HanoiAnswer): HanoiAnswer {
  const [, from, to] = correct.move;
  return { move: correct.move, next_state: moved(state, from, 3 - from - to) };
}

function tooLongText(answer: HanoiAnswer, state: Pegs): string {
  const paragraphs: string[] = [];
  for (let i = 0; i < 40; i++) {
    const peg = i % 3;
    paragraphs.push(
      `Wait, let me re-check peg ${peg} again. It holds ${formatMove(state[peg as 0 | 1 | 2].slice(-3) as unknown as Move)} from the bottom up, ` +
        `so the top disk there is ${state[peg as 0 | 1 | 2].at(-1) ?? 'nothing'}. Hmm, but then the rule about disk 1 might mean something else here.`,
    );
  }
  return `${paragraphs.join('\n')}\nAfter reconsidering everything:\nmove = ${formatMove(answer.move)}\nnext_state = ${formatPegs(answer.next_state)}`;
}

function malformedText(answer: HanoiAnswer, variant: number): string {
  const move = formatMove(answer.move);
  const pegs = answer.next_state;
  switch (variant) {
    case 0:
      return `I will move the disk now.\nmove = ${move}`;
    case 1:
      return `move = [${answer.move[1]}, ${answer.move[2]}]\nnext_state = ${formatPegs(pegs)}`;
    case 2: {
      const dropped = pegs.map((peg) => peg.filter((disk) => disk !== answer.move[0]));
      return `move = ${move}\nnext_state = ${formatPegs(dropped as unknown as Pegs)}`;
    }
    case 3:
      return `move = ${move}\nnext_state = [${formatPegs(pegs).slice(1, -1).split('], [').slice(0, 2).join('], [')}]]`;
    default:
      return JSON.stringify({ move: answer.move, next_state: pegs });
  }
}

export function simulateHanoiModel(input: HanoiModelInput): HanoiModelOutput {
  const { seed, step, sample, temperature, p, disks, previousMove, state } = input;
  const draw = uniforms(
    temperature === 0
      ? `hanoi|${seed}|${step}|greedy`
      : `hanoi|${seed}|${step}|t${temperature}|${sample}`,
  );
  const correct = correctAnswer(disks, previousMove, state);
  if (correct === null) {
    // The state it was given leaves no move (only after earlier errors): a confused answer.
    return { text: 'There is no legal move to make here.', kind: 'malformed' };
  }
  if (at(draw, 0) < p) {
    return {
      text: answerText(reasonFor(previousMove, correct.move, at(draw, 1)), correct),
      kind: 'correct',
    };
  }
  const mix = input.mix ?? DEFAULT_MISTAKE_MIX;
  const total = mix.wrongMove + mix.corruptState + mix.tooLong + mix.malformed;
  const u = at(draw, 2) * total;
  const perStep = (): number[] => uniforms(`hanoi|${seed}|${step}|mistake`);
  if (u < mix.wrongMove) {
    const wrong = wrongAnswer(disks, state, correct, at(perStep(), 0));
    return {
      text: answerText(reasonFor(previousMove, wrong.move, at(draw, 1)), wrong),
      kind: 'wrong-move',
    };
  }
  if (u < mix.wrongMove + mix.corruptState) {
    return {
      text: answerText(
        reasonFor(previousMove, correct.move, at(draw, 1)),
        corruptAnswer(state, correct),
      ),
      kind: 'corrupt-state',
    };
  }
  if (u < mix.wrongMove + mix.corruptState + mix.tooLong) {
    return {
      text: tooLongText(wrongAnswer(disks, state, correct, at(perStep(), 0)), state),
      kind: 'too-long',
    };
  }
  return { text: malformedText(correct, Math.floor(at(draw, 3) * 5)), kind: 'malformed' };
}
