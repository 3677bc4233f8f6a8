import type { Failure } from './errors.js';
import type { JsonValue } from './json.js';

/**
 * The journal's event vocabulary: noun-verb with fixed verbs; extend, never rename.
 *
 * Events come in two families. *World* events record something nondeterministic that happened (a tool
 * returned, a timer fired, a human decided); *decision* events are what the executor concluded from the
 * spec and the journal so far. A journal is a sequence of batches, each one world event followed by the
 * decisions it enabled, written in one transaction. Replay re-derives every decision and compares.
 */
export interface EventBase {
  seq: number;
  /** Milliseconds since the epoch, read from the Clock port when the world event was observed. */
  at: number;
}

export interface RunStartEvent extends EventBase {
  type: 'run-start';
  runId: string;
  workflow: string;
  specHash: string;
  spec: JsonValue;
  input: JsonValue;
  /** Prompt file contents by spec-relative path, journaled so replay and resume never re-read files. */
  prompts: Record<string, string>;
  /** Registered tools the spec names, as they were at run start (replay reports a tool that changed). */
  tools: Record<string, ToolInfo>;
  /**
   * The registered vote parsers and checks the spec names (vote steps' `redFlags`), as they were at
   * run start; absent when it names none.
   */
  voteFunctions?: Record<string, VoteFunctionInfo>;
  /**
   * The models the spec's steps may call, with the price each carried at run start: what budget
   * checks price a call's worst case with (docs/models.md#budgets). Absent when the spec sets no
   * budget.
   */
  models?: Record<string, ModelInfo>;
  parent?: { runId: string; path: string };
  /** Where the run was started from, so resume can find the same config (not used by decisions). */
  origin?: RunOrigin;
}

export interface ToolInfo {
  version?: string;
  retry: 'safe' | 'unsafe';
}

export interface ModelInfo {
  /** USD per million tokens; absent for a model with no known price. */
  price?: { inputPerMTok: number; outputPerMTok: number };
  simulated?: boolean;
}

export interface VoteFunctionInfo {
  kind: 'parser' | 'check' | 'scorer' | 'classifier';
  version?: string;
}

export interface ToolCallEndEvent extends EventBase {
  type: 'tool-call-end';
  path: string;
  attempt: number;
  output: JsonValue;
}
export interface ToolCallErrorEvent extends EventBase {
  type: 'tool-call-error';
  path: string;
  attempt: number;
  error: Failure;
}
/** Resume found a tool call with a start and no end: the process died while it was in flight. */
export interface ToolCallInterruptedEvent extends EventBase {
  type: 'tool-call-interrupted';
  path: string;
  attempt: number;
}
export interface ModelCallEndEvent extends EventBase {
  type: 'model-call-end';
  path: string;
  attempt: number;
  /** For a vote step: the index of the sample this answers. */
  sample?: number;
  /** The raw completion; the executor parses and validates it, so replay re-checks that too. */
  text: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  simulated?: boolean;
  /** Why generation stopped (stop, length, …), as the provider said. */
  finishReason?: string;
  /** USD, priced by the metered seam from the usage and the model's price; absent when unpriced. */
  costUsd?: number;
  /** The tool calls the model asked for, when its request offered tools (none is executed). */
  toolCalls?: Array<{ id: string; name: string; input: JsonValue }>;
}
export interface ModelCallErrorEvent extends EventBase {
  type: 'model-call-error';
  path: string;
  attempt: number;
  /** For a vote step: the index of the sample whose call failed. */
  sample?: number;
  error: Failure;
}
export interface TimerFiredEvent extends EventBase {
  type: 'timer-fired';
  path: string;
  timer: number;
  /** For a vote step: the sample whose call is retried. */
  sample?: number;
}
export interface ApprovalDecisionEvent extends EventBase {
  type: 'approval-decision';
  path: string;
  approved: boolean;
  value?: JsonValue;
  comment?: string;
}
export interface ChildRunEndEvent extends EventBase {
  type: 'child-run-end';
  path: string;
  childRunId: string;
  status: 'completed' | 'failed';
  output?: JsonValue;
  error?: Failure;
}
/** An operator's decision about a call whose outcome is unknown (see docs/exactly-once.md). */
export interface OutcomeDecisionEvent extends EventBase {
  type: 'outcome-decision';
  path: string;
  action: 'retry' | 'complete' | 'fail';
  value?: JsonValue;
}
export interface RunCancelEvent extends EventBase {
  type: 'run-cancel';
  reason: string;
}
/**
 * The health view a route step decides on: which of its tools have an open circuit breaker now.
 * Read by the driver from the process's health table (never by the engine), and journaled, so
 * replay re-derives every routing decision without reading health.
 */
