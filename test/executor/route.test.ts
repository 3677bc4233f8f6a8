// The `route` step kind: the pure router (src/routing/) driven by the engine, with every routing
// decision journaled, tool health shared by a Runtime's runs and kept in its store, and the model
// asked only when no path is left.
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import type { JsonValue } from '../../src/core/json.js';
import type { ModelProvider, ModelRequest } from '../../src/core/ports.js';
import type { WorkflowSpec } from '../../src/core/spec.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { SimulatedModel } from '../../src/providers/simulated.js';
import { TOOL_HEALTH_KEY, ToolHealthTable } from '../../src/runtime/health.js';
import { viewRun } from '../../src/runtime/run-view.js';
import { ManualClock } from '../support/manual-clock.js';
import {
  copyRun,
  expectVerified,
  harness,
  never,
  ofType,
  safeTool,
  stepEnd,
  T0,
  tempSqlite,
  unsafeTool,
  until,
  workflow,
  type HarnessOptions,
} from './harness.js';

type Behaviour = 'ok' | 'fail';

/** Tools that record every call (by tool name) and fail while told to. */
function toolbox(names: string[], failing: string[] = []) {
  const calls: string[] = [];
  const inputs: JsonValue[] = [];
  const keys: string[] = [];
  const behaviour = new Map<string, Behaviour>(
    names.map((n) => [n, failing.includes(n) ? 'fail' : 'ok']),
  );
  const tools = names.map((name) =>
    safeTool(name, (input, ctx) => {
      calls.push(name);
      inputs.push(input);
      keys.push(ctx.idempotencyKey);
      if (behaviour.get(name) === 'fail') throw new Error(`${name} is down`);
      return { by: name };
    }),
  );
  return {
    tools,
    calls,
    inputs,
    keys,
    set: (name: string, b: Behaviour) => behaviour.set(name, b),
    count: (name: string) => calls.filter((c) => c === name).length,
  };
}

/** A model that answers from a script, recording each request. */
function scripted(...answers: string[]) {
  const requests: ModelRequest[] = [];
  const provider: ModelProvider = {
    specificationVersion: 'v1',
    name: 'scripted',
    async generate(request) {
      requests.push(request);
      const text = answers[requests.length - 1] ?? answers[answers.length - 1] ?? '';
      return { text, model: 'scripted-1', usage: { inputTokens: 1, outputTokens: 1 } };
    },
  };
  return { models: new ModelRegistry().register('default', provider), requests };
}

/**
 * Start → A → B → Goal (cheapest), Start → A → C → Goal (dearer), Start → D → Goal (dearest).
 * Node ids are capitalised, their tools lower case.
 */
const diamond = {
  nodes: [
    { id: 'Start' },
    { id: 'A', tool: 'a' },
    { id: 'B', tool: 'b' },
    { id: 'C', tool: 'c' },
    { id: 'D', tool: 'd' },
    { id: 'Goal', tool: 'goal' },
  ],
  edges: [
    { from: 'Start', to: 'A', cost: 1 },
    { from: 'A', to: 'B', cost: 1 },
    { from: 'A', to: 'C', cost: 2 },
    { from: 'B', to: 'Goal', cost: 1 },
    { from: 'C', to: 'Goal', cost: 1 },
    { from: 'Start', to: 'D', cost: 5 },
    { from: 'D', to: 'Goal', cost: 5 },
  ],
};
const TOOLS = ['a', 'b', 'c', 'd', 'goal'];

function routeSpec(extra: Record<string, unknown> = {}, graph: unknown = diamond): WorkflowSpec {
  return workflow({
    name: 'routed',
    steps: [
      {
        id: 'go',
        kind: 'route',
        graph,
        start: 'Start',
        goal: 'Goal',
        input: { order: '$.input.order' },
        request: { text: 'refund order', amount: '$.input.amount' },
        ...extra,
      },
    ],
    output: '$.steps.go.output',
  });
}

const nodesCalled = (events: readonly JournalEvent[]) =>
  ofType(events, 'tool-call-start').map((e) => e.node);

