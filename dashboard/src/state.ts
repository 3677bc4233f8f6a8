// What the run page shows, folded from the journal events as they arrive (stored ones, then live).
import type { JournalEvent } from './types.js';

export type StepState =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'outcome-unknown'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled';

export interface NodeSummary {
  state: StepState;
  /** Instances by state: a step inside a map or loop runs once per item or iteration. */
  counts: Partial<Record<StepState, number>>;
  instances: number;
}

export interface RouteSummary {
  path: string;
  plans: Array<{ from: string; nodes: string[]; cost: number }>;
  reroutes: Array<{ node: string; tool: string; cause: string; message: string | null }>;
  escalations: Array<{ reason: string; from: string | null }>;
  outcome: string | null;
}

export interface ModelCallSummary {
  path: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  simulated: boolean;
}

/** Any journal event, including types this dashboard was built before (vote-*). */
export type LooseEvent = JournalEvent | { type: string; seq: number; at: number; path?: string };

export interface RunState {
  /** Every event so far, by seq (the timeline). */
  events: LooseEvent[];
  steps: Map<string, { kind: string; state: StepState; attempts: number }>;
  routes: Map<string, RouteSummary>;
  votes: LooseEvent[];
  modelCalls: ModelCallSummary[];
  ended: string | null;
}

export function emptyState(): RunState {
  return {
    events: [],
    steps: new Map(),
    routes: new Map(),
    votes: [],
    modelCalls: [],
    ended: null,
  };
}

/**
 * Folds events into the state. Events must come in seq order without gaps: one that does not
 * continue the sequence is ignored (the stream resends from the last seq after a reconnect).
 */
export function applyEvents(state: RunState, incoming: readonly LooseEvent[]): RunState {
  const next: RunState = {
    events: state.events,
    steps: new Map(state.steps),
    routes: new Map(state.routes),
    votes: state.votes,
    modelCalls: state.modelCalls,
    ended: state.ended,
  };
  const added: LooseEvent[] = [];
  for (const event of incoming) {
    if (event.seq !== state.events.length + added.length) continue;
    added.push(event);
    apply(next, event);
  }
  next.events = added.length ? [...state.events, ...added] : state.events;
  return next;
}

function apply(state: RunState, loose: LooseEvent): void {
  if (loose.type.startsWith('vote-')) {
    state.votes = [...state.votes, loose];
    return;
  }
  const event = loose as JournalEvent;
  const step = (path: string): { kind: string; state: StepState; attempts: number } | undefined =>
    state.steps.get(path);
  switch (event.type) {
    case 'step-start':
      state.steps.set(event.path, { kind: event.kind, state: 'running', attempts: 0 });
      break;
    case 'step-end': {
      const row = step(event.path);
      if (row) state.steps.set(event.path, { ...row, state: event.status });
      break;
    }
    case 'tool-call-start':
    case 'model-call-start': {
      const row = step(event.path);
      if (row)
        state.steps.set(event.path, { ...row, attempts: Math.max(row.attempts, event.attempt) });
      break;
    }
    case 'approval-request':
      setState(state, event.path, 'waiting');
      break;
    case 'outcome-unknown':
      setState(state, event.path, 'outcome-unknown');
      break;
    case 'approval-decision':
    case 'outcome-decision':
      setState(state, event.path, 'running');
      break;
    case 'model-call-end':
      state.modelCalls = [
        ...state.modelCalls,
        {
          path: event.path,
          model: event.model,
          inputTokens: event.usage.inputTokens,
          outputTokens: event.usage.outputTokens,
          simulated: event.simulated === true,
        },
      ];
      break;
    case 'route-plan':
      route(state, event.path).plans.push({
        from: event.from,
        nodes: event.nodes,
        cost: event.cost,
      });
      break;
    case 'route-reroute':
      route(state, event.path).reroutes.push({
        node: event.node,
        tool: event.tool,
        cause: event.cause,
        message: event.message,
      });
      break;
    case 'route-escalate':
      route(state, event.path).escalations.push({ reason: event.reason, from: event.from });
      break;
    case 'route-consult':
      route(state, event.path).escalations.push({ reason: event.reason, from: null });
      break;
    case 'route-end': {
      const outcome = event.outcome;
      route(state, event.path).outcome =
        outcome.status === 'reached'
          ? `reached via ${outcome.path.join(' → ')}`
          : outcome.status === 'demoted'
            ? `demoted to ${outcome.goal}`
            : `escalated: ${outcome.message}`;
      break;
    }
    case 'run-end':
      state.ended = event.status;
      break;
    default:
      break;
  }
}

function setState(state: RunState, path: string, value: StepState): void {
  const row = state.steps.get(path);
  if (row) state.steps.set(path, { ...row, state: value });
}

function route(state: RunState, path: string): RouteSummary {
  let summary = state.routes.get(path);
  if (!summary) {
    summary = { path, plans: [], reroutes: [], escalations: [], outcome: null };
    state.routes.set(path, summary);
  } else {
    // Copied on write: the previous state keeps its own.
    summary = {
      ...summary,
      plans: [...summary.plans],
      reroutes: [...summary.reroutes],
      escalations: [...summary.escalations],
    };
    state.routes.set(path, summary);
  }
  return summary;
}

const PRECEDENCE: StepState[] = [
  'failed',
  'outcome-unknown',
  'waiting',
  'running',
  'cancelled',
  'completed',
  'skipped',
  'pending',
];

/**
 * The state a DAG node shows: a step id is the last segment of its paths (`each/3/charge` is an
 * instance of `charge`); with several instances the most pressing state wins (failed, then
 * waiting for someone, then running, …).
 */
export function nodeSummaries(state: RunState): Map<string, NodeSummary> {
  const summaries = new Map<string, NodeSummary>();
  for (const [path, row] of state.steps) {
    const id = path.slice(path.lastIndexOf('/') + 1);
    const summary = summaries.get(id) ?? { state: 'pending', counts: {}, instances: 0 };
    summary.instances += 1;
    summary.counts[row.state] = (summary.counts[row.state] ?? 0) + 1;
    summaries.set(id, summary);
  }
  for (const summary of summaries.values()) {
    summary.state =
      PRECEDENCE.find((candidate) => (summary.counts[candidate] ?? 0) > 0) ?? 'pending';
  }
  return summaries;
}

/** The step path an event is about, or '' for run-level events. */
export function pathOf(event: LooseEvent): string {
  return 'path' in event && typeof event.path === 'string' ? event.path : '';
}