export interface RouteHealthEvent extends EventBase {
  type: 'route-health';
  path: string;
  down: string[];
}

export type WorldEvent =
  | RunStartEvent
  | ToolCallEndEvent
  | ToolCallErrorEvent
  | ToolCallInterruptedEvent
  | ModelCallEndEvent
  | ModelCallErrorEvent
  | TimerFiredEvent
  | ApprovalDecisionEvent
  | ChildRunEndEvent
  | OutcomeDecisionEvent
  | RunCancelEvent
  | RouteHealthEvent;

export interface StepStartEvent extends EventBase {
  type: 'step-start';
  path: string;
  kind: string;
}
export interface StepEndEvent extends EventBase {
  type: 'step-end';
  path: string;
  status: 'completed' | 'failed' | 'skipped' | 'cancelled';
  output?: JsonValue;
  error?: Failure;
}
export interface ToolCallStartEvent extends EventBase {
  type: 'tool-call-start';
  path: string;
  tool: string;
  /** For a route step: the node of its tool graph this call is for. */
  node?: string;
  version?: string;
  attempt: number;
  key: string;
  input: JsonValue;
  safe: boolean;
  timeoutAt?: number;
}
export interface ModelCallStartEvent extends EventBase {
  type: 'model-call-start';
  path: string;
  /** Unique within the step: a vote step numbers every sample's calls in one sequence. */
  attempt: number;
  /** For a vote step: the index of the sample this call draws (its temperature is in `request`). */
  sample?: number;
  model: string;
  /** sha256 of the prompt template (or, for a literal prompt, of the prompt itself). */
  promptHash: string;
  /**
   * What the call is made of (see ModelCallRequest): the template's variables rather than the
   * rendered text, so a million calls on one template journal the template once.
   */
  request: JsonValue;
  timeoutAt?: number;
  /** For a cascade step: the stage this call belongs to. */
  stage?: number;
  /** For cascade and consortium steps: what the call is for. */
  role?: ModelCallRole;
}

/**
 * A model-call-start's `request`. An agent or vote step journals `input`, the variables its prompt
 * template (identified by `promptHash`, stored once in run-start's `prompts`) is rendered with: the
 * rendered prompt is a pure function of the two. A prompt built by the engine itself (a route
 * step's consultation) journals the literal `prompt`.
 */
export interface ModelCallRequest {
  input?: JsonValue;
  prompt?: string;
  temperature: number;
  outputSchema?: JsonValue;
  maxTokens?: number;
}
/**
 * Where a run came from, so resuming it from anywhere builds the same tools and models: its config
 * file, the simulated model's seed, and for a built-in example (`switchyard example`) its settings.
 */