async function run(
  options: HarnessOptions,
  spec = routeSpec(),
  input: JsonValue = { order: 7, amount: 40 },
) {
  const h = harness(options);
  const outcome = await h.runtime.start({ spec }, input);
  const events = await h.runtime.events(outcome.runId);
  return { ...h, outcome, events };
}

describe('route steps', () => {
  it('reach the goal on the cheapest path, each node called once with the step input', async () => {
    const box = toolbox(TOOLS);
    const { runtime, outcome, events } = await run({ tools: box.tools });

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({
      status: 'reached',
      path: ['Start', 'A', 'B', 'Goal'],
      completed: ['A', 'B', 'Goal'],
      outputs: { A: { by: 'a' }, B: { by: 'b' }, Goal: { by: 'goal' } },
    });
    expect(box.calls).toEqual(['a', 'b', 'goal']);
    expect(box.inputs).toEqual([{ order: 7 }, { order: 7 }, { order: 7 }]);
    expect(new Set(box.keys).size).toBe(3);
    expect(ofType(events, 'route-plan')).toMatchObject([
      { path: 'go', from: 'Start', nodes: ['Start', 'A', 'B', 'Goal'] },
    ]);
    expect(ofType(events, 'tool-call-start').map((e) => [e.node, e.tool, e.attempt])).toEqual([
      ['A', 'a', 1],
      ['B', 'b', 2],
      ['Goal', 'goal', 3],
    ]);
    // Health is looked at before the start and after every result but the goal's.
    expect(ofType(events, 'route-observe')).toHaveLength(3);
    expect(ofType(events, 'route-health').every((e) => e.down.length === 0)).toBe(true);
    expect(ofType(events, 'route-end')).toMatchObject([{ outcome: { status: 'reached' } }]);
    expect(ofType(events, 'model-call-start')).toEqual([]);
    await expectVerified(runtime, outcome.runId);
  });

  it('reroute around a failing tool without a model call, never re-running a completed node', async () => {
    const box = toolbox(TOOLS, ['b']);
    const { runtime, outcome, events } = await run({ tools: box.tools });

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toMatchObject({ status: 'reached', path: ['Start', 'A', 'C', 'Goal'] });
    expect(box.calls).toEqual(['a', 'b', 'c', 'goal']);
    expect(box.count('a')).toBe(1);
    expect(ofType(events, 'route-reroute')).toMatchObject([
      { path: 'go', node: 'B', tool: 'b', cause: 'tool-failed', message: 'b is down' },
    ]);
    // Re-planned from where the route is, not from the start.
    expect(ofType(events, 'route-plan').map((e) => [e.from, e.nodes])).toEqual([
      ['Start', ['Start', 'A', 'B', 'Goal']],
      ['A', ['A', 'C', 'Goal']],
    ]);
    expect(ofType(events, 'model-call-start')).toEqual([]);
    await expectVerified(runtime, outcome.runId);
  });

  it('bound each node call with timeoutMs: a call past its deadline is a failure to route around', async () => {
    const clock = new ManualClock(T0);
    const box = toolbox(TOOLS.filter((t) => t !== 'b'));
    const hanging = safeTool('b', () => never());
    const { runtime } = harness({ tools: [...box.tools, hanging], clock });
    const started = runtime.start({ spec: routeSpec({ timeoutMs: 1000 }) }, { order: 1 });
    await until(() => box.calls.length === 1 && clock.pendingTimers === 1, 'the call to b');
    clock.advance(1000);
    const outcome = await started;
    expect(outcome.output).toMatchObject({ status: 'reached', path: ['Start', 'A', 'C', 'Goal'] });
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'route-reroute')).toMatchObject([
      { node: 'B', cause: 'tool-failed', message: 'tool b did not finish before its timeout' },
    ]);
    // The timeout counts against b's breaker like any failure.
    expect(runtime.health.breaker('b').consecutiveFailures).toBe(1);
    await expectVerified(runtime, outcome.runId);
  });

  it('fail at start with TOOL_NOT_FOUND when a node names an unregistered tool', async () => {
    const box = toolbox(['a', 'b', 'c', 'goal']);
    const { runtime } = harness({ tools: box.tools });
    await expect(runtime.start({ spec: routeSpec() }, { order: 1 })).rejects.toMatchObject({
      code: 'TOOL_NOT_FOUND',
      path: 'go.graph.nodes[4]',
    });
  });

  it('pass a resolved request to the monitors and record the winner with each call', async () => {
    const box = toolbox(TOOLS);
    const { events } = await run({ tools: box.tools }, routeSpec(), { order: 1, amount: 20_000 });
    // 20 000 > 10 000: the risk monitor wins (0.95) over intent ("refund", 0.90).
    expect(ofType(events, 'route-call').map((e) => [e.node, e.monitor, e.priority])).toEqual([
      ['A', 'risk', 0.95],
      ['B', 'risk', 0.95],
      ['Goal', 'risk', 0.95],
    ]);
  });

  it('fail the step visibly on a request that is not { text, amount, riskFlags }', async () => {
    const box = toolbox(TOOLS);
    const { outcome, events } = await run(
      { tools: box.tools },
      routeSpec({ request: { amount: '$.input.order' } }),
      { order: 'seven' },
    );
    expect(outcome.status).toBe('failed');
    expect(stepEnd(events, 'go').error).toMatchObject({ type: 'input-error' });
    expect(box.calls).toEqual([]);
  });
});

