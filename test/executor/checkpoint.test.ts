// Resume starts from the run's last checkpoint (an engine snapshot stored with a batch) and replays
// only what came after it; `replay --verify` still re-derives everything and must agree with every
// checkpoint it finds.
import { describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import type { StoredBatch } from '../../src/core/ports.js';
import { echoTool, harness, workflow } from './harness.js';

/** A memory store that records where each read starts. */
class ReadLog extends MemoryJournalStore {
  readonly reads: number[] = [];
  override async read(runId: string, fromSeq = 0, limit?: number): Promise<StoredBatch[]> {
    this.reads.push(fromSeq);
    return super.read(runId, fromSeq, limit);
  }
}

const spec = workflow({
  name: 'long-then-approve',
  steps: [
    {
      id: 'loop',
      kind: 'loop',
      maxIterations: 60,
      steps: [{ id: 'step', kind: 'tool', tool: 'echo', input: { prev: '$.previous' } }],
    },
    { id: 'review', kind: 'approval', message: 'ok?', after: ['loop'] },
    { id: 'after', kind: 'tool', tool: 'echo', input: '$.steps.review.output', after: ['review'] },
  ],
});

async function pausedRun(store: MemoryJournalStore) {
  const { runtime } = harness({ store, tools: [echoTool()], checkpointBytes: 4096 });
  const paused = await runtime.start({ spec });
  expect(paused.status).toBe('waiting');
  return { runtime, runId: paused.runId };
}

/** Puts `state` in as the run's checkpoint at its head (the only place one can be added). */
async function replaceCheckpoint(
  runtime: Awaited<ReturnType<typeof pausedRun>>['runtime'],
  runId: string,
  state: string,
): Promise<number> {
  const head = (await runtime.getRun(runId)).headSeq;
  await runtime.store.append({
    runId,
    expectedSeq: head + 1,
    batches: [],
    blobs: [],
    at: 0,
    checkpoint: { seq: head, state },
  });
  return head;
}

describe('checkpoints', () => {
  it('a long run writes checkpoints; deciding it replays only the batches after the last one', async () => {
    const store = new ReadLog();
    const { runtime, runId } = await pausedRun(store);
    const checkpoint = await store.readCheckpoint(runId);
    expect(checkpoint?.seq).toBeGreaterThan(100);
    store.reads.length = 0;
    const done = await runtime.approve(runId, 'review', { approved: true });
    expect(done.status).toBe('completed');
    expect(store.reads[0]).toBe(checkpoint?.seq);
    const report = await runtime.verify(runId);
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('resuming from a checkpoint and from the whole journal give the same run', async () => {
    const a = await pausedRun(new MemoryJournalStore());
    const b = await pausedRun(new MemoryJournalStore());
    // b loses its checkpoint (an unreadable one is ignored): it must replay from seq 0.
    await replaceCheckpoint(b.runtime, b.runId, 'not json');
    const doneA = await a.runtime.approve(a.runId, 'review', { approved: true });
    const doneB = await b.runtime.approve(b.runId, 'review', { approved: true });
    expect(doneB).toEqual({ ...doneA, runId: b.runId });
    expect(await b.runtime.events(b.runId)).toEqual(await a.runtime.events(a.runId));
  });

  it('verify reports a checkpoint that differs from what the journal derives', async () => {
    const store = new MemoryJournalStore();
    const { runtime, runId } = await pausedRun(store);
    // A checkpoint can only be added at the run's head: put a well-formed but forged one there (an
    // earlier state, with the engine's clock moved on by a millisecond).
    const checkpoint = await store.readCheckpoint(runId);
    if (!checkpoint) throw new Error('no checkpoint');
    const forged = checkpoint.state.replace(
      /"at":(\d+)/,
      (_, at: string) => `"at":${Number(at) + 1}`,
    );
    expect(forged).not.toBe(checkpoint.state);
    const head = await replaceCheckpoint(runtime, runId, forged);
    const report = await runtime.verify(runId);
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('JOURNAL_INVALID');
    expect(report.error?.message).toContain(`checkpoint at seq ${head} differs`);
  });

  it('a checkpoint keeps only what settled steps still need: state, attempt and output', async () => {
    const store = new MemoryJournalStore();
    const { runId } = await pausedRun(store);
    const checkpoint = await store.readCheckpoint(runId);
    if (!checkpoint) throw new Error('no checkpoint');
    const nodes: Array<Record<string, unknown>> = [];
    const walk = (frame: { nodes: Array<Record<string, unknown> | null> }): void => {
      for (const node of frame.nodes) {
        if (!node) continue;
        nodes.push(node);
        for (const child of (node.children as (typeof frame)[] | undefined) ?? []) walk(child);
      }
    };
    walk(
      (JSON.parse(checkpoint.state) as { engine: { root: Parameters<typeof walk>[0] } }).engine
        .root,
    );
    const settled = nodes.filter((node) => node.state === 'completed');
    expect(settled.length).toBeGreaterThan(0);
    for (const node of settled) {
      expect(node).not.toHaveProperty('input');
      expect(node).not.toHaveProperty('lastCall');
      // Fields at their new-node value are left out rather than written as null.
      expect(Object.values(node)).not.toContain(null);
    }
  });

  it('a checkpoint from an older snapshot format is skipped: resume replays, verify passes', async () => {
    const store = new ReadLog();
    const { runtime, runId } = await pausedRun(store);
    const checkpoint = await store.readCheckpoint(runId);
    if (!checkpoint) throw new Error('no checkpoint');
    const older = checkpoint.state.replace(/"v":\d+/, '"v":1');
    expect(older).not.toBe(checkpoint.state);
    await replaceCheckpoint(runtime, runId, older);
    expect((await runtime.verify(runId)).ok).toBe(true);
    store.reads.length = 0;
    const done = await runtime.approve(runId, 'review', { approved: true });
    expect(done.status).toBe('completed');
    expect(store.reads).toContain(0); // after trying the checkpoint, the whole journal
    expect((await runtime.verify(runId)).ok).toBe(true);
  });
});
