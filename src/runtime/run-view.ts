import type { JournalEvent } from '../core/events.js';
import type { JsonValue } from '../core/json.js';
import type { RunRecord } from '../core/ports.js';

export interface StepRow {
  path: string;
  kind: string;
  status: string;
  attempts: number;
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
  error?: string;
}

/** A route step as `runs show` presents it: the path planned, the path taken, and why they differ. */
export interface RouteRow {
  path: string;
  status: 'running' | 'reached' | 'demoted' | 'escalated';
  /** The first plan, start to goal. */
  planned: string[];
  /** The nodes that ran, from the start: the path reached, or how far the route got. */
  taken: string[];
  /** Plans made after the first (each reroute or pre-emptive reroute re-plans). */
  replans: number;
  reroutes: Array<{
    node: string;
    tool: string;
    cause: 'tool-down' | 'tool-failed';
    message: string | null;
  }>;
  /** Pre-flight consults and escalations to the model, with how each was answered. */
  escalations: Array<{
    reason: 'preflight' | 'no-path' | 'retries-exhausted';
    /** The node the route had reached (null for the pre-flight consult: nothing has run). */
    from: string | null;
    failed: string | null;
    /** 'proceed', 'demoted to <goal>', 'escalated: <message>'; absent while unanswered. */
    answer?: string;
  }>;
}

/** A vote step as `runs show` presents it: its samples, the flagged ones, and how it was decided. */
export interface VoteRow {
  path: string;
  status: 'voting' | 'decided' | 'exhausted';
  /** Samples added to the vote, flagged ones included. */
  samples: number;
  flagged: { 'too-long': number; unparseable: number; rejected: number };
  /** Distinct answers that received a vote. */
  candidates: number;
  /** The winner's votes and its lead over the runner-up; null until decided. */
  votes: number | null;
  lead: number | null;
}

/** What `runs show` and the API present: a projection of the journal, computed in one pass. */
export interface RunView {
  run: RunRecord;
  events: number;
  steps: StepRow[];
  toolCalls: number;
  modelCalls: number;
  simulatedModelCalls: number;
  tokens: { input: number; output: number };
  /** The journaled cost of the model calls that carry one (the metered seam's `costUsd`). */
  costUsd: number;
  retries: number;
  pending: Array<{ path: string; kind: 'approval' | 'outcome-unknown'; message: string }>;
  /** Route steps, in the order they started. */
  routes: RouteRow[];
  /** Vote steps, in the order they started. */
  votes: VoteRow[];
  output?: JsonValue;
  error?: { type: string; message: string };
  startedAt: number;
  endedAt?: number;
}