describe('tool health across runs', () => {
  it('a breaker opened in earlier runs makes the next run reroute without calling the tool; after the cooldown it is tried again', async () => {
    const clock = new ManualClock(T0);
    const box = toolbox(TOOLS, ['b']);
    const { runtime } = harness({ tools: box.tools, clock });
    const start = () => runtime.start({ spec: routeSpec() }, { order: 1 });

    // Three runs, one failure of b each: the third opens its breaker.
    for (let i = 0; i < 3; i++) expect((await start()).status).toBe('completed');
    expect(box.count('b')).toBe(3);
    expect(runtime.health.breaker('b')).toEqual({ consecutiveFailures: 3, openedAt: T0 });

    // The fourth run sees b down before it calls anything: a pre-emptive reroute, b not called.
    clock.advance(10_000);
    const fourth = await start();
    expect(fourth.status).toBe('completed');
    expect(box.count('b')).toBe(3);
    const events = await runtime.events(fourth.runId);
    expect(ofType(events, 'route-health')[0]?.down).toEqual(['b']);
    expect(ofType(events, 'route-reroute')).toMatchObject([
      { node: 'B', cause: 'tool-down', message: null },
    ]);
    expect(ofType(events, 'route-call')[0]).toMatchObject({
      monitor: 'tool-health',
      priority: 0.99,
    });
    expect(nodesCalled(events)).toEqual(['A', 'C', 'Goal']);
    expect(ofType(events, 'model-call-start')).toEqual([]);
    await expectVerified(runtime, fourth.runId);

    // 30 s after it opened, the breaker half-opens: the next run tries b again, and it works.
    clock.advance(20_000);
    box.set('b', 'ok');
    const fifth = await start();
    expect(box.count('b')).toBe(4);
    expect(nodesCalled(await runtime.events(fifth.runId))).toEqual(['A', 'B', 'Goal']);
    expect(runtime.health.breaker('b')).toEqual({ consecutiveFailures: 0, openedAt: null });
  });

  it('failures in one run (three routes of a map) open the breaker the next run routes around', async () => {
    const box = toolbox(TOOLS, ['b']);
    const { runtime } = harness({ tools: box.tools });
    const route = routeSpec().steps[0] as unknown as Record<string, unknown>;
    const first = await runtime.start({
      spec: workflow({
        name: 'many',
        steps: [
          {
            id: 'each',
            kind: 'map',
            items: [1, 2, 3, 4],
            concurrency: 1,
            steps: [{ ...route, input: '$.item', request: { text: 'refund' } }],
          },
        ],
      }),
    });
    expect(first.status).toBe('completed');
    // The fourth item already found b's breaker open: three calls, not four.
    expect(box.count('b')).toBe(3);
    const events = await runtime.events(first.runId);
    expect(ofType(events, 'route-reroute').map((e) => [e.path, e.cause])).toEqual([
      ['each/0/go', 'tool-failed'],
      ['each/1/go', 'tool-failed'],
      ['each/2/go', 'tool-failed'],
      ['each/3/go', 'tool-down'],
    ]);
    const second = await runtime.start({ spec: routeSpec() }, { order: 1 });
    expect(nodesCalled(await runtime.events(second.runId))).toEqual(['A', 'C', 'Goal']);
    expect(box.count('b')).toBe(3);
    await expectVerified(runtime, first.runId);
  });

  it('a failed trial re-opens the breaker from that moment', async () => {
    const clock = new ManualClock(T0);
    const box = toolbox(TOOLS, ['b']);
    const { runtime } = harness({ tools: box.tools, clock });
    for (let i = 0; i < 3; i++) await runtime.start({ spec: routeSpec() }, { order: 1 });
    clock.advance(30_000);
    await runtime.start({ spec: routeSpec() }, { order: 1 });
    expect(box.count('b')).toBe(4);
    expect(runtime.health.breaker('b')).toEqual({ consecutiveFailures: 4, openedAt: T0 + 30_000 });
  });

  it('a fresh Runtime on the same SQLite file remembers the open breaker', async () => {
    const sqlite = tempSqlite();
    try {
      const box = toolbox(TOOLS, ['b']);
      const first = sqlite.open();
      const { runtime } = harness({ tools: box.tools, store: first });
      for (let i = 0; i < 3; i++) await runtime.start({ spec: routeSpec() }, { order: 1 });
      await first.close();

      const second = sqlite.open();
      const restarted = harness({ tools: box.tools, store: second, ids: { runId: () => 'after' } });
      const outcome = await restarted.runtime.start({ spec: routeSpec() }, { order: 1 });
      expect(outcome.status).toBe('completed');
      expect(box.count('b')).toBe(3);
      const events = await restarted.runtime.events(outcome.runId);
      expect(ofType(events, 'route-reroute')).toMatchObject([{ node: 'B', cause: 'tool-down' }]);
      await second.close();
    } finally {
      sqlite.cleanup();
    }
  });

  it('an unreadable stored table is ignored with a warning; a failed read is retried', async () => {
    const store = new MemoryJournalStore();
    await store.putMeta(TOOL_HEALTH_KEY, '{"b": "open"}');
    const warnings: string[] = [];
    const table = new ToolHealthTable(store, undefined, (m) => warnings.push(m));
    await table.load();
    expect(warnings).toEqual([expect.stringContaining('not readable and was ignored')]);
    expect(table.snapshot()).toEqual({});

    const flaky = new MemoryJournalStore();
    await flaky.putMeta(TOOL_HEALTH_KEY, '{"b":{"consecutiveFailures":3,"openedAt":5}}');
    const get = flaky.getMeta.bind(flaky);
    let reads = 0;
    flaky.getMeta = (key) => (++reads === 1 ? Promise.reject(new Error('busy')) : get(key));
    const retried = new ToolHealthTable(flaky);
    await expect(retried.load()).rejects.toThrow('busy');
    await retried.load();
    expect(retried.breaker('b')).toEqual({ consecutiveFailures: 3, openedAt: 5 });
  });

  it('every tool call feeds the table; a success on a healthy tool writes nothing', async () => {
    const store = new MemoryJournalStore();
    const puts: string[] = [];
    const put = store.putMeta.bind(store);
    store.putMeta = async (key, value) => {
      puts.push(value);
      return put(key, value);
    };
    const box = toolbox(['plain', 'b', 'c']);
    box.set('plain', 'fail');
    const { runtime } = harness({ tools: box.tools, store });
    await runtime.start({
      spec: workflow({ name: 'plain', steps: [{ id: 'p', kind: 'tool', tool: 'plain' }] }),
    });
    expect(runtime.health.breaker('plain').consecutiveFailures).toBe(1);
    expect(puts).toHaveLength(1);
    box.set('plain', 'ok');
    for (let i = 0; i < 3; i++)
      await runtime.start({
        spec: workflow({ name: 'plain', steps: [{ id: 'p', kind: 'tool', tool: 'plain' }] }),
      });
    // The first success forgets the failure (one write); the next two change nothing.
    expect(puts).toEqual(['{"plain":{"consecutiveFailures":1,"openedAt":null}}', '{}']);
  });
});

