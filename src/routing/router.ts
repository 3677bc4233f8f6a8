import type { Route } from './compile.js';
import { RouteMisuseError } from './errors.js';
import { shortestPath } from './dijkstra.js';
import { nodeOf } from './graph.js';
import { runMonitors, type MonitorName, type RouteRequest } from './monitors.js';

/**
 * The self-healing router as a pure state machine (the author's `execute_task`, Appendix A, turned
 * inside out). It never calls a tool or a model: each step returns the decisions to journal and
 * the one action the caller must perform next, and the caller feeds the result back. That is what
 * lets the engine journal every routing decision and replay it: same state + same input + same
 * observation → same step, byte for byte.
 *
 * The loop: plan with Dijkstra from the current node; before each call run the monitors, and when
 * ToolHealth wins and names the next tool, block that node and re-plan without calling it (a
 * pre-emptive reroute); on a failed call block the node and re-plan (a reroute); when no path is
 * left, or failures exceed `maxRetries`, ask the caller to escalate to the model. Every failure thus
 * ends as a `route-reroute` or a `route-escalate` decision, never as a silent skip.
 */

/** What the caller knows about tool health at the moment of the step; journal it with the input. */
export interface Observation {
  /** The route's tools whose breaker is open now (breaker.ts `downTools`). */
  readonly down: readonly string[];
}

export type EscalationReason = 'no-path' | 'retries-exhausted';

/** The model's answer when the router escalates: a smaller goal, or a hand-off to a human. */
export type EscalationAnswer =
  | { readonly kind: 'demote'; readonly goal: string }
  | { readonly kind: 'escalate'; readonly message: string };

/** The model's answer to the pre-flight feasibility question. */
export type ConsultAnswer = { readonly kind: 'proceed' } | EscalationAnswer;

export type RouteOutcome =
  | { readonly status: 'reached'; readonly path: readonly string[] }
  | {
      readonly status: 'demoted';
      readonly goal: string;
      readonly reason: EscalationReason | 'preflight';
      readonly completed: readonly string[];
    }
  | {
      readonly status: 'escalated';
      readonly message: string;
      readonly reason: EscalationReason | 'preflight';
      readonly completed: readonly string[];
    };

/** What the caller must do next. */
export type RouteAction =
  /** Ask the model whether the task is still feasible with these tools down; answer `consulted`. */
  | { readonly kind: 'consult'; readonly reason: 'preflight'; readonly down: readonly string[] }
  /** Call `tool` for `node`; answer `tool-succeeded` or `tool-failed`. */
  | { readonly kind: 'call'; readonly node: string; readonly tool: string }
  /** No way forward: ask the model to demote the goal or escalate; answer `escalation-answered`. */
  | {
      readonly kind: 'escalate';
      readonly reason: EscalationReason;
      readonly goal: string;
      readonly at: string;
      readonly completed: readonly string[];
      /** The node whose failure led here, if one did. */
      readonly failed: string | null;
    }
  | { readonly kind: 'done'; readonly outcome: RouteOutcome };

export type RouteInput =
  | { readonly type: 'consulted'; readonly answer: ConsultAnswer }
  | { readonly type: 'tool-succeeded'; readonly node: string }
  | { readonly type: 'tool-failed'; readonly node: string; readonly message: string }
  | { readonly type: 'escalation-answered'; readonly answer: EscalationAnswer };

/** The events to journal for one step, in order. All plain JSON (costs are finite). */
export type RouteDecision =
  | {
      readonly type: 'route-consult';
      readonly reason: 'preflight';
      readonly down: readonly string[];
    }
  | {
      readonly type: 'route-plan';
      readonly from: string;
      readonly path: readonly string[];
      readonly cost: number;
    }
  | {
      readonly type: 'route-call';
      readonly node: string;
      readonly tool: string;
      /** The monitor that won before this call, and its priority. */
      readonly monitor: MonitorName;
      readonly priority: number;
    }
  | {
      readonly type: 'route-reroute';
      readonly node: string;
      readonly tool: string;
      /** `tool-down`: pre-emptive, the breaker was open; `tool-failed`: the call failed. */
      readonly cause: 'tool-down' | 'tool-failed';
      readonly message: string | null;
    }
  | {
      readonly type: 'route-escalate';
      readonly reason: EscalationReason;
      readonly at: string;
      readonly completed: readonly string[];
      readonly failed: string | null;
    }
  | { readonly type: 'route-end'; readonly outcome: RouteOutcome };

