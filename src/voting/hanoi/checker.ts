import {
  applyMove,
  formatMove,
  formatPegs,
  hanoiSteps,
  initialPegs,
  isSolved,
  strategyMove,
  type HanoiAnswer,
  type Move,
  type Pegs,
} from './state.js';

/**
 * The trajectory checker: a simulator that replays the voted (move, next_state) answers from the
 * start and reports the first error. State in the run is carried by the voted outputs, never
 * recomputed (seeds.md §2.1); this is the independent check afterwards. It is streaming — it keeps
 * the true state and the previous move, nothing per step — so it checks a million steps in O(N)
 * memory, fed as the answers are decided or read back from a journal.
 */

export type HanoiErrorKind =
  /** The move breaks the rules in the true state (not the top disk, onto a smaller disk, …). */
  | 'illegal-move'
  /** A legal move, but not the strategy's: the solution would not be the optimal 2^N − 1 moves. */
  | 'wrong-move'
  /** next_state is not the true state after the move. */
  | 'wrong-state'
  /** More answers than the 2^N − 1 steps of the task. */
  | 'extra-step'
  /** The answers ended before the puzzle was solved. */
  | 'unfinished';

export interface HanoiError {
  /** 0-based index of the step (answer) that is wrong; the step count for `unfinished`. */
  readonly step: number;
  readonly kind: HanoiErrorKind;
  readonly message: string;
}

export interface HanoiCheck {
  readonly ok: boolean;
  readonly disks: number;
  /** Answers checked. */
  readonly steps: number;
  readonly solved: boolean;
  readonly firstError: HanoiError | null;
}

function sameMove(a: Move, b: Move): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}

export function samePegs(a: Pegs, b: Pegs): boolean {
  for (let peg = 0; peg < 3; peg++) {
    const x = a[peg as 0 | 1 | 2];
    const y = b[peg as 0 | 1 | 2];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

export class HanoiChecker {
  private pegs: Pegs;
  private previous: Move | null = null;
  private count = 0;
  private error: HanoiError | null = null;
  private readonly total: number;

  constructor(readonly disks: number) {
    this.pegs = initialPegs(disks);
    this.total = hanoiSteps(disks);
  }

  /** Checks the next answer. After the first error the rest are only counted. */
  step(answer: HanoiAnswer): void {
    const step = this.count++;
    if (this.error !== null) return;
    const fail = (kind: HanoiErrorKind, message: string): void => {
      this.error = { step, kind, message: `step ${step}: ${message}` };
    };
    if (step >= this.total) {
      fail('extra-step', `the task has ${this.total} steps; this answer is one too many`);
      return;
    }
    const applied = applyMove(this.disks, this.pegs, answer.move);
    if (!applied.ok) {
      fail('illegal-move', `move ${formatMove(answer.move)} is illegal: ${applied.message}`);
      return;
    }
    const expected = strategyMove(this.disks, this.previous, this.pegs);
    if (expected === null || !sameMove(expected, answer.move)) {
      fail(
        'wrong-move',
        `move ${formatMove(answer.move)} is legal but the strategy's move is ${expected === null ? 'none' : formatMove(expected)}`,
      );
      return;
    }
    if (!samePegs(applied.pegs, answer.next_state)) {
      fail(
        'wrong-state',
        `next_state ${formatPegs(answer.next_state)} should be ${formatPegs(applied.pegs)}`,
      );
      return;
    }
    this.pegs = applied.pegs;
    this.previous = answer.move;
  }

  report(): HanoiCheck {
    const solved = this.error === null && isSolved(this.disks, this.pegs);
    let firstError = this.error;
    if (firstError === null && !solved) {
      firstError = {
        step: this.count,
        kind: 'unfinished',
        message: `the answers stop after ${this.count} of ${this.total} steps, before the puzzle is solved`,
      };
    }
    return { ok: firstError === null, disks: this.disks, steps: this.count, solved, firstError };
  }
}

/** Checks a whole trajectory (any iterable, so it can stream from a journal). */
export function checkHanoiTrajectory(disks: number, answers: Iterable<HanoiAnswer>): HanoiCheck {
  const checker = new HanoiChecker(disks);
  for (const answer of answers) checker.step(answer);
  return checker.report();
}
