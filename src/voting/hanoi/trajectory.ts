import type { JournalEvent } from '../../core/events.js';
import { HanoiChecker, type HanoiCheck } from './checker.js';
import { parseHanoiAnswer } from './parser.js';
import type { HanoiAnswer } from './state.js';
import { defineVoteParser, type VoteParserDefinition } from '../functions.js';

/**
 * The Hanoi example through the engine: its vote parser, registered by name, and the trajectory
 * read back out of a run's journal for the checker.
 */

/**
 * The paper's red-flag parser as a registered vote parser (`parser: { function: hanoi }`): the
 * disk count comes from the vote step's input (`disks`), so one registration serves any size.
 */
export const hanoiVoteParser: VoteParserDefinition = defineVoteParser({
  name: 'hanoi',
  version: '1',
  description: "Towers of Hanoi: the last 'move = [...]' and 'next_state = [[...], [...], [...]]'",
  parse: (text, input) => {
    const disks =
      typeof input === 'object' && input !== null && !Array.isArray(input) ? input.disks : null;
    if (typeof disks !== 'number' || !Number.isSafeInteger(disks) || disks < 1)
      return { ok: false, message: "the vote step's input has no whole number `disks`" };
    return parseHanoiAnswer(text, disks);
  },
});

/**
 * The voted answers of a Hanoi run, in move order: the outputs of the completed vote steps whose
 * id is `step` (`moves/<iteration>/move`), in journal order, which for a loop is move order.
 * Streams: it holds nothing between events.
 */
export function* votedAnswers(
  events: Iterable<JournalEvent>,
  step = 'move',
): Generator<HanoiAnswer> {
  const suffix = `/${step}`;
  for (const event of events) {
    if (event.type !== 'step-end' || event.status !== 'completed') continue;
    if (!event.path.endsWith(suffix) || event.output === undefined) continue;
    yield event.output as unknown as HanoiAnswer;
  }
}

/** Checks a Hanoi run's whole trajectory from its journal with the simulator (HanoiChecker). */
export function checkHanoiRun(
  disks: number,
  events: Iterable<JournalEvent>,
  step = 'move',
): HanoiCheck {
  const checker = new HanoiChecker(disks);
  for (const answer of votedAnswers(events, step)) checker.step(answer);
  return checker.report();
}
