import { isWorldEvent, type JournalEvent } from '../core/events.js';
import { batchBody, encodeEvent } from '../core/journal-codec.js';
import { canonicalJson, type JsonValue } from '../core/json.js';
import { RunEngine, type Decision, type EngineOptions } from './engine.js';
import { JournalInvalidError, ReplayDivergenceError } from './errors.js';
import type { WorkflowPlan } from './plan.js';

export interface ReplayResult {
  engine: RunEngine;
  events: number;
  decisionsChecked: number;
}

/** A stored batch's place in the event list and its body, as loadJournal returns them. */
export interface RecordedBatch {
  start: number;
  end: number;
  body: string;
}

function describe(event: unknown): string {
  return clip(canonicalJson(event as JsonValue));
}

/**
 * Re-drives the engine over a recorded journal with no I/O: each world event is fed in, and the
 * decisions the engine derives must equal the events recorded after it, byte for byte in canonical
 * form. Resume uses the same walk, so a resumed run has always been verified first.
 *
 * With `batches` (the stored rows), each row is checked as a whole: the events it should hold are
 * encoded as the journal writer encodes them and the text compared with the stored body, one
 * serialisation per event instead of two per decision. Only a mismatch is looked at event by event,
 * to name the first differing seq.
 */
export interface ReplayOptions {
  /** Go on from this engine (restored from a checkpoint), starting at events[from]. */
  resume?: { engine: RunEngine; from: number };
  /** Called after each recorded batch has been checked, with the index just past it. */
  onBatch?(end: number, engine: RunEngine): void;
  /** For the engine built here (not with `resume`): the vote functions its steps name. */
  engine?: EngineOptions;
}

export async function replayJournal(
  events: readonly JournalEvent[],
  plan?: WorkflowPlan,
  batches?: readonly RecordedBatch[],
  options: ReplayOptions = {},
): Promise<ReplayResult> {
  let engine: RunEngine;
  let index: number;
  if (options.resume) {
    ({ engine, from: index } = options.resume);
  } else {
    const first = events[0];
    if (first?.type !== 'run-start') {
      throw new JournalInvalidError('the journal does not begin with run-start', { seq: 0 });
    }
    engine = new RunEngine(first, plan, undefined, options.engine);
    index = 0;
  }
  const runId = engine.runId;
  let checked = 0;
  let batchIndex = batches ? batches.findIndex((batch) => batch.start >= index) : -1;
  if (batches && batchIndex === -1) batchIndex = batches.length;
  let expectedTexts: string[] = [];
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
    if (batches) expectedTexts.push(encodeEvent(event).text);
    const handled = engine.handle(event);
    const decisions: Decision[] = Array.isArray(handled) ? handled : await handled;
    index += 1;
    for (const decision of decisions) {
      const recorded = events[index];
      // Indexes are positions in `events`, which may be a journal's tail: seqs come from events.
      const seq = recorded?.seq ?? (events[index - 1] as JournalEvent).seq + 1;
      const expected = { ...decision, seq } as JsonValue;
      if (!recorded) {
        throw new ReplayDivergenceError(runId, seq, describe(expected), 'the end of the journal');
      }
      if (batches) {
        expectedTexts.push(encodeEvent(expected as unknown as JournalEvent).text);
      } else if (canonicalJson(expected) !== canonicalJson(recorded as unknown as JsonValue)) {
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
    // A batch ends after a world event's decisions, never inside them; check each one that did.
    for (;;) {
      const batch = batches?.[batchIndex];
      if (batch === undefined || batch.end > index) break;
      if (batch.end < index) {
        // The decisions of one world event ran past the end of their batch.
        throw new ReplayDivergenceError(
          runId,
          (events[batch.end] as JournalEvent).seq,
          'the decisions of the preceding world event to end a batch here',
          describe(events[batch.end]),
        );
      }
      checkBatch(runId, events, batch, expectedTexts);
      expectedTexts = [];
      batchIndex += 1;
      options.onBatch?.(batch.end, engine);
    }
  }
  return { engine, events: events.length, decisionsChecked: checked };
}

function checkBatch(
  runId: string,
  events: readonly JournalEvent[],
  batch: RecordedBatch,
  expectedTexts: readonly string[],
): void {
  if (batchBody(expectedTexts) === batch.body) return;
  const recorded = JSON.parse(batch.body) as JsonValue[];
  for (let i = 0; i < Math.max(expectedTexts.length, recorded.length); i++) {
    const want = expectedTexts[i];
    const found = recorded[i];
    if (want !== undefined && found !== undefined && want === canonicalJson(found)) continue;
    const at = events[batch.start + i];
    throw new ReplayDivergenceError(
      runId,
      at?.seq ?? (events[batch.start] as JournalEvent).seq + i,
      want === undefined ? 'the end of the batch' : clip(want),
      found === undefined ? 'the end of the batch' : describe(at ?? found),
    );
  }
  const first = events[batch.start] as JournalEvent;
  throw new ReplayDivergenceError(runId, first.seq, 'the batch as re-encoded', 'a different text');
}

function clip(text: string): string {
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}
