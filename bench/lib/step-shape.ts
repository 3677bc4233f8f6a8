// What one step of the chain writes, taken from a real journal rather than assumed: the raw SQLite
// floors insert exactly these rows, so "close to raw SQLite" compares like with like.
import type { JournalStore, StoredBatch } from '../../src/index.js';
import { chainSpec, noopTool, sy } from './switchyard.js';

export interface StepShape {
  /** The row one mid-chain transaction inserts (one driver tick = one append = one batch). */
  batch: StoredBatch;
  /** Events in that batch. */
  eventsPerBatch: number;
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
  const [batch] = await store.read(outcome.runId, middle.from);
  const run = await store.getRun(outcome.runId);
  if (!run || !batch) throw new Error('the shape run has no record');
  return {
    batch,
    eventsPerBatch: middle.count,
    appendsPerStep: appends.length / steps,
    runId: run.runId,
    workflow: run.workflow,
    specHash: run.specHash,
  };
}

/** Creates the shape's run in a store with one batch, so later appends continue after it. */
export async function seedRun(store: JournalStore, shape: StepShape): Promise<void> {
  await store.append({
    runId: shape.runId,
    expectedSeq: 0,
    batches: [{ ...shape.batch, seq: 0, lastSeq: shape.eventsPerBatch - 1 }],
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
