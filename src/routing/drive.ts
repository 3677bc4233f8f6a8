import type { Route } from './compile.js';
import { RouteMisuseError, RouteReplayError } from './errors.js';
import type { RouteRequest } from './monitors.js';
import {
  advanceRoute,
  startRoute,
  type ConsultAnswer,
  type EscalationAnswer,
  type Observation,
  type RouteAction,
  type RouteDecision,
  type RouteInput,
  type RouteOutcome,
  type RouteState,
  type RouteStep,
} from './router.js';

/**
 * The effects a route asks for, supplied by the caller. Synchronous on purpose: this driver is for
 * benchmarks, tests and tools that simulate; the engine will run the same state machine through its
 * own journaled, asynchronous perform loop instead.
 */
export interface RoutePorts {
  /** Tool health right now; called before every step. */
  observe(): Observation;
  call(node: string, tool: string): { ok: true } | { ok: false; message: string };
  consult(down: readonly string[]): ConsultAnswer;
  escalate(action: Extract<RouteAction, { kind: 'escalate' }>): EscalationAnswer;
}

/** One step as the engine would journal it: the world input (with the health view) and decisions. */
export interface RouteRecord {
  readonly input: RouteInput | null;
  readonly observation: Observation;
  readonly decisions: readonly RouteDecision[];
}

export interface RouteRun {
  readonly outcome: RouteOutcome;
  readonly state: RouteState;
  readonly records: readonly RouteRecord[];
}

/** Runs a route to its outcome; `maxSteps` guards against a port that never lets it finish. */
export function driveRoute(
  route: Route,
  request: RouteRequest,
  ports: RoutePorts,
  maxSteps = 10_000,
): RouteRun {
  const records: RouteRecord[] = [];
  let observation = ports.observe();
  let step: RouteStep = startRoute(route, request, observation);
  records.push({ input: null, observation, decisions: step.decisions });
  for (let count = 0; step.action.kind !== 'done'; count++) {
    if (count >= maxSteps) throw new RangeError(`route did not finish within ${maxSteps} steps`);
    const input = perform(step.action, ports);
    observation = ports.observe();
    step = advanceRoute(route, step.state, input, observation);
    records.push({ input, observation, decisions: step.decisions });
  }
  return { outcome: step.action.outcome, state: step.state, records };
}

function perform(action: Exclude<RouteAction, { kind: 'done' }>, ports: RoutePorts): RouteInput {
  switch (action.kind) {
    case 'consult':
      return { type: 'consulted', answer: ports.consult(action.down) };
    case 'escalate':
      return { type: 'escalation-answered', answer: ports.escalate(action) };
    case 'call': {
      const result = ports.call(action.node, action.tool);
      return result.ok
        ? { type: 'tool-succeeded', node: action.node }
        : { type: 'tool-failed', node: action.node, message: result.message };
    }
  }
}

/**
 * Re-derives a recorded route from its inputs and observations alone, without calling anything,
 * and checks that every step makes the recorded decisions: what `replay --verify` will do with a
 * route step's journal. Throws RouteReplayError at the first divergence; returns the final state.
 */
export function replayRoute(
  route: Route,
  request: RouteRequest,
  records: readonly RouteRecord[],
): RouteState {
  let state: RouteState | undefined;
  records.forEach((record, index) => {
    const step: RouteStep =
      state === undefined || record.input === null
        ? startRoute(route, request, record.observation)
        : advanceRoute(route, state, record.input, record.observation);
    if (JSON.stringify(step.decisions) !== JSON.stringify(record.decisions))
      throw new RouteReplayError(index, record.decisions, step.decisions);
    state = step.state;
  });
  if (state === undefined) throw new RouteMisuseError('nothing to replay: no records');
  return state;
}
