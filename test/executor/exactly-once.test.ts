import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import type { JournalStore, ToolContext, ToolDefinition } from '../../src/core/ports.js';
import { idempotencyKey } from '../../src/executor/engine.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import {
  echoTool,
  expectVerified,
  harness,
  never,
  ofType,
  stepEnd,
  tempSqlite,
  ticks,
  trace,
  until,
  workflow,
  type TempSqlite,
} from './harness.js';
import { ManualClock } from '../support/manual-clock.js';

const spec = workflow({
  name: 'charge',
  steps: [
    { id: 'charge', kind: 'tool', tool: 'pay', input: { cents: '$.input.cents' } },
    { id: 'receipt', kind: 'tool', tool: 'echo', input: { paid: '$.steps.charge.output' } },
  ],
});

/** A payment tool that records every call it receives. */
function payTool(retry: 'safe' | 'unsafe', result: () => unknown = () => ({ id: 'ch_1' })) {
  const calls: ToolContext[] = [];
  const tool: ToolDefinition = {
    name: 'pay',
    retry,
    execute: (_input, ctx) => {
      calls.push(ctx);
      return result();
    },
  };
  return { tool, calls };
}

class Crash extends Error {}

/**
 * Runs until the batch holding the charge's tool-call-start is durable, then "dies" before the call is
 * made (the afterAppend fault hook throws), leaving a start with no end in the journal.
 */
async function crashAfterStart(store: JournalStore, retry: 'safe' | 'unsafe'): Promise<string> {
  const dying = payTool(retry);
  const { runtime } = harness({
    store,
    tools: [dying.tool, echoTool()],
    faults: {
      afterAppend(events: readonly JournalEvent[]) {
        if (events.some((e) => e.type === 'tool-call-start' && e.path === 'charge'))
          throw new Crash();
      },
    },
  });
  let runId = '';
  await expect(
    runtime.start({ spec }, { cents: 500 }, { onStarted: (id) => (runId = id) }),
  ).rejects.toBeInstanceOf(Crash);
  expect(dying.calls).toHaveLength(0);
  return runId;
}

