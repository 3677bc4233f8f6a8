import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import type { ModelProvider, ModelRequest } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { ManualClock } from '../support/manual-clock.js';
import {
  echoTool,
  expectVerified,
  harness,
  ofType,
  safeTool,
  T0,
  ticks,
  trace,
  until,
  workflow,
  type HarnessOptions,
} from './harness.js';

class Crash extends Error {}

/** Starts a run whose process "dies" right after the first batch holding an event of `type`. */
async function crashAfter(
  type: JournalEvent['type'],
  options: HarnessOptions & { spec: ReturnType<typeof workflow>; prompts?: Record<string, string> },
): Promise<string> {
  const { runtime } = harness({
    ...options,
    faults: {
      afterAppend(events) {
        if (events.some((e) => e.type === type)) throw new Crash();
      },
    },
  });
  let runId = '';
  await expect(
    runtime.start(
      { spec: options.spec, ...(options.prompts ? { prompts: options.prompts } : {}) },
      {},
      { onStarted: (id) => (runId = id) },
    ),
  ).rejects.toBeInstanceOf(Crash);
  return runId;
}

/** A model that answers after a few macrotasks, recording each request. */
function slowModel(text: string) {
  const requests: ModelRequest[] = [];
  const provider: ModelProvider = {
    specificationVersion: 'v1',
    name: 'slow',
    async generate(request) {
      requests.push(request);
      await ticks(3);
      return { text, model: 'slow-1', usage: { inputTokens: 1, outputTokens: 1 } };
    },
  };
  return { provider, requests };
}

describe('resuming after a crash', () => {
  it('repeats a model call that was in flight, with a fresh deadline', async () => {
    const store = new MemoryJournalStore();
    const spec = workflow({
      name: 'ask',
      steps: [{ id: 'ask', kind: 'agent', prompt: 'p.md', timeoutMs: 30_000 }],
    });
    const prompts = { 'p.md': 'Say hello' };
    const dead = slowModel('never seen');
    const runId = await crashAfter('model-call-start', {
      store,
      spec,
      prompts,
      models: new ModelRegistry().register('default', dead.provider),
    });
    expect(dead.requests).toHaveLength(0);

    // An hour later: the recorded deadline is long past, but the repeated call gets its own 30 s.
    const live = slowModel('hello');
    const { runtime } = harness({
      store,
      clock: new ManualClock(T0 + 3_600_000),
      models: new ModelRegistry().register('default', live.provider),
    });
    const outcome = await runtime.resume(runId);

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toBe('hello');
    expect(live.requests.map((r) => r.sampleKey)).toEqual(['ask#1']);
    const events = await runtime.events(runId);
    expect(ofType(events, 'model-call-error')).toEqual([]);
    expect(ofType(events, 'model-call-start')).toHaveLength(1);
    await expectVerified(runtime, runId);
  });

  it('re-arms a pending retry timer and fires it only when it is due', async () => {
    const store = new MemoryJournalStore();
    let calls = 0;
    const flaky = () =>
      safeTool('flaky', () => {
        calls += 1;
        if (calls === 1) throw new Error('first call fails');
        return 'second time lucky';
      });
    const spec = workflow({
      name: 'retry-across-restart',
      steps: [
        {
          id: 'call',
          kind: 'tool',
          tool: 'flaky',
          retry: {
            maxAttempts: 2,
            backoff: { initialMs: 1000, factor: 2, maxMs: 1000, jitter: false },
          },
        },
      ],
    });
    const runId = await crashAfter('timer-start', { store, spec, tools: [flaky()] });
    expect(calls).toBe(1);

    const clock = new ManualClock(T0);
    const { runtime } = harness({ store, clock, tools: [flaky()] });
    const resumed = runtime.resume(runId);
    await until(() => clock.pendingTimers === 1, 'the re-armed timer');
    await ticks(5);
    expect(calls).toBe(1);
    expect(ofType(await runtime.events(runId), 'timer-fired')).toEqual([]);
    clock.advance(1000);
    const outcome = await resumed;

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toBe('second time lucky');
    const events = await runtime.events(runId);
    const [start] = ofType(events, 'timer-start');
    expect(ofType(events, 'timer-fired')).toMatchObject([{ timer: 1, at: start?.fireAt }]);
    await expectVerified(runtime, runId);
  });

  it('creates a sub-workflow run that the crash prevented, under the recorded child id', async () => {
    const store = new MemoryJournalStore();
    const spec = workflow({
      name: 'parent',
      workflows: {
        child: { name: 'child', steps: [{ id: 'e', kind: 'tool', tool: 'echo', input: 7 }] },
      },
      steps: [{ id: 'sub', kind: 'workflow', workflow: 'child' }],
    });
    const runId = await crashAfter('child-run-start', { store, spec, tools: [echoTool()] });
    const childId = ofType(await harness({ store }).runtime.events(runId), 'child-run-start')[0]
      ?.childRunId as string;
    expect(await store.getRun(childId)).toBeUndefined();

    const { runtime } = harness({ store, tools: [echoTool()] });
    const outcome = await runtime.resume(runId);

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toBe(7);
    expect((await store.getRun(childId))?.parentRunId).toBe(runId);
    await expectVerified(runtime, runId);
  });

  it('does not re-run completed steps when resuming', async () => {
    const store = new MemoryJournalStore();
    let firstCalls = 0;
    const spec = workflow({
      name: 'two-steps',
      steps: [
        { id: 'a', kind: 'tool', tool: 'count', input: 1 },
        { id: 'b', kind: 'tool', tool: 'count', input: '$.steps.a.output' },
      ],
    });
    const count = () =>
      safeTool('count', (n) => {
        firstCalls += 1;
        return (n as number) + 1;
      });
    const { runtime: dying } = harness({
      store,
      tools: [count()],
      faults: {
        afterAppend(events) {
          if (events.some((e) => e.type === 'tool-call-start' && e.path === 'b')) throw new Crash();
        },
      },
    });
    let runId = '';
    await expect(
      dying.start({ spec }, {}, { onStarted: (id) => (runId = id) }),
    ).rejects.toBeInstanceOf(Crash);
    expect(firstCalls).toBe(1);

    const { runtime } = harness({ store, tools: [count()] });
    const outcome = await runtime.resume(runId);
    expect(outcome.output).toBe(3);
    expect(firstCalls).toBe(2);
    const events = await runtime.events(runId);
    expect(trace(events).filter((t) => t === 'tool-call-start a')).toHaveLength(1);
    await expectVerified(runtime, runId);
  });

  it('cancels a waiting run: pending steps end cancelled and the run ends cancelled', async () => {
    const { runtime, store } = harness({ tools: [echoTool()] });
    const spec = workflow({ name: 'cancel-me', steps: [{ id: 'gate', kind: 'approval' }] });
    const paused = await runtime.start({ spec });
    const outcome = await runtime.cancel(paused.runId, 'changed my mind');
    expect(outcome.status).toBe('cancelled');
    expect(outcome.error).toEqual({ type: 'cancelled', message: 'changed my mind' });
    expect((await store.getRun(paused.runId))?.status).toBe('cancelled');
    const events = await runtime.events(paused.runId);
    expect(trace(events).slice(-3)).toEqual(['run-cancel', 'step-end gate', 'run-end']);
    await expectVerified(runtime, paused.runId);
  });
});