export interface RunOrigin {
  config?: string;
  seed?: number;
  example?: { name: string; errorRate: number };
}
/** answer: a cascade stage's answer; check: an agreement sample; judge: a judge's score; draft/merge: a consortium's. */
export type ModelCallRole = 'answer' | 'check' | 'judge' | 'draft' | 'merge';
export interface TimerStartEvent extends EventBase {
  type: 'timer-start';
  path: string;
  timer: number;
  fireAt: number;
  purpose: 'retry';
  /** For a vote step: the sample whose call is retried. */
  sample?: number;
}
export interface BranchDecisionEvent extends EventBase {
  type: 'branch-decision';
  path: string;
  /** Index of the case taken, 'default', or null when nothing matched and there is no default. */
  taken: number | 'default' | null;
}
export interface ApprovalRequestEvent extends EventBase {
  type: 'approval-request';
  path: string;
  message: string;
}
export interface ChildRunStartEvent extends EventBase {
  type: 'child-run-start';
  path: string;
  childRunId: string;
  workflow: string;
  input: JsonValue;
}
export interface OutcomeUnknownEvent extends EventBase {
  type: 'outcome-unknown';
  path: string;
  attempt: number;
  tool: string;
  key: string;
}
/** A route step asks the driver for the health of its tools; answered by `route-health`. */
export interface RouteObserveEvent extends EventBase {
  type: 'route-observe';
  path: string;
  tools: string[];
}
/** The pre-flight rule fired: enough of the route's tools are down to ask the model first. */
export interface RouteConsultEvent extends EventBase {
  type: 'route-consult';
  path: string;
  reason: 'preflight';
  down: string[];
}
/** A (re-)plan: the cheapest path from `from` to the goal, as node ids, and its cost. */
export interface RoutePlanEvent extends EventBase {
  type: 'route-plan';
  path: string;
  from: string;
  nodes: string[];
  cost: number;
}
/** The router goes ahead with `node`, and the monitor that won before the call. */
export interface RouteCallEvent extends EventBase {
  type: 'route-call';
  path: string;
  node: string;
  tool: string;
  monitor: 'intent' | 'risk' | 'tool-health' | 'progress';
  priority: number;
}
/** A node is blocked for the rest of the route: its breaker was open (tool-down) or it failed. */
export interface RouteRerouteEvent extends EventBase {
  type: 'route-reroute';
  path: string;
  node: string;
  tool: string;
  cause: 'tool-down' | 'tool-failed';
  message: string | null;
}
/** No way forward: the model is asked to demote the goal or hand off to a human. */
export interface RouteEscalateEvent extends EventBase {
  type: 'route-escalate';
  path: string;
  reason: 'no-path' | 'retries-exhausted';
  /** The node the route had reached (the router's `at`). */
  from: string;
  completed: string[];
  failed: string | null;
}
export type RouteOutcomeRecord =
  | { status: 'reached'; path: string[] }
  | {
      status: 'demoted';
      goal: string;
      reason: 'no-path' | 'retries-exhausted' | 'preflight';
      completed: string[];
    }
  | {
      status: 'escalated';
      message: string;
      reason: 'no-path' | 'retries-exhausted' | 'preflight';
      completed: string[];
    };
export interface RouteEndEvent extends EventBase {
  type: 'route-end';
  path: string;
  outcome: RouteOutcomeRecord;
}

/**
 * A vote step's decisions (docs/voting.md), one or more per sample added in sample-index order:
 * plain data re-derived on replay from the journaled samples (`model-call-end` with `sample`).
 */
export type VoteFlagReason = 'too-long' | 'unparseable' | 'rejected';
/** The sample was red-flagged: it is counted by reason and does not vote. */
export interface VoteFlaggedEvent extends EventBase {
  type: 'vote-flagged';
  path: string;
  sample: number;
  reason: VoteFlagReason;
  message: string;
}
/** The sample voted for candidate `candidate` (numbered in order first voted for), now at `votes`. */
export interface VoteCastEvent extends EventBase {
  type: 'vote-cast';
  path: string;
  sample: number;
  candidate: number;
  votes: number;
}
/** A candidate leads every other by k: its parsed value is the step's output. */
export interface VoteDecidedEvent extends EventBase {
  type: 'vote-decided';
  path: string;
  candidate: number;
  votes: number;
  /** votes minus the runner-up's (≥ k). */
  lead: number;
  samples: number;
}
/** The sample cap was reached without a winner: the step fails with VOTE_EXHAUSTED. */
export interface VoteExhaustedEvent extends EventBase {
  type: 'vote-exhausted';
  path: string;
  samples: number;
  /** Every candidate's vote key (canonical JSON of its parsed value) and votes, most first. */
  counts: Array<{ key: string; votes: number }>;
  flagged: Record<VoteFlagReason, number>;
}

/**
 * An agent step that names no model was routed by the workflow's routing (docs/models.md#routing):
 * the decision taken, its model, and the signals that fired (sorted); `domain` is the classifier's
 * label when a domain signal asked it.
 */
export interface ModelRouteEvent extends EventBase {
  type: 'model-route';
  path: string;
  decision: string;
  model: string;
  signals: string[];
  domain?: string;
}

