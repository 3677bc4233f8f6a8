import type { JsonValue } from '../core/json.js';
import { isJsonObject } from '../core/json.js';
import type { Route } from '../routing/compile.js';
import type {
  ConsultAnswer,
  EscalationAnswer,
  Observation,
  RouteAction,
  RouteState,
} from '../routing/router.js';

/**
 * What a route step asks its model, and how the answer is read. The prompt is built in code from
 * the route and its state (what is down, what completed), so it is a pure function of the journal;
 * the output schema's enums let any model that honours a schema — the simulated one included —
 * answer validly. An answer that does not fit becomes an explicit escalation saying so: the route
 * never goes on silently on a reply it could not read.
 */
export interface RouteQuestion {
  prompt: string;
  outputSchema: Record<string, JsonValue>;
}

type Asking = Extract<RouteAction, { kind: 'consult' | 'escalate' }>;

export function routeQuestion(
  route: Route,
  state: RouteState,
  action: Asking,
  observation: Observation,
): RouteQuestion {
  const consult = action.kind === 'consult';
  const goals = demotionGoals(route, state);
  const list = (items: readonly string[]): string =>
    items.length === 0 ? 'none' : items.map((item) => `"${item}"`).join(', ');
  const why = consult
    ? `Before anything ran, ${action.down.length} of the route's tools are already down ` +
      `(circuit breaker open): ${list(action.down)}. Decide whether the task is still worth trying.`
    : action.reason === 'no-path'
      ? `No path to the goal is left: every remaining way goes through a tool that failed or is down.`
      : `The route's tools failed ${route.maxRetries + 1} times, more than its retry budget ` +
        `(maxRetries ${route.maxRetries}).`;
  const lines = [
    'You decide for a self-healing tool route in a workflow. Routing has handled every failure it',
    'could without you; it asks you only when it cannot go on by itself.',
    '',
    `Route: from "${route.start}" to the goal "${route.goal}".`,
    why,
    `Tools down now: ${list(observation.down)}.`,
    `Nodes blocked for this route (failed or down): ${list(state.blocked)}.`,
    `Nodes completed, in order: ${list(state.completed)}.`,
  ];
  if (state.request.text !== undefined) lines.push(`The request: ${state.request.text}`);
  lines.push('', 'Answer with one JSON object and nothing else:');
  if (consult) lines.push('- {"kind": "proceed"} to try the route anyway;');
  lines.push(
    `- {"kind": "demote", "goal": <one of ${list(goals)}>} to settle for a smaller goal already reached;`,
    '- {"kind": "escalate", "message": "<what a human must do>"} to hand the task to a human.',
  );
  const kinds = consult ? ['proceed', 'demote', 'escalate'] : ['demote', 'escalate'];
  return {
    prompt: lines.join('\n'),
    outputSchema: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: kinds },
        goal: { type: 'string', enum: goals },
        message: { type: 'string' },
      },
      required: ['kind'],
      additionalProperties: false,
    },
  };
}

/** The goals a demotion may name: the start and the nodes that completed. */
function demotionGoals(route: Route, state: RouteState): string[] {
  return [route.start, ...state.completed];
}

/** Reads the model's answer; anything that does not fit is an escalation that says why. */
export function readRouteAnswer(
  route: Route,
  state: RouteState,
  text: string,
): ConsultAnswer | EscalationAnswer {
  const consult = state.phase === 'consulting';
  const invalid = (why: string): EscalationAnswer => ({
    kind: 'escalate',
    message: `the model's answer could not be used (${why}), so the route is handed to a human`,
  });
  let value: JsonValue;
  try {
    value = JSON.parse(unfence(text)) as JsonValue;
  } catch {
    return invalid('it is not JSON');
  }
  if (!isJsonObject(value)) return invalid('it is not a JSON object');
  const { kind, goal, message } = value;
  if (message !== undefined && typeof message !== 'string')
    return invalid('"message" is not a string');
  if (kind === 'proceed')
    return consult ? { kind: 'proceed' } : invalid('"proceed" is not an option here');
  if (kind === 'demote') {
    if (typeof goal !== 'string') return invalid('"demote" without a "goal"');
    if (!demotionGoals(route, state).includes(goal))
      return invalid(`"${goal}" is neither the start nor a completed node`);
    return { kind: 'demote', goal };
  }
  if (kind === 'escalate') {
    return {
      kind: 'escalate',
      message:
        typeof message === 'string' && message !== ''
          ? message
          : 'the model escalated without a message',
    };
  }
  return invalid(`"kind" is ${JSON.stringify(kind ?? null)}`);
}

/** Strips a Markdown code fence, which models often put around JSON even when asked not to. */
function unfence(text: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return match ? (match[1] as string) : text;
}