describe('when no path is left', () => {
  const chain = {
    nodes: [
      { id: 'Start' },
      { id: 'A', tool: 'a' },
      { id: 'B', tool: 'b' },
      { id: 'Goal', tool: 'goal' },
    ],
    edges: [
      { from: 'Start', to: 'A', cost: 1 },
      { from: 'A', to: 'B', cost: 1 },
      { from: 'B', to: 'Goal', cost: 1 },
    ],
  };

  it('the model is asked, with a schema it can only answer validly, and a demoted goal completes the step', async () => {
    const box = toolbox(['a', 'b', 'goal'], ['b']);
    const model = scripted('{"kind":"demote","goal":"A"}');
    const { runtime, outcome, events } = await run(
      { tools: box.tools, models: model.models },
      routeSpec({}, chain),
    );

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({
      status: 'demoted',
      goal: 'A',
      reason: 'no-path',
      completed: ['A'],
      outputs: { A: { by: 'a' } },
    });
    expect(ofType(events, 'route-escalate')).toMatchObject([
      { reason: 'no-path', from: 'A', completed: ['A'], failed: 'B' },
    ]);
    expect(model.requests).toHaveLength(1);
    const request = model.requests[0] as ModelRequest;
    expect(request.prompt).toContain('No path to the goal is left');
    expect(request.prompt).toContain('Nodes completed, in order: "A"');
    expect(request.outputSchema).toMatchObject({
      properties: {
        kind: { enum: ['demote', 'escalate'] },
        goal: { enum: ['Start', 'A'] },
      },
    });
    expect(box.count('goal')).toBe(0);
    await expectVerified(runtime, outcome.runId);
  });

  it('an escalation fails the step with route-escalated, visible to onError', async () => {
    const box = toolbox(['a', 'b', 'goal'], ['b']);
    const model = scripted('{"kind":"escalate","message":"call the bank"}');
    const { runtime, outcome, events } = await run(
      { tools: box.tools, models: model.models },
      routeSpec({}, chain),
    );
    expect(outcome.status).toBe('failed');
    expect(stepEnd(events, 'go').error).toEqual({
      type: 'route-escalated',
      message: 'route escalated (no-path): call the bank',
      retryable: false,
    });
    expect(ofType(events, 'route-end')).toMatchObject([
      { outcome: { status: 'escalated', message: 'call the bank', completed: ['A'] } },
    ]);
    await expectVerified(runtime, outcome.runId);

    const tolerant = await run(
      { tools: box.tools, models: model.models },
      routeSpec({ onError: 'continue' }, chain),
    );
    expect(tolerant.outcome.status).toBe('completed');
    expect(stepEnd(tolerant.events, 'go').status).toBe('failed');
  });

  it("a model's answer that does not fit becomes an escalation that says so", async () => {
    const box = toolbox(['a', 'b', 'goal'], ['b']);
    for (const text of ['no idea', '{"kind":"demote","goal":"Goal"}', '{"kind":"proceed"}']) {
      const model = scripted(text);
      const { outcome, events } = await run(
        { tools: box.tools, models: model.models },
        routeSpec({}, chain),
      );
      expect(outcome.status).toBe('failed');
      expect(stepEnd(events, 'go').error?.message).toMatch(/the model's answer could not be used/);
    }
  });

  it('a model that cannot be asked escalates too', async () => {
    const box = toolbox(['a', 'b', 'goal'], ['b']);
    const { outcome, events } = await run(
      { tools: box.tools, models: new ModelRegistry() },
      routeSpec({ model: 'absent' }, chain),
    ).catch((error: unknown) => ({ outcome: error, events: [] as JournalEvent[] }));
    // An unconfigured model is refused before the run starts, like an agent step's.
    expect(outcome).toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(events).toEqual([]);

    const failing: ModelProvider = {
      specificationVersion: 'v1',
      name: 'down',
      generate: () => Promise.reject(Object.assign(new Error('503'), { retryable: true })),
    };
    const second = await run(
      { tools: box.tools, models: new ModelRegistry().register('default', failing) },
      routeSpec({}, chain),
    );
    expect(second.outcome.status).toBe('failed');
    expect(stepEnd(second.events, 'go').error?.message).toMatch(/the model could not be asked/);
  });

  it('the simulated model always answers within the schema', async () => {
    const box = toolbox(['a', 'b', 'goal'], ['b']);
    const seen = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      const { events } = await run(
        {
          tools: box.tools,
          models: new ModelRegistry().register('default', new SimulatedModel({ seed })),
        },
        routeSpec({}, chain),
      );
      const end = ofType(events, 'route-end')[0];
      expect(end?.outcome.status).not.toBe('reached');
      if (end?.outcome.status === 'escalated')
        expect(end.outcome.message).not.toMatch(/could not be used/);
      seen.add(end?.outcome.status ?? '');
    }
    expect([...seen].sort()).toEqual(['demoted', 'escalated']);
  });

  it('failures beyond maxRetries escalate as retries-exhausted', async () => {
    const box = toolbox(TOOLS, ['b', 'c']);
    const model = scripted('{"kind":"demote","goal":"A"}');
    const { outcome, events } = await run(
      { tools: box.tools, models: model.models },
      routeSpec({ maxRetries: 1 }),
    );
    expect(outcome.output).toMatchObject({ status: 'demoted', reason: 'retries-exhausted' });
    expect(ofType(events, 'route-reroute')).toHaveLength(1);
    expect(ofType(events, 'route-escalate')).toMatchObject([
      { reason: 'retries-exhausted', failed: 'C' },
    ]);
    expect(model.requests[0]?.prompt).toContain('failed 2 times, more than its retry budget (maxRetries 1)');
  });

  it('enough tools down at the start trigger the pre-flight consult; "proceed" routes on', async () => {
    const box = toolbox(TOOLS);
    const model = scripted('{"kind":"proceed"}');
    const { runtime } = harness({ tools: box.tools, models: model.models });
    for (let i = 0; i < 3; i++) void runtime.health.report('d', false, T0);
    const outcome = await runtime.start(
      { spec: routeSpec({ preflightThreshold: 1 }) },
      { order: 1 },
    );
    const events = await runtime.events(outcome.runId);
    expect(outcome.output).toMatchObject({ status: 'reached', path: ['Start', 'A', 'B', 'Goal'] });
    expect(ofType(events, 'route-consult')).toMatchObject([{ reason: 'preflight', down: ['d'] }]);
    expect(model.requests[0]?.outputSchema).toMatchObject({
      properties: { kind: { enum: ['proceed', 'demote', 'escalate'] }, goal: { enum: ['Start'] } },
    });
    const view = viewRun(await runtime.getRun(outcome.runId), events);
    expect(view.routes[0]?.escalations).toEqual([
      { reason: 'preflight', from: null, failed: null, answer: 'proceed' },
    ]);
    await expectVerified(runtime, outcome.runId);
  });
});

