// What one step of the chain writes, taken from a real journal rather than assumed: the raw SQLite
// floors insert exactly these rows, so "close to raw SQLite" compares like with like.
import type { JournalStore, StoredEvent } from '../../src/index.js';
import { chainSpec, noopTool, sy } from './switchyard.js';

export interface StepShape {
  /** Rows one mid-chain transaction inserts into events (one driver tick = one append). */
  events: StoredEvent[];
  /** Appends (hence transactions) per step over the whole run, start and end included. */
  appendsPerStep: number;
  runId: string;
  workflow: string;
  specHash: string;
}

export async function stepShape(steps = 21): Promise<StepShape> {
  const store = new sy.MemoryJournalStore();
  const appends: Array<{ from: number; count: number }> = [];
  const runtime = new sy.Runtime({
    store,
    tools: [noopTool],
    onEvents: (_runId, events) => {
      const first = events[0];
      if (first) appends.push({ from: first.seq, count: events.length });
    },
  });
  const outcome = await runtime.start({ spec: chainSpec(steps) });
  if (outcome.status !== 'completed') throw new Error(`shape run ended ${outcome.status}`);
  const middle = appends[Math.floor(appends.length / 2)];
  if (!middle) throw new Error('the shape run appended nothing');
  const stored = await store.read(outcome.runId, middle.from);
  const run = await store.getRun(outcome.runId);
  if (!run) throw new Error('the shape run has no record');
  return {
    events: stored.slice(0, middle.count),
    appendsPerStep: appends.length / steps,
    runId: run.runId,
    workflow: run.workflow,
    specHash: run.specHash,
  };
}

/** Creates the shape's run in a store with its first event, so later appends continue at seq 1. */
export async function seedRun(store: JournalStore, shape: StepShape): Promise<void> {
  const [first] = shape.events;
  if (!first) throw new Error('the step shape has no events');
  await store.append({
    runId: shape.runId,
    expectedSeq: 0,
    events: [{ ...first, seq: 0 }],
    blobs: [],
    status: 'running',
    at: 0,
    create: {
      runId: shape.runId,
      workflow: shape.workflow,
      specHash: shape.specHash,
      parentRunId: null,
      createdAt: 0,
    },
  });
}
