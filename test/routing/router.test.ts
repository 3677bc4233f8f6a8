import { describe, expect, it } from 'vitest';
import {
  advanceRoute,
  compileRoute,
  driveRoute,
  replayRoute,
  RouteMisuseError,
  RouteReplayError,
  startRoute,
  type Observation,
  type Route,
  type RouteDecision,
  type RoutePorts,
  type RouteRun,
} from '../../src/routing/index.js';
import { routeOf } from './fixtures.js';

/** S → a → G is cheapest, S → b → G the detour, and both share the final tool G. */
const diamond = (options: Parameters<typeof routeOf>[1] = {}): Route =>
  compileRoute(
    routeOf(
      [
        ['S', 'a', 0.1],
        ['S', 'b', 0.5],
        ['a', 'G', 0.1],
        ['b', 'G', 0.1],
      ],
      options,
    ),
  );

interface World {
  failing?: string[];
  down?: string[];
  answer?: 'demote' | 'escalate';
}

function run(route: Route, world: World = {}): RouteRun & { calls: string[]; model: string[] } {
  const calls: string[] = [];
  const model: string[] = [];
  const ports: RoutePorts = {
    observe: () => ({ down: world.down ?? [] }),
    call: (node) => {
      calls.push(node);
      return (world.failing ?? []).includes(node)
        ? { ok: false, message: `${node} broke` }
        : { ok: true };
    },
    consult: (down) => {
      model.push(`consult ${down.join(',')}`);
      return { kind: 'proceed' };
    },
    escalate: (action) => {
      model.push(`escalate ${action.reason}`);
      return world.answer === 'escalate'
        ? { kind: 'escalate', message: 'page a human' }
        : { kind: 'demote', goal: 'smaller goal' };
    },
  };
  return { ...driveRoute(route, {}, ports), calls, model };
}

const decisions = (result: RouteRun): RouteDecision[] =>
  result.records.flatMap((record) => record.decisions);
const reroutes = (result: RouteRun) =>
  decisions(result)
    .filter((d) => d.type === 'route-reroute')
    .map((d) => `${d.node} ${d.cause}`);