describe('replay and resume', () => {
  it('replay --verify fails with REPLAY_DIVERGED when one recorded health view is changed', async () => {
    const box = toolbox(TOOLS);
    const { store, outcome } = await run({ tools: box.tools });
    let changed = 0;
    const tampered = await copyRun(store, outcome.runId, {
      rechain: true,
      event: (row) => {
        if (row.type !== 'route-health' || changed++ !== 1) return row.text;
        return row.text.replace('"down":[]', '"down":["b"]');
      },
    });
    expect(changed).toBeGreaterThan(1);
    const { runtime } = harness({ store: tampered, tools: box.tools });
    const report = await runtime.verify(outcome.runId);
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('REPLAY_DIVERGED');
  });

  it('a run killed mid-route resumes without re-running completed nodes', async () => {
    const store = new MemoryJournalStore();
    const box = toolbox(TOOLS, ['b']);
    class Crash extends Error {}
    let results = 0;
    const { runtime } = harness({
      store,
      tools: box.tools,
      faults: {
        afterAppend(events) {
          // Dies right after C's result is durable, before health is looked at again.
          results += events.filter((e) => e.type === 'tool-call-end').length;
          if (results === 2) throw new Crash();
        },
      },
    });
    let runId = '';
    await expect(
      runtime.start({ spec: routeSpec() }, { order: 1 }, { onStarted: (id) => (runId = id) }),
    ).rejects.toBeInstanceOf(Crash);
    expect(box.calls).toEqual(['a', 'b', 'c']);
    const before = await runtime.events(runId);
    expect(before[before.length - 1]?.type).toBe('route-observe');

    const resumed = harness({ store, tools: box.tools });
    const outcome = await resumed.runtime.resume(runId);
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toMatchObject({ path: ['Start', 'A', 'C', 'Goal'] });
    expect(box.calls).toEqual(['a', 'b', 'c', 'goal']);
    await expectVerified(resumed.runtime, runId);
  });

  it('an unsafe node call in flight at a crash waits for an operator, who can complete it', async () => {
    const store = new MemoryJournalStore();
    const calls: string[] = [];
    const tools = TOOLS.map((name) =>
      unsafeTool(name, () => {
        calls.push(name);
        return { by: name };
      }),
    );
    class Crash extends Error {}
    const { runtime } = harness({
      store,
      tools,
      faults: {
        afterEffect(call) {
          if (call.node === 'B') throw new Crash();
        },
      },
    });
    let runId = '';
    await runtime
      .start({ spec: routeSpec() }, { order: 1 }, { onStarted: (id) => (runId = id) })
      .catch(() => undefined);
    expect(calls).toEqual(['a', 'b']);

    const after = harness({ store, tools });
    const paused = await after.runtime.resume(runId);
    expect(paused.status).toBe('outcome-unknown');
    expect(paused.pending).toMatchObject([{ path: 'go', kind: 'outcome-unknown' }]);
    const done = await after.runtime.resolveOutcome(runId, 'go', 'complete', { by: 'operator' });
    expect(done.status).toBe('completed');
    expect(done.output).toMatchObject({
      path: ['Start', 'A', 'B', 'Goal'],
      outputs: { B: { by: 'operator' } },
    });
    expect(calls).toEqual(['a', 'b', 'goal']);
    await expectVerified(after.runtime, runId);
  });
});

describe('runs show', () => {
  it('shows the path planned, the path taken, reroutes and escalations', async () => {
    const box = toolbox(TOOLS, ['b', 'c']);
    const model = scripted('{"kind":"demote","goal":"A"}');
    const { runtime, outcome, events } = await run(
      { tools: box.tools, models: model.models },
      routeSpec(),
    );
    const view = viewRun(await runtime.getRun(outcome.runId), events);
    expect(view.routes).toEqual([
      {
        path: 'go',
        status: 'demoted',
        planned: ['Start', 'A', 'B', 'Goal'],
        taken: ['Start', 'A'],
        replans: 1,
        reroutes: [
          { node: 'B', tool: 'b', cause: 'tool-failed', message: 'b is down' },
          { node: 'C', tool: 'c', cause: 'tool-failed', message: 'c is down' },
        ],
        escalations: [{ reason: 'no-path', from: 'A', failed: 'C', answer: 'demoted to A' }],
      },
    ]);
  });
});
