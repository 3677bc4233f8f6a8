import type { JsonValue } from '../../core/json.js';
import type { OutputParser, ParseResult } from '../parsers.js';
import type { HanoiAnswer, Move, Pegs } from './state.js';

/**
 * The paper's red-flag parser for a Hanoi answer (`parse_move_state_flag` in the authors'
 * maker_playground/parsers.py; research/seeds.md §2.3), as a user parser for a vote:
 *
 * - the last `move = [...]` (case-insensitive) must be a list of exactly 3 integers;
 * - the last `next_state = [[...], [...], [...]]` must be exactly three lists of integers;
 * - the state must hold each disk 1..N exactly once.
 *
 * Like the paper's, it checks form, not the rules: a move of a disk that is not on top, or a state
 * with a large disk on a small one, passes here and is caught by the vote or, afterwards, by the
 * trajectory checker. Integers are decimal (`-?\d+`), as the models write them.
 */

const MOVE = /\bmove\b\s*=\s*(\[[^[\]]*\])/gis;
const NEXT_STATE =
  /\bnext_state\b\s*=\s*(\[\s*\[[^[\]]*\]\s*,\s*\[[^[\]]*\]\s*,\s*\[[^[\]]*\]\s*\])/gis;

function lastGroup(pattern: RegExp, text: string): string | undefined {
  let found: string | undefined;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) found = match[1];
  return found;
}

/**
 * `[1, 2, 3]` → [1, 2, 3]; `[]` → []; null when an entry is not a decimal integer (`-?\d+`, spaces
 * around it allowed, a trailing comma too, as in Python). A scanner, not split-and-regex: this runs on every sample of a million steps.
 */
function integers(list: string): number[] | null {
  const out: number[] = [];
  const end = list.length - 1; // the closing bracket
  let i = 1;
  for (;;) {
    while (i < end && isSpace(list.charCodeAt(i))) i++;
    if (i === end) return out; // `[]`, or a trailing comma (Python's literal_eval allows it)
    let sign = 1;
    if (list.charCodeAt(i) === 0x2d) {
      sign = -1;
      i++;
    }
    const digitsAt = i;
    let value = 0;
    for (let code = list.charCodeAt(i); code >= 0x30 && code <= 0x39; code = list.charCodeAt(++i))
      value = value * 10 + (code - 0x30);
    if (i === digitsAt) return null;
    out.push(sign * value);
    while (i < end && isSpace(list.charCodeAt(i))) i++;
    if (i === end) return out;
    if (list.charCodeAt(i) !== 0x2c) return null;
    i++;
  }
}

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

export function parseHanoiAnswer(text: string, disks: number): ParseResult {
  const moveText = lastGroup(MOVE, text);
  if (moveText === undefined) return { ok: false, message: "no 'move = [...]' found" };
  const stateText = lastGroup(NEXT_STATE, text);
  if (stateText === undefined)
    return { ok: false, message: "no 'next_state = [[...], [...], [...]]' found" };
  const move = integers(moveText);
  if (move?.length !== 3)
    return { ok: false, message: "'move' must be a list of exactly 3 integers" };
  const pegs: number[][] = [];
  for (const peg of stateText.slice(1, -1).match(/\[[^[\]]*\]/g) ?? []) {
    const disksOnPeg = integers(peg);
    if (disksOnPeg === null)
      return { ok: false, message: "all entries in 'next_state' must be integers" };
    pegs.push(disksOnPeg);
  }
  const seen = new Uint8Array(disks + 1);
  let count = 0;
  for (const peg of pegs) {
    for (const disk of peg) {
      count++;
      if (!Number.isSafeInteger(disk) || disk < 1 || disk > disks || seen[disk] === 1) {
        return { ok: false, message: `the state must hold the disks 1..${disks} exactly once` };
      }
      seen[disk] = 1;
    }
  }
  if (count !== disks)
    return { ok: false, message: `the state must hold the disks 1..${disks} exactly once` };
  const answer: HanoiAnswer = {
    move: move as unknown as Move,
    next_state: pegs as unknown as Pegs,
  };
  return { ok: true, value: answer as unknown as JsonValue };
}

/** The parser for an N-disk vote. */
export function hanoiParser(disks: number): OutputParser {
  return (text) => parseHanoiAnswer(text, disks);
}

/** A parsed vote value back as a Hanoi answer (the parser produced it, so the shape holds). */
export function asHanoiAnswer(value: JsonValue): HanoiAnswer {
  return value as unknown as HanoiAnswer;
}