describe('the router', () => {
  it('walks the cheapest path and calls every node but the start', () => {
    const result = run(diamond());
    expect(result.calls).toEqual(['a', 'G']);
    expect(result.outcome).toEqual({ status: 'reached', path: ['S', 'a', 'G'] });
    expect(result.model).toEqual([]);
  });

  it('reroutes around a failed call with no model call', () => {
    const result = run(diamond(), { failing: ['a'] });
    expect(result.calls).toEqual(['a', 'b', 'G']);
    expect(reroutes(result)).toEqual(['a tool-failed']);
    expect(result.outcome).toEqual({ status: 'reached', path: ['S', 'b', 'G'] });
    expect(result.model).toEqual([]);
  });

  it('reroutes before calling a tool the health monitor reports down', () => {
    const result = run(diamond(), { down: ['a'] });
    expect(result.calls).toEqual(['b', 'G']);
    expect(reroutes(result)).toEqual(['a tool-down']);
  });

  it('records which monitor won before each call', () => {
    const result = run(diamond(), { down: ['unrelated'] });
    const calls = decisions(result).filter((d) => d.type === 'route-call');
    expect(calls.map((d) => [d.node, d.monitor, d.priority])).toEqual([
      ['a', 'tool-health', 0.99],
      ['G', 'tool-health', 0.99],
    ]);
  });

  it('never calls a completed tool again after a reroute', () => {
    // S → a → c → G, with a detour c' that needs a again (a → c' → G) and one that does not.
    const route = compileRoute(
      routeOf([
        ['S', 'a', 0.1],
        ['a', 'c', 0.1],
        ['c', 'G', 0.1],
        ['a', 'd', 0.2],
        ['d', 'G', 0.2],
        ['S', 'e', 5],
        ['e', 'G', 5],
      ]),
    );
    const result = run(route, { failing: ['c'] });
    expect(result.calls).toEqual(['a', 'c', 'd', 'G']);
    expect(new Set(result.calls).size).toBe(result.calls.length);
    const plans = decisions(result).filter((d) => d.type === 'route-plan');
    // The second plan starts where the route is, not at the start.
    expect(plans.map((p) => p.path.join(' '))).toEqual(['S a c G', 'a d G']);
  });

  it('keeps completed tools out of a new plan even when going back through them is cheaper', () => {
    // At b, with c failed, b → a → d → G is cheapest, but a has already run.
    const route = compileRoute(
      routeOf([
        ['S', 'a', 0.1],
        ['a', 'b', 0.1],
        ['b', 'c', 0.1],
        ['c', 'G', 0.1],
        ['b', 'a', 0.1],
        ['a', 'd', 0.2],
        ['d', 'G', 0.2],
        ['b', 'e', 5],
        ['e', 'G', 5],
      ]),
    );
    const result = run(route, { failing: ['c'] });
    expect(result.calls).toEqual(['a', 'b', 'c', 'e', 'G']);
  });

  it('asks the caller to escalate when no path is left, then ends with the demoted goal', () => {
    const result = run(diamond(), { failing: ['a', 'b'] });
    expect(result.model).toEqual(['escalate no-path']);
    expect(result.outcome).toEqual({
      status: 'demoted',
      goal: 'smaller goal',
      reason: 'no-path',
      completed: [],
    });
    const escalate = decisions(result).find((d) => d.type === 'route-escalate');
    expect(escalate).toEqual({
      type: 'route-escalate',
      reason: 'no-path',
      at: 'S',
      completed: [],
      failed: 'b',
    });
  });

  it('ends escalated when the model hands the task to a human', () => {
    const result = run(diamond(), { failing: ['G'], answer: 'escalate' });
    expect(result.outcome).toMatchObject({ status: 'escalated', message: 'page a human' });
    expect(result.outcome).toMatchObject({ completed: ['a'] });
  });

  it('bounds failures: the (maxRetries + 1)-th escalates instead of rerouting', () => {
    const wide = compileRoute(
      routeOf(
        [
          ['S', 'a', 0.1],
          ['S', 'b', 0.2],
          ['S', 'c', 0.3],
          ['a', 'G', 0.1],
          ['b', 'G', 0.1],
          ['c', 'G', 0.1],
        ],
        { maxRetries: 1 },
      ),
    );
    const result = run(wide, { failing: ['a', 'b'] });
    expect(result.calls).toEqual(['a', 'b']);
    expect(reroutes(result)).toEqual(['a tool-failed']);
    expect(result.model).toEqual(['escalate retries-exhausted']);
    expect(result.state.failures).toBe(2);
  });

  it('consults the model once before starting when enough of its tools are down', () => {
    const route = diamond({ preflightThreshold: 2 });
    const result = run(route, { down: ['a', 'b', 'not-in-route'] });
    expect(result.model).toEqual(['consult a,b', 'escalate no-path']);
    expect(result.state.modelCalls).toBe(2);
    expect(run(route, { down: ['a', 'not-in-route'] }).model).toEqual([]);
    expect(run(diamond({ preflightThreshold: 0 }), { down: ['a', 'b'] }).model).toEqual([
      'escalate no-path',
    ]);
  });

  it('keeps its state as plain JSON, so a run can continue from a persisted copy', () => {
    const route = diamond();
    const none: Observation = { down: [] };
    const first = startRoute(route, { text: 'refund' }, none);
    const copy = JSON.parse(JSON.stringify(first.state)) as typeof first.state;
    const fromCopy = advanceRoute(
      route,
      copy,
      { type: 'tool-failed', node: 'a', message: 'x' },
      none,
    );
    const fromOriginal = advanceRoute(
      route,
      first.state,
      { type: 'tool-failed', node: 'a', message: 'x' },
      none,
    );
    expect(fromCopy).toEqual(fromOriginal);
    expect(JSON.parse(JSON.stringify(fromCopy.decisions))).toEqual(fromCopy.decisions);
  });

  it('refuses a result for a node it did not ask to call', () => {
    const route = diamond();
    const first = startRoute(route, {}, { down: [] });
    expect(() =>
      advanceRoute(route, first.state, { type: 'tool-succeeded', node: 'b' }, { down: [] }),
    ).toThrow(RouteMisuseError);
    expect(() =>
      advanceRoute(
        route,
        first.state,
        { type: 'escalation-answered', answer: { kind: 'demote', goal: 'x' } },
        { down: [] },
      ),
    ).toThrow(/cannot take a "escalation-answered" input/);
  });
});

describe('replaying a route', () => {
  it('re-derives every decision from the recorded inputs and health views', () => {
    const route = diamond();
    const recorded = run(route, { failing: ['a'], down: ['unrelated'] });
    const state = replayRoute(route, {}, recorded.records);
    expect(state).toEqual(recorded.state);
  });

  it('detects a journal whose health view was changed', () => {
    const route = diamond();
    const recorded = run(route, { down: ['a'] });
    const tampered = recorded.records.map((record, index) =>
      index === 0 ? { ...record, observation: { down: [] } } : record,
    );
    expect(() => replayRoute(route, {}, tampered)).toThrow(RouteReplayError);
  });
});