/** Everything a route needs to continue; plain JSON, so it can be persisted or rebuilt by replay. */
export interface RouteState {
  readonly phase: 'consulting' | 'calling' | 'escalating' | 'done';
  readonly request: RouteRequest;
  /** The last node reached: the start, or the last tool that succeeded. */
  readonly at: string;
  /** Nodes whose call succeeded, in order; they are never called again. */
  readonly completed: readonly string[];
  /** Nodes whose edges are ∞ for the rest of this route (failed, or found down). */
  readonly blocked: readonly string[];
  /** The current plan, from `at` to the goal (empty once there is none). */
  readonly plan: readonly string[];
  readonly failures: number;
  readonly reroutes: number;
  /** Control-plane model calls asked for so far (consults and escalations). */
  readonly modelCalls: number;
  /** Set while escalating: the reason the route is waiting on. */
  readonly escalation: EscalationReason | null;
  readonly outcome: RouteOutcome | null;
}

export interface RouteStep {
  readonly state: RouteState;
  readonly decisions: readonly RouteDecision[];
  readonly action: RouteAction;
}

type Draft = { -readonly [K in keyof RouteState]: RouteState[K] };

/** The first step of a route: the pre-flight check, then the first plan and the first call. */
export function startRoute(
  route: Route,
  request: RouteRequest,
  observation: Observation,
): RouteStep {
  const draft: Draft = {
    phase: 'calling',
    request,
    at: route.start,
    completed: [],
    blocked: [],
    plan: [],
    failures: 0,
    reroutes: 0,
    modelCalls: 0,
    escalation: null,
    outcome: null,
  };
  const step = new Step(route, draft, observation);
  const down = observation.down.filter((tool) => route.tools.includes(tool));
  if (route.preflightThreshold > 0 && down.length >= route.preflightThreshold) {
    step.decide({ type: 'route-consult', reason: 'preflight', down });
    draft.phase = 'consulting';
    draft.modelCalls += 1;
    return step.finish({ kind: 'consult', reason: 'preflight', down });
  }
  return step.replanAndWalk(null);
}

/** Feeds the result of the last action back and returns the next step. */
export function advanceRoute(
  route: Route,
  state: RouteState,
  input: RouteInput,
  observation: Observation,
): RouteStep {
  const draft: Draft = { ...state };
  const step = new Step(route, draft, observation);
  switch (input.type) {
    case 'consulted':
      expectPhase(state, 'consulting', input);
      if (input.answer.kind === 'proceed') return step.replanAndWalk(null);
      return step.end(answerOutcome(input.answer, 'preflight', state.completed));
    case 'escalation-answered':
      expectPhase(state, 'escalating', input);
      return step.end(answerOutcome(input.answer, state.escalation ?? 'no-path', state.completed));
    case 'tool-succeeded':
      expectCall(state, input);
      draft.completed = [...state.completed, input.node];
      draft.at = input.node;
      draft.plan = state.plan.slice(1);
      return step.walk();
    case 'tool-failed': {
      expectCall(state, input);
      draft.failures += 1;
      if (draft.failures > route.maxRetries) return step.escalate('retries-exhausted', input.node);
      step.block(input.node, 'tool-failed', input.message);
      return step.replanAndWalk(input.node);
    }
  }
}

/** One step's working copy of the state and the decisions it has made so far. */
class Step {
  private readonly decisions: RouteDecision[] = [];

  constructor(
    private readonly route: Route,
    private readonly draft: Draft,
    private readonly observation: Observation,
  ) {}

