import { isWorldEvent, type JournalEvent } from '../core/events.js';
import { canonicalJson, type JsonValue } from '../core/json.js';
import { RunEngine, type Decision } from './engine.js';
import { JournalInvalidError, ReplayDivergenceError } from './errors.js';
import type { WorkflowPlan } from './plan.js';

export interface ReplayResult {
  engine: RunEngine;
  events: number;
  decisionsChecked: number;
}

function describe(event: unknown): string {
  const text = canonicalJson(event as JsonValue);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

/**
 * Re-drives the engine over a recorded journal with no I/O: each world event is fed in, and the
 * decisions the engine derives must equal the events recorded after it, byte for byte in canonical
 * form. Resume uses the same walk, so a resumed run has always been verified first.
 */
export async function replayJournal(
  events: readonly JournalEvent[],
  plan?: WorkflowPlan,
): Promise<ReplayResult> {
  const first = events[0];
  if (first?.type !== 'run-start') {
    throw new JournalInvalidError('the journal does not begin with run-start', { seq: 0 });
  }
  const runId = first.runId;
  const engine = new RunEngine(first, plan);
  let index = 0;
  let checked = 0;
  while (index < events.length) {
    const event = events[index] as JournalEvent;
    if (!isWorldEvent(event)) {
      throw new ReplayDivergenceError(
        runId,
        event.seq,
        'a world event (nothing left to decide)',
        describe(event),
      );
    }
    const decisions: Decision[] = await engine.handle(event);
    index += 1;
    for (const decision of decisions) {
      const recorded = events[index];
      const expected = { ...decision, seq: recorded?.seq ?? index } as JsonValue;
      if (!recorded) {
        throw new ReplayDivergenceError(runId, index, describe(expected), 'the end of the journal');
      }
      if (canonicalJson(expected) !== canonicalJson(recorded as unknown as JsonValue)) {
        throw new ReplayDivergenceError(
          runId,
          recorded.seq,
          describe(expected),
          describe(recorded),
        );
      }
      index += 1;
      checked += 1;
    }
  }
  return { engine, events: events.length, decisionsChecked: checked };
}
