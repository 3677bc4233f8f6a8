/**
 * Towers of Hanoi the MAKER way (research/seeds.md §2.1). Pegs are 0, 1, 2; disks are 1 (the
 * smallest) to N; a state lists each peg bottom → top, so the start is [[N, …, 2, 1], [], []] and
 * the goal is every disk on peg 2. A move is [disk, from peg, to peg]. The task takes 2^N − 1 moves.
 */

export type Move = readonly [disk: number, from: number, to: number];
export type Pegs = readonly [readonly number[], readonly number[], readonly number[]];

/** One agent's answer, as the parser returns it and the vote keys it. */
export interface HanoiAnswer {
  readonly move: Move;
  readonly next_state: Pegs;
}

/** 2^N − 1 becomes inexact past 2^53; 40 disks is already a trillion steps. */
export const MAX_DISKS = 40;

export function hanoiSteps(disks: number): number {
  return 2 ** disks - 1;
}

export function initialPegs(disks: number): Pegs {
  const first: number[] = [];
  for (let disk = disks; disk >= 1; disk--) first.push(disk);
  return [first, [], []];
}

export function isSolved(disks: number, pegs: Pegs): boolean {
  const goal = pegs[2];
  if (pegs[0].length !== 0 || pegs[1].length !== 0 || goal.length !== disks) return false;
  for (let i = 0; i < disks; i++) if (goal[i] !== disks - i) return false;
  return true;
}

function top(peg: readonly number[]): number | undefined {
  return peg[peg.length - 1];
}

function pegAt(pegs: Pegs, index: number): readonly number[] {
  return pegs[index as 0 | 1 | 2];
}

/**
 * `move` applied to `pegs` under the rules (the paper's simulator, toh_simulator.py `act`): the
 * disk must be the top of the source peg and may not land on a smaller disk.
 */
export function applyMove(
  disks: number,
  pegs: Pegs,
  move: Move,
): { readonly ok: true; readonly pegs: Pegs } | { readonly ok: false; readonly message: string } {
  const [disk, from, to] = move;
  if (!Number.isInteger(disk) || disk < 1 || disk > disks)
    return { ok: false, message: `disk ${disk} is not one of 1..${disks}` };
  if (!isPeg(from) || !isPeg(to)) return { ok: false, message: 'pegs must be 0, 1 or 2' };
  if (from === to) return { ok: false, message: 'from peg and to peg must differ' };
  const source = pegAt(pegs, from);
  const onTop = top(source);
  if (onTop === undefined) return { ok: false, message: `peg ${from} is empty` };
  if (onTop !== disk)
    return { ok: false, message: `disk ${disk} is not on top of peg ${from} (top is ${onTop})` };
  const below = top(pegAt(pegs, to));
  if (below !== undefined && below < disk)
    return { ok: false, message: `cannot put disk ${disk} on the smaller disk ${below}` };
  return { ok: true, pegs: moved(pegs, from, to) };
}

function isPeg(value: number): boolean {
  return value === 0 || value === 1 || value === 2;
}

/** The top disk of peg `from` moved onto peg `to`, no rule checked (a confused model does this). */
export function moved(pegs: Pegs, from: number, to: number): Pegs {
  const next = [pegs[0].slice(), pegs[1].slice(), pegs[2].slice()] as [
    number[],
    number[],
    number[],
  ];
  const disk = next[from as 0 | 1 | 2].pop();
  if (disk !== undefined) next[to as 0 | 1 | 2].push(disk);
  return next;
}

/** Disk 1 goes 0 → 1 → 2 → 0 for an even disk count, 0 → 2 → 1 → 0 for an odd one. */
export function diskOneStep(disks: number): 1 | 2 {
  return disks % 2 === 0 ? 1 : 2;
}

/**
 * The strategy the paper puts in every prompt (seeds.md §2.1), which makes the correct move a
 * function of the previous move and the current state alone: if the previous move did not move
 * disk 1 (or there is none), move disk 1 one peg "clockwise"; otherwise make the only legal move
 * that does not involve disk 1. The paper's prompt states it for an even disk count (0 → 1 → 2);
 * for an odd count the direction is reversed so the tower still ends on peg 2.
 *
 * null when the state leaves no such move (disk 1 is missing, or nothing else can move: the
 * puzzle is solved or the state is broken).
 */
export function strategyMove(disks: number, previousMove: Move | null, pegs: Pegs): Move | null {
  const one = pegs.findIndex((peg) => peg.includes(1));
  if (one === -1) return null;
  if (previousMove?.[0] !== 1) {
    return [1, one, (one + diskOneStep(disks)) % 3];
  }
  const a = (one + 1) % 3;
  const b = (one + 2) % 3;
  const topA = top(pegAt(pegs, a));
  const topB = top(pegAt(pegs, b));
  if (topA === undefined && topB === undefined) return null;
  if (topB === undefined || (topA !== undefined && topA < topB)) return [topA as number, a, b];
  return [topB, b, a];
}

/** The correct answer for a step: the strategy's move and the state it leads to. */
export function correctAnswer(
  disks: number,
  previousMove: Move | null,
  pegs: Pegs,
): HanoiAnswer | null {
  const move = strategyMove(disks, previousMove, pegs);
  if (move === null) return null;
  return { move, next_state: moved(pegs, move[1], move[2]) };
}

/** `[1, 0, 2]`, as the paper's prompts and outputs write a move (Python list syntax). */
export function formatMove(move: Move): string {
  return `[${move.join(', ')}]`;
}

/** `[[3, 2], [], [1]]`, as the paper's prompts and outputs write a state. */
export function formatPegs(pegs: Pegs): string {
  return `[${pegs.map((peg) => `[${peg.join(', ')}]`).join(', ')}]`;
}

/**
 * The agent step's input for examples/hanoi/prompts/move.md: the previous move (`None` before the
 * first move, as the paper writes it), the current state in the paper's notation, and the cycle
 * disk 1 follows (the paper's "clockwise" 0 → 1 → 2 → 0 for an even disk count).
 */
export function hanoiPromptInput(
  disks: number,
  previousMove: Move | null,
  pegs: Pegs,
): { previous_move: string; current_state: string; disk_one_cycle: string } {
  return {
    previous_move: previousMove === null ? 'None' : formatMove(previousMove),
    current_state: formatPegs(pegs),
    disk_one_cycle: diskOneStep(disks) === 1 ? '0 → 1 → 2 → 0' : '0 → 2 → 1 → 0',
  };
}