  decide(decision: RouteDecision): void {
    this.decisions.push(decision);
  }

  finish(action: RouteAction): RouteStep {
    return { state: { ...this.draft }, decisions: this.decisions, action };
  }

  end(outcome: RouteOutcome): RouteStep {
    this.draft.phase = 'done';
    this.draft.escalation = null;
    this.draft.outcome = outcome;
    this.decide({ type: 'route-end', outcome });
    return this.finish({ kind: 'done', outcome });
  }

  block(node: string, cause: 'tool-down' | 'tool-failed', message: string | null): void {
    this.draft.blocked = [...this.draft.blocked, node];
    this.draft.reroutes += 1;
    const { tool } = nodeOf(this.route.graph, node);
    this.decide({ type: 'route-reroute', node, tool, cause, message });
  }

  escalate(reason: EscalationReason, failed: string | null): RouteStep {
    const { at, completed } = this.draft;
    this.draft.phase = 'escalating';
    this.draft.escalation = reason;
    this.draft.plan = [];
    this.draft.modelCalls += 1;
    this.decide({ type: 'route-escalate', reason, at, completed, failed });
    return this.finish({ kind: 'escalate', reason, goal: this.route.goal, at, completed, failed });
  }

  /**
   * Plans from the current node, not from the start as the reference does: the path found then
   * always continues what has run, and completed nodes are kept out of it (they are never re-run,
   * and a plan through them would mean going back). In the paper's three topologies every layer
   * connects to every node of the next, so both choices give the same paths and counts.
   */
  replanAndWalk(failed: string | null): RouteStep {
    const { at, blocked, completed } = this.draft;
    const avoid = new Set([...blocked, ...completed.filter((node) => node !== at)]);
    const found = shortestPath(this.route.graph, at, this.route.goal, avoid);
    if (!found) return this.escalate('no-path', failed);
    this.draft.plan = found.path;
    this.decide({ type: 'route-plan', from: at, path: found.path, cost: found.cost });
    return this.walk();
  }

  walk(): RouteStep {
    const { route, draft, observation } = this;
    if (draft.at === route.goal)
      return this.end({ status: 'reached', path: [route.start, ...draft.completed] });
    const next = draft.plan[1];
    if (next === undefined) return this.replanAndWalk(null);
    const node = nodeOf(route.graph, next);
    const { winner } = runMonitors({
      request: draft.request,
      down: observation.down,
      completed: draft.completed.length,
      expected: draft.completed.length + draft.plan.length - 1,
    });
    if (winner.monitor === 'tool-health' && observation.down.includes(node.tool)) {
      this.block(node.id, 'tool-down', null);
      return this.replanAndWalk(node.id);
    }
    draft.phase = 'calling';
    this.decide({
      type: 'route-call',
      node: node.id,
      tool: node.tool,
      monitor: winner.monitor,
      priority: winner.priority,
    });
    return this.finish({ kind: 'call', node: node.id, tool: node.tool });
  }
}

function answerOutcome(
  answer: ConsultAnswer,
  reason: EscalationReason | 'preflight',
  completed: readonly string[],
): RouteOutcome {
  if (answer.kind === 'demote') return { status: 'demoted', goal: answer.goal, reason, completed };
  if (answer.kind === 'escalate')
    return { status: 'escalated', message: answer.message, reason, completed };
  throw new RouteMisuseError('"proceed" answers the pre-flight consult, not an escalation', answer);
}

function expectPhase(state: RouteState, phase: RouteState['phase'], input: RouteInput): void {
  if (state.phase !== phase)
    throw new RouteMisuseError(
      `the route is ${state.phase}, so it cannot take a "${input.type}" input`,
      input,
    );
}

function expectCall(state: RouteState, input: RouteInput & { node: string }): void {
  expectPhase(state, 'calling', input);
  const pending = state.plan[1];
  if (input.node !== pending)
    throw new RouteMisuseError(
      `the route is waiting for the result of "${pending ?? '(nothing)'}", not of "${input.node}"`,
      input,
    );
}