/** Token and money amounts, as budgets count them. */
export interface Spend {
  usd: number;
  tokens: number;
}

/**
 * A step could not go on without a human or a larger budget. `budget-exceeded`: a model call would
 * overrun (refused before it was sent, `phase: before-call`, with its worst case) or did overrun
 * (`phase: after-call`, with its actual usage) the run's or the step's budget. The step fails with
 * BUDGET_EXCEEDED after this event; nothing is spent silently.
 */
export interface EscalationEvent extends EventBase {
  type: 'escalation';
  path: string;
  reason: 'budget-exceeded';
  /** Whose budget: the run's (workflow `budget`) or the step's. */
  budget: 'run' | 'step';
  phase: 'before-call' | 'after-call';
  model: string;
  /** Which limit: usd or tokens. */
  exceeded: 'usd' | 'tokens';
  limit: { usd?: number; tokens?: number };
  /** Spent by that scope before this call (with calls still in flight at their worst case). */
  spent: Spend;
  /** This call: its worst case before the call, its actual usage after. */
  call: Spend;
}

/** A cascade stage's answer was scored (docs/models.md#cascade). */
export interface CascadeScoreEvent extends EventBase {
  type: 'cascade-score';
  path: string;
  stage: number;
  /** The configured model name that answered. */
  model: string;
  scorer: 'schema' | 'agreement' | 'judge' | 'function' | 'none';
  /** 0..1; an answer that is not valid output scores 0. */
  score: number;
  threshold: number;
  detail: string;
}
/** The stage's answer is the step's output (accept) or the next stage is asked (escalate). */
export interface CascadeDecidedEvent extends EventBase {
  type: 'cascade-decided';
  path: string;
  stage: number;
  action: 'accept' | 'escalate' | 'reject';
  reason: 'score' | 'provider-error';
}
/** A stage's model failed past its retry budget: its next fallback model is asked instead. */
export interface CascadeFallbackEvent extends EventBase {
  type: 'cascade-fallback';
  path: string;
  stage: number;
  from: string;
  to: string;
  error: string;
}

export interface RunEndEvent extends EventBase {
  type: 'run-end';
  status: 'completed' | 'failed' | 'cancelled';
  output?: JsonValue;
  error?: Failure;
}

export type DecisionEvent =
  | StepStartEvent
  | StepEndEvent
  | ToolCallStartEvent
  | ModelCallStartEvent
  | TimerStartEvent
  | BranchDecisionEvent
  | ApprovalRequestEvent
  | ChildRunStartEvent
  | OutcomeUnknownEvent
  | RouteObserveEvent
  | RouteConsultEvent
  | RoutePlanEvent
  | RouteCallEvent
  | RouteRerouteEvent
  | RouteEscalateEvent
  | RouteEndEvent
  | VoteFlaggedEvent
  | VoteCastEvent
  | VoteDecidedEvent
  | VoteExhaustedEvent
  | EscalationEvent
  | ModelRouteEvent
  | CascadeScoreEvent
  | CascadeDecidedEvent
  | CascadeFallbackEvent
  | RunEndEvent;

export type JournalEvent = WorldEvent | DecisionEvent;
export type EventType = JournalEvent['type'];

/** An event before the journal writer numbers it. */
export type Unsequenced<E> = E extends EventBase ? Omit<E, 'seq'> : never;

const WORLD_TYPES: ReadonlySet<string> = new Set([
  'run-start',
  'tool-call-end',
  'tool-call-error',
  'tool-call-interrupted',
  'model-call-end',
  'model-call-error',
  'timer-fired',
  'approval-decision',
  'child-run-end',
  'outcome-decision',
  'run-cancel',
  'route-health',
]);

export function isWorldEvent(event: JournalEvent): event is WorldEvent {
  return WORLD_TYPES.has(event.type);
}

/**
 * Payload fields that may be moved out of the event into the content-addressed blob store when large:
 * stored as `<field>Ref: <sha256>` in place of `<field>`.
 */
export const PAYLOAD_FIELDS = [
  'spec',
  'input',
  'output',
  'request',
  'value',
  'prompts',
  'text',
] as const;