describe('exactly-once tool calls across a crash', () => {
  let db: TempSqlite | undefined;
  afterEach(() => {
    db?.cleanup();
    db = undefined;
  });

  it('surfaces an interrupted unsafe call as outcome-unknown and does not call it again', async () => {
    const store = new MemoryJournalStore();
    const runId = await crashAfterStart(store, 'unsafe');
    const revived = payTool('unsafe');
    const { runtime } = harness({ store, tools: [revived.tool, echoTool()] });

    const outcome = await runtime.resume(runId);

    expect(outcome.status).toBe('outcome-unknown');
    expect(outcome.pending).toEqual([
      expect.objectContaining({ runId, path: 'charge', kind: 'outcome-unknown' }),
    ]);
    expect(revived.calls).toHaveLength(0);
    expect((await store.getRun(runId))?.status).toBe('outcome-unknown');
    const events = await runtime.events(runId);
    expect(trace(events).slice(-2)).toEqual([
      'tool-call-interrupted charge',
      'outcome-unknown charge',
    ]);
    const [start] = ofType(events, 'tool-call-start');
    expect(ofType(events, 'outcome-unknown')).toMatchObject([
      { path: 'charge', attempt: 1, tool: 'pay', key: start?.key },
    ]);
    // Resuming again changes nothing and still calls nothing.
    const again = await runtime.resume(runId);
    expect(again.status).toBe('outcome-unknown');
    expect(revived.calls).toHaveLength(0);
    await expectVerified(runtime, runId);
  });

  it("resolveOutcome 'complete' records the operator's value as the step output", async () => {
    const store = new MemoryJournalStore();
    const runId = await crashAfterStart(store, 'unsafe');
    const revived = payTool('unsafe');
    const { runtime } = harness({ store, tools: [revived.tool, echoTool()] });
    await runtime.resume(runId);

    const done = await runtime.resolveOutcome(runId, 'charge', 'complete', { id: 'ch_manual' });

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ paid: { id: 'ch_manual' } });
    expect(revived.calls).toHaveLength(0);
    const events = await runtime.events(runId);
    expect(ofType(events, 'outcome-decision')).toMatchObject([
      { path: 'charge', action: 'complete' },
    ]);
    expect(stepEnd(events, 'charge').output).toEqual({ id: 'ch_manual' });
    await expectVerified(runtime, runId);
  });

  it("resolveOutcome 'retry' calls the tool again with the same idempotency key", async () => {
    const store = new MemoryJournalStore();
    const runId = await crashAfterStart(store, 'unsafe');
    const revived = payTool('unsafe', () => ({ id: 'ch_retry' }));
    const { runtime } = harness({ store, tools: [revived.tool, echoTool()] });
    await runtime.resume(runId);

    const done = await runtime.resolveOutcome(runId, 'charge', 'retry');

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ paid: { id: 'ch_retry' } });
    const events = await runtime.events(runId);
    const starts = ofType(events, 'tool-call-start').filter((e) => e.path === 'charge');
    expect(starts).toHaveLength(2);
    expect(starts[1]?.key).toBe(starts[0]?.key);
    expect(starts[1]?.attempt).toBe(1);
    expect(revived.calls.map((c) => [c.idempotencyKey, c.attempt])).toEqual([[starts[0]?.key, 1]]);
    expect(starts[0]?.key).toBe(idempotencyKey(runId, 'charge', 1));
    await expectVerified(runtime, runId);
  });

  it("resolveOutcome 'fail' fails the step without calling the tool", async () => {
    const store = new MemoryJournalStore();
    const runId = await crashAfterStart(store, 'unsafe');
    const revived = payTool('unsafe');
    const { runtime } = harness({ store, tools: [revived.tool, echoTool()] });
    await runtime.resume(runId);
    const done = await runtime.resolveOutcome(runId, 'charge', 'fail');
    expect(done.status).toBe('failed');
    expect(done.error?.type).toBe('outcome-unknown');
    expect(revived.calls).toHaveLength(0);
    await expectVerified(runtime, runId);
  });

  it('re-calls an interrupted safe tool automatically with the same key', async () => {
    const store = new MemoryJournalStore();
    const runId = await crashAfterStart(store, 'safe');
    const revived = payTool('safe');
    const { runtime } = harness({ store, tools: [revived.tool, echoTool()] });

    const done = await runtime.resume(runId);

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ paid: { id: 'ch_1' } });
    const events = await runtime.events(runId);
    const [first] = ofType(events, 'tool-call-start');
    expect(revived.calls.map((c) => [c.idempotencyKey, c.attempt])).toEqual([[first?.key, 1]]);
    expect(ofType(events, 'outcome-unknown')).toHaveLength(0);
    expect(ofType(events, 'tool-call-interrupted')).toMatchObject([{ path: 'charge', attempt: 1 }]);
    await expectVerified(runtime, runId);
  });

  it('does not call an unsafe tool twice when the process died after it acted (SQLite)', async () => {
    db = tempSqlite();
    const firstStore = db.open();
    const first = payTool('unsafe', never); // acts, then the process dies before it returns
    const one = harness({ store: firstStore, tools: [first.tool, echoTool()] });
    let runId = '';
    void one.runtime.start({ spec }, { cents: 1 }, { onStarted: (id) => (runId = id) });
    await until(() => first.calls.length === 1, 'the first call');
    // The first "process" is abandoned mid-call; a second one opens the same file.
    const secondStore = db.open();
    const revived = payTool('unsafe');
    const two = harness({ store: secondStore, tools: [revived.tool, echoTool()] });

    const outcome = await two.runtime.resume(runId);

    expect(outcome.status).toBe('outcome-unknown');
    expect(revived.calls).toHaveLength(0);
    const done = await two.runtime.resolveOutcome(runId, 'charge', 'complete', { id: 'seen' });
    expect(done.status).toBe('completed');
    expect(revived.calls).toHaveLength(0);
    expect(first.calls).toHaveLength(1);
    await expectVerified(two.runtime, runId);
    await secondStore.close();
    await firstStore.close();
  });

  it('gives a re-issued call a fresh deadline measured from when it is re-issued', async () => {
    const store = new MemoryJournalStore();
    const timed = workflow({
      name: 'timed-charge',
      steps: [{ id: 'charge', kind: 'tool', tool: 'pay', timeoutMs: 60_000 }],
    });
    const one = harness({
      store,
      tools: [payTool('unsafe').tool],
      faults: {
        afterAppend(events) {
          if (events.some((e) => e.type === 'tool-call-start')) throw new Crash();
        },
      },
    });
    let runId = '';
    await expect(
      one.runtime.start({ spec: timed }, {}, { onStarted: (id) => (runId = id) }),
    ).rejects.toBeInstanceOf(Crash);
    // The operator comes back a day later; the retried call takes a moment (well within 60 s).
    const slow = payTool('unsafe', () => ticks(3).then(() => ({ id: 'late' })));
    const later = harness({
      store,
      tools: [slow.tool],
      clock: new ManualClock(one.clock.now() + 86_400_000),
    });
    await later.runtime.resume(runId);

    const done = await later.runtime.resolveOutcome(runId, 'charge', 'retry');

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ id: 'late' });
    const starts = ofType(await later.runtime.events(runId), 'tool-call-start');
    expect(starts).toHaveLength(2);
    expect(starts.map((s) => (s.timeoutAt ?? 0) - s.at)).toEqual([60_000, 60_000]);
    await expectVerified(later.runtime, runId);
  });

  it("refuses a non-JSON value for 'complete', before recording anything", async () => {
    const store = new MemoryJournalStore();
    const runId = await crashAfterStart(store, 'unsafe');
    const { runtime } = harness({ store, tools: [payTool('unsafe').tool, echoTool()] });
    await runtime.resume(runId);
    const before = (await runtime.events(runId)).length;
    await expect(
      runtime.resolveOutcome(runId, 'charge', 'complete', {
        n: Number.NaN,
      }),
    ).rejects.toMatchObject({ code: 'VALUE_NOT_JSON' });
    expect(await runtime.events(runId)).toHaveLength(before);
    await expectVerified(runtime, runId);
  });
});