export function viewRun(run: RunRecord, events: readonly JournalEvent[]): RunView {
  const steps = new Map<string, StepRow>();
  const pending = new Map<string, RunView['pending'][number]>();
  const routes = new Map<string, RouteRow>();
  const votes = new Map<string, VoteRow>();
  /** The node a route's call in flight is for, by step path. */
  const calling = new Map<string, string>();
  const view: RunView = {
    run,
    events: events.length,
    steps: [],
    toolCalls: 0,
    modelCalls: 0,
    simulatedModelCalls: 0,
    tokens: { input: 0, output: 0 },
    costUsd: 0,
    retries: 0,
    pending: [],
    routes: [],
    votes: [],
    startedAt: events[0]?.at ?? run.createdAt,
  };
  for (const event of events) {
    switch (event.type) {
      case 'step-start':
        steps.set(event.path, {
          path: event.path,
          kind: event.kind,
          status: 'running',
          attempts: 0,
          startedAt: event.at,
        });
        if (event.kind === 'vote') {
          votes.set(event.path, {
            path: event.path,
            status: 'voting',
            samples: 0,
            flagged: { 'too-long': 0, unparseable: 0, rejected: 0 },
            candidates: 0,
            votes: null,
            lead: null,
          });
        }
        break;
      case 'vote-flagged': {
        const vote = votes.get(event.path);
        if (!vote) break;
        vote.samples += 1;
        vote.flagged[event.reason] += 1;
        break;
      }
      case 'vote-cast': {
        const vote = votes.get(event.path);
        if (!vote) break;
        vote.samples += 1;
        vote.candidates = Math.max(vote.candidates, event.candidate + 1);
        break;
      }
      case 'vote-decided': {
        const vote = votes.get(event.path);
        if (!vote) break;
        vote.status = 'decided';
        vote.votes = event.votes;
        vote.lead = event.lead;
        break;
      }
      case 'vote-exhausted': {
        const vote = votes.get(event.path);
        if (vote) vote.status = 'exhausted';
        break;
      }
      case 'step-end': {
        const row = steps.get(event.path);
        if (!row) break;
        row.status = event.status;
        row.endedAt = event.at;
        row.durationMs = event.at - row.startedAt;
        if (event.error) row.error = `${event.error.type}: ${event.error.message}`;
        break;
      }
      case 'tool-call-start':
      case 'model-call-start': {
        const row = steps.get(event.path);
        if (row) row.attempts = Math.max(row.attempts, event.attempt);
        if (event.type === 'tool-call-start') view.toolCalls += 1;
        else view.modelCalls += 1;
        if (event.type === 'tool-call-start' && event.node !== undefined)
          calling.set(event.path, event.node);
        break;
      }
      case 'tool-call-end': {
        const node = calling.get(event.path);
        if (node !== undefined) {
          calling.delete(event.path);
          routes.get(event.path)?.taken.push(node);
        }
        break;
      }
      case 'route-observe':
        if (!routes.has(event.path)) {
          routes.set(event.path, {
            path: event.path,
            status: 'running',
            planned: [],
            taken: [],
            replans: 0,
            reroutes: [],
            escalations: [],
          });
        }
        break;
      case 'route-plan': {
        const route = routes.get(event.path);
        if (!route) break;
        proceeded(route);
        if (route.planned.length === 0) {
          route.planned = [...event.nodes];
          route.taken = [event.from];
        } else {
          route.replans += 1;
        }
        break;
      }
      case 'route-reroute':
        routes.get(event.path)?.reroutes.push({
          node: event.node,
          tool: event.tool,
          cause: event.cause,
          message: event.message,
        });
        break;
      case 'route-consult':
      case 'route-escalate': {
        const route = routes.get(event.path);
        if (!route) break;
        proceeded(route);
        const from = event.type === 'route-escalate' ? event.from : null;
        route.escalations.push({
          reason: event.reason,
          from,
          failed: event.type === 'route-escalate' ? event.failed : null,
        });
        break;
      }
      case 'route-end': {
        const route = routes.get(event.path);
        if (!route) break;
        const { outcome } = event;
        route.status = outcome.status;
        const asked = route.escalations[route.escalations.length - 1];
        if (outcome.status === 'reached') {
          route.taken = [...outcome.path];
        } else {
          const start = route.taken[0];
          route.taken = [...(start === undefined ? [] : [start]), ...outcome.completed];
          if (asked)
            asked.answer =
              outcome.status === 'demoted'
                ? `demoted to ${outcome.goal}`
                : `escalated: ${outcome.message}`;
        }
        break;
      }
      case 'model-call-end':
        if (event.simulated) view.simulatedModelCalls += 1;
        view.tokens.input += event.usage.inputTokens;
        view.tokens.output += event.usage.outputTokens;
        view.costUsd += event.costUsd ?? 0;
        break;
      case 'timer-start':
        view.retries += 1;
        break;
      case 'approval-request':
        pending.set(event.path, { path: event.path, kind: 'approval', message: event.message });
        setStatus(steps, event.path, 'waiting');
        break;
      case 'outcome-unknown':
        pending.set(event.path, {
          path: event.path,
          kind: 'outcome-unknown',
          message: `tool ${event.tool} attempt ${event.attempt} may or may not have run (key ${event.key})`,
        });
        setStatus(steps, event.path, 'outcome-unknown');
        break;
      case 'approval-decision':
      case 'outcome-decision':
        pending.delete(event.path);
        setStatus(steps, event.path, 'running');
        break;
      case 'run-end':
        view.endedAt = event.at;
        if (event.output !== undefined) view.output = event.output;
        if (event.error) view.error = { type: event.error.type, message: event.error.message };
        pending.clear();
        break;
      default:
        break;
    }
  }
  view.steps = [...steps.values()];
  view.routes = [...routes.values()];
  view.votes = [...votes.values()];
  view.pending = [...pending.values()];
  return view;
}

/** Routing went on after a pre-flight consult: the model said to proceed. */
function proceeded(route: RouteRow): void {
  const asked = route.escalations[route.escalations.length - 1];
  if (asked?.reason === 'preflight' && asked.answer === undefined) asked.answer = 'proceed';
}

function setStatus(steps: Map<string, StepRow>, path: string, status: string): void {
  const row = steps.get(path);
  if (row) row.status = status;
}
