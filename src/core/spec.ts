import { z } from 'zod';
import type { JsonValue } from './json.js';

/**
 * The canonical workflow spec. YAML and the TypeScript builder both compile to this shape, validated by
 * these zod schemas (which also generate schema/workflow.schema.json for editors). Defaults are filled in
 * by parsing, so a field written out with its default value and one left out hash the same.
 */

export const STEP_KINDS = [
  'tool',
  'agent',
  'branch',
  'loop',
  'map',
  'parallel',
  'workflow',
  'approval',
  'route',
  'vote',
  'cascade',
  'consortium',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];
/** Kinds that later releases add; named here so the error for them says "not yet" rather than "unknown". */
export const RESERVED_STEP_KINDS = [] as const;

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const StepId = z
  .string()
  .regex(ID_PATTERN, 'a step id starts with a letter or _ and holds only letters, digits, _ and -')
  .max(64);

/** Any JSON; strings of the form `$.input…`, `$.steps.<id>.output…` are references, `{ $expr }` is JSONata. */
const Template = z
  .json()
  .describe('A JSON value; "$.input.x" and "$.steps.<id>.output.y" strings are references');
const Expression = z
  .string()
  .min(1)
  .describe('A JSONata expression over { input, steps, item, index, iteration, previous }');
const JsonSchemaObject = z
  .record(z.string(), z.json())
  .describe('A JSON Schema (draft 2020-12) object');

export const BackoffSchema = z.strictObject({
  initialMs: z.number().int().min(0).default(200),
  factor: z.number().min(1).default(2),
  maxMs: z.number().int().min(0).default(30_000),
  jitter: z.boolean().default(true),
});

export const RetrySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(1000).default(1),
  backoff: BackoffSchema.default({ initialMs: 200, factor: 2, maxMs: 30_000, jitter: true }),
});

export type Backoff = z.output<typeof BackoffSchema>;

/** A limit on what model calls may spend: USD, tokens (input + output), or both. */
export interface BudgetSpec {
  usd?: number | undefined;
  tokens?: number | undefined;
}

export const BudgetSchema = z
  .strictObject({
    usd: z
      .number()
      .positive()
      .optional()
      .describe("Most USD the model calls may cost (priced from the models' price)"),
    tokens: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Most tokens (input + output) the model calls may use'),
  })
  .refine((budget) => budget.usd !== undefined || budget.tokens !== undefined, {
    message: 'a budget needs usd, tokens or both',
  })
  .describe('Checked before each model call (worst case from maxTokens) and after (actual usage)');
export type RetryPolicy = z.output<typeof RetrySchema>;

interface StepCommon {
  id: string;
  description?: string | undefined;
  after: string[];
  retry?: RetryPolicy | undefined;
  timeoutMs?: number | undefined;
  onError: 'fail' | 'continue' | { fallback: StepSpec };
}

export interface BlockSpec {
  steps: StepSpec[];
  output?: JsonValue | undefined;
}

export interface ToolStepSpec extends StepCommon {
  kind: 'tool';
  tool: string;
  version?: string | undefined;
  input?: JsonValue | undefined;
}
export interface AgentStepSpec extends StepCommon {
  kind: 'agent';
  prompt: string;
  model?: string | undefined;
  input?: JsonValue | undefined;
  output?: { schema: Record<string, JsonValue> } | undefined;
  temperature: number;
  maxTokens?: number | undefined;
  budget?: BudgetSpec | undefined;
  /** Labels the workflow's model routing can match (`tag` signals). */
  tags?: string[] | undefined;
  /** What the step may cost, for `costTier` signals. */
  costTier?: CostTier | undefined;
}
export type CostTier = 'low' | 'standard' | 'high';

/**
 * One signal of a workflow's model routing (docs/models.md#routing), computed from an agent step
 * that names no model: its rendered prompt, its input, its tags and cost tier.
 */
export type RoutingSignalSpec =
  | { keyword: { any?: string[] | undefined; all?: string[] | undefined; caseSensitive: boolean } }
  | { regex: string; flags?: string | undefined }
  | { contextLength: { minTokens?: number | undefined; maxTokens?: number | undefined } }
  | { domain: string }
  | { tag: string }
  | { costTier: CostTier };

export interface RoutingDecisionSpec {
  name: string;
  /** The highest priority among the decisions that match wins; ties go to the one listed first. */
  priority: number;
  /** Signals that must all fire, of which one must fire, and of which none may. */
  when?:
    | { all?: string[] | undefined; any?: string[] | undefined; not?: string[] | undefined }
    | undefined;
  /** The decision taken when no other matches: exactly one decision is the default. */
  default?: boolean | undefined;
  model: string;
}

export interface RoutingSpec {
  /** A registered domain classifier (`domain` signals ask it); required when a signal is `domain`. */
  classifier?: string | undefined;
  signals: Record<string, RoutingSignalSpec>;
  decisions: RoutingDecisionSpec[];
}
export interface BranchStepSpec extends StepCommon {
  kind: 'branch';
  cases: Array<{ when: string } & BlockSpec>;
  default?: BlockSpec | undefined;
}
export interface LoopStepSpec extends StepCommon, BlockSpec {
  kind: 'loop';
  maxIterations: number;
  until?: string | undefined;
}
export interface MapStepSpec extends StepCommon, BlockSpec {
  kind: 'map';
  items: JsonValue;
  concurrency: number;
}
export interface ParallelStepSpec extends StepCommon {
  kind: 'parallel';
  branches: Record<string, BlockSpec>;
}
export interface WorkflowStepSpec extends StepCommon {
  kind: 'workflow';
  workflow: string;
  input?: JsonValue | undefined;
}
export interface ApprovalStepSpec extends StepCommon {
  kind: 'approval';
  message: string;
}

/**
 * A node of a route's tool graph: a tool the route may call, with the attributes the edge weight
 * (Eq. 1, routing/weight.ts) reads. Absent attributes take the paper's defaults (latency 100 ms,
 * reliability 0.99, rate-limit proximity 0), under which every edge weighs `cost / 0.99`.
 */
export interface ToolNodeSpec {
  id: string;
  /** The registered tool this node calls; defaults to `id`. The start node is never called. */
  tool?: string | undefined;
  /** Typical latency in milliseconds (default 100). */
  latencyMs?: number | undefined;
  /** Probability a call succeeds, 0..1 (default 0.99). */
  reliability?: number | undefined;
  /** How close the tool is to its rate limit: 0 far, 1 at the limit (default 0). */
  rateLimitProximity?: number | undefined;
}

/** A directed edge: after `from` has run, `to` may run, at base cost `cost` (≥ 0). */
export interface ToolEdgeSpec {
  from: string;
  to: string;
  cost: number;
}

export interface ToolGraphSpec {
  nodes: ToolNodeSpec[];
  edges: ToolEdgeSpec[];
}

/**
 * A route as a spec writes it (the pure router's input, routing/). `start` is an entry point that
 * is never called (the paper's `Start`); every other node on the path is called, the goal included.
 */
export interface RouteSpec {
  graph: ToolGraphSpec;
  start: string;
  goal: string;
  /** Tool failures tolerated before escalating: the (maxRetries + 1)-th failure escalates (default 3). */
  maxRetries?: number | undefined;
  /**
   * When at least this many of the route's tools are already known to be down at the start, the
   * model is consulted once on feasibility before anything runs (default 3, the paper's pre-flight;
   * 0 turns it off).
   */
  preflightThreshold?: number | undefined;
}

/**
 * Self-healing tool routing (docs/routing.md): the shortest path through a tool graph, re-planned
 * around tools that fail or whose circuit breaker is open; the model is asked only when no path is
 * left. Every node's tool receives the step's resolved `input`; `request` feeds the monitors.
 */
export interface RouteStepSpec extends StepCommon, RouteSpec {
  kind: 'route';
  maxRetries: number;
  preflightThreshold: number;
  input?: JsonValue | undefined;
  /** Resolves to `{ text?, amount?, riskFlags? }`: what the intent and risk monitors read. */
  request?: JsonValue | undefined;
  /** The model asked on escalation and on the pre-flight consult (default 'default'). */
  model?: string | undefined;
}

/** A vote's red-flag parser: the strict JSON parser, a regex with groups, or a registered function. */
export type VoteParserSpec =
  'json' | { regex: string; flags?: string | undefined } | { function: string };

/**
 * Error correction by voting (docs/voting.md): the agent step's call sampled until one parsed answer
 * leads every other by `k` votes; samples that fail the red flags are discarded before they vote.
 * The fields beside the agent's are the voting core's `VoteSpec` (voting/rule.ts).
 */
export interface VoteStepSpec extends StepCommon {
  kind: 'vote';
  prompt: string;
  model?: string | undefined;
  input?: JsonValue | undefined;
  /** Checked on each parsed sample: one that does not match is flagged `rejected`. */
  output?: { schema: Record<string, JsonValue> } | undefined;
  maxTokens?: number | undefined;
  k: number;
  maxSamples: number;
  temperature: { first: number; later: number };
  maxParallel?: number | undefined;
  redFlags: {
    maxOutputTokens?: number | undefined;
    parser: VoteParserSpec;
    check?: string | undefined;
  };
  budget?: BudgetSpec | undefined;
}

/**
 * How a cascade stage's answer is scored (0..1): valid output (schema), agreement of extra samples
 * with the answer, a judge model's score, or a registered scorer function.
 */
export type CascadeScorerSpec =
  | { kind: 'schema' }
  | { kind: 'agreement'; samples: number; temperature: number }
  | { kind: 'judge'; model: string }
  | { kind: 'function'; name: string };

export interface CascadeStageSpec {
  /** The model asked first at this stage. */
  model: string;
  /** Asked in order when the model before fails with provider errors past `retries`. */
  fallbacks: string[];
  /** Calls after the first a model of this stage gets when the provider fails (default 1). */
  retries: number;
  /** Absent: the answer is accepted if it is valid output. */
  scorer?: CascadeScorerSpec | undefined;
  /** Accept when score ≥ threshold (default 1). */
  threshold: number;
}

/**
 * A cascade (docs/models.md#cascade): the stages' models from cheap to expensive; each stage's
 * answer is scored, accepted at or above its threshold, otherwise the next stage is asked.
 */
export interface CascadeStepSpec extends StepCommon {
  kind: 'cascade';
  prompt: string;
  input?: JsonValue | undefined;
  output?: { schema: Record<string, JsonValue> } | undefined;
  temperature: number;
  maxTokens?: number | undefined;
  stages: CascadeStageSpec[];
  budget?: BudgetSpec | undefined;
}

/**
 * A model consortium (docs/models.md#consortium): several models draft an answer to one prompt in
 * parallel; a consolidating model merges the drafts into the step's output.
 */
export interface ConsortiumStepSpec extends StepCommon {
  kind: 'consortium';
  prompt: string;
  input?: JsonValue | undefined;
  /** Checked on the merged answer; also sent with each draft request. */
  output?: { schema: Record<string, JsonValue> } | undefined;
  temperature: number;
  maxTokens?: number | undefined;
  /** The models that draft, in parallel. */
  drafters: string[];
  /** Drafts that must arrive for the merge to go ahead (default 1). */
  minDrafts: number;
  /** The consolidating model. */
  merge: { model: string };
  budget?: BudgetSpec | undefined;
}

export type StepSpec =
  | ToolStepSpec
  | AgentStepSpec
  | BranchStepSpec
  | LoopStepSpec
  | MapStepSpec
  | ParallelStepSpec
  | WorkflowStepSpec
  | ApprovalStepSpec
  | RouteStepSpec
  | VoteStepSpec
  | CascadeStepSpec
  | ConsortiumStepSpec;

export interface WorkflowSpec {
  name: string;
  version?: string | undefined;
  description?: string | undefined;
  input?: { schema: Record<string, JsonValue> } | undefined;
  steps: StepSpec[];
  output?: JsonValue | undefined;
  /** Sub-workflows referenced by `workflow` steps, by name (bundled so a run carries its whole program). */
  workflows?: Record<string, WorkflowSpec> | undefined;
  /** What the run's model calls may spend in all (its own steps; a sub-workflow has its own). */
  budget?: BudgetSpec | undefined;
  /** Which model an agent step that names none calls, decided on signals (docs/models.md#routing). */
  routing?: RoutingSpec | undefined;
}

const common = {
  id: StepId,
  description: z.string().optional(),
  after: z
    .array(StepId)
    .default([])
    .describe('Steps that must finish first, beyond those referenced'),
  retry: RetrySchema.optional(),
  timeoutMs: z.number().int().min(1).optional().describe('Per-attempt timeout in milliseconds'),
  onError: z
    .union([z.enum(['fail', 'continue']), z.strictObject({ fallback: z.lazy(() => StepSchema) })])
    .default('fail')
    .describe(
      'fail: fail the enclosing block; continue: carry on with output null; fallback: run this step instead',
    ),
};

function blockFields() {
  return {
    steps: z.array(z.lazy(() => StepSchema)).min(1),
    output: Template.optional(),
  };
}

export const BlockSchema: z.ZodType<BlockSpec> = z.strictObject(blockFields());

const ToolStep = z.strictObject({
  ...common,
  kind: z.literal('tool'),
  tool: z.string().min(1).describe('Name of a registered tool'),
  version: z.string().optional(),
  input: Template.optional(),
});
const CostTierSchema = z.enum(['low', 'standard', 'high']);

const SignalNames = z.array(z.string().min(1)).min(1);
const RoutingSignal = z
  .union([
    z.strictObject({
      keyword: z
        .strictObject({
          any: SignalNames.optional().describe('Fires when one of these occurs in the prompt'),
          all: SignalNames.optional().describe('Fires when all of these occur in the prompt'),
          caseSensitive: z.boolean().default(false),
        })
        .refine((k) => k.any !== undefined || k.all !== undefined, {
          message: 'a keyword signal needs any, all or both',
        }),
    }),
    z.strictObject({
      regex: z.string().min(1).describe('Fires when it matches the prompt'),
      flags: z.string().optional().describe('RegExp flags (i, s, u; not g or y)'),
    }),
    z.strictObject({
      contextLength: z
        .strictObject({
          minTokens: z.number().int().min(0).optional(),
          maxTokens: z.number().int().min(0).optional(),
        })
        .describe("Fires when the prompt's estimated tokens (characters / 3) are in range"),
    }),
    z.strictObject({
      domain: z.string().min(1).describe("Fires when the classifier's label is this"),
    }),
    z.strictObject({ tag: z.string().min(1).describe("Fires when the step's tags hold this") }),
    z.strictObject({ costTier: CostTierSchema.describe("Fires when the step's costTier is this") }),
  ])
  .describe('keyword | regex | contextLength | domain | tag | costTier');
const RoutingDecision = z.strictObject({
  name: z.string().min(1),
  priority: z.number().int().default(0).describe('Highest matching priority wins'),
  when: z
    .strictObject({
      all: SignalNames.optional(),
      any: SignalNames.optional(),
      not: SignalNames.optional(),
    })
    .optional()
    .describe('Signal names: all must fire, one of any must fire, none of not may'),
  default: z.boolean().optional().describe('Taken when no other decision matches'),
  model: z.string().min(1).describe('The configured model this decision calls'),
});
export const RoutingSchema = z
  .strictObject({
    classifier: z.string().min(1).optional().describe('A registered domain classifier'),
    signals: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/), RoutingSignal).default({}),
    decisions: z.array(RoutingDecision).min(1),
  })
  .describe('Signal-based model choice for agent steps that name no model');

const AgentStep = z.strictObject({
  ...common,
  kind: z.literal('agent'),
  prompt: z.string().min(1).describe('Path of the prompt file, relative to the spec file'),
  model: z.string().optional(),
  input: Template.optional(),
  output: z.strictObject({ schema: JsonSchemaObject }).optional(),
  temperature: z.number().min(0).max(2).default(0),
  maxTokens: z.number().int().min(1).optional(),
  budget: BudgetSchema.optional(),
  tags: z.array(z.string().min(1)).optional().describe("Labels the workflow's routing can match"),
  costTier: CostTierSchema.optional().describe('What the step may cost, for costTier signals'),
});
const BranchStep = z.strictObject({
  ...common,
  kind: z.literal('branch'),
  cases: z.array(z.strictObject({ when: Expression, ...blockFields() })).min(1),
  default: z.lazy(() => BlockSchema).optional(),
});
const LoopStep = z.strictObject({
  ...common,
  kind: z.literal('loop'),
  maxIterations: z.number().int().min(1).max(100_000_000).describe('Required: loops are bounded'),
  until: Expression.optional().describe('Stop after an iteration for which this is true'),
  ...blockFields(),
});
const MapStep = z.strictObject({
  ...common,
  kind: z.literal('map'),
  items: Template.describe('A reference to the list to fan out over'),
  concurrency: z.number().int().min(1).max(10_000).default(4),
  ...blockFields(),
});
const ParallelStep = z.strictObject({
  ...common,
  kind: z.literal('parallel'),
  branches: z
    .record(
      StepId,
      z.lazy(() => BlockSchema),
    )
    .refine((b) => Object.keys(b).length > 0, 'at least one branch'),
});
const WorkflowStep = z.strictObject({
  ...common,
  kind: z.literal('workflow'),
  workflow: z.string().min(1).describe('Name of a bundled workflow (YAML: a path to its file)'),
  input: Template.optional(),
});
const ApprovalStep = z.strictObject({
  ...common,
  kind: z.literal('approval'),
  message: z.string().default('Approve to continue'),
});

const ToolNode = z.strictObject({
  id: z.string().min(1).describe('The node id, unique in the graph'),
  tool: z
    .string()
    .min(1)
    .optional()
    .describe('The registered tool this node calls (default: its id)'),
  latencyMs: z.number().optional().describe('Typical latency in ms (default 100)'),
  reliability: z.number().optional().describe('Probability a call succeeds, 0..1 (default 0.99)'),
  rateLimitProximity: z
    .number()
    .optional()
    .describe('How close the tool is to its rate limit, 0..1 (default 0)'),
});
const ToolEdge = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  cost: z.number().describe('Base cost, 0 or more'),
});
const RouteStep = z.strictObject({
  ...common,
  kind: z.literal('route'),
  graph: z.strictObject({
    nodes: z.array(ToolNode).min(1),
    edges: z.array(ToolEdge),
  }),
  start: z.string().min(1).describe('The entry node (never called)'),
  goal: z.string().min(1).describe('The node whose call ends the route'),
  maxRetries: z.number().default(3).describe('Tool failures tolerated before escalating'),
  preflightThreshold: z
    .number()
    .default(3)
    .describe('Tools already down at the start that trigger a pre-flight consult (0: never)'),
  input: Template.optional().describe("Every node's tool receives this"),
  request: Template.optional().describe('{ text?, amount?, riskFlags? } for the monitors'),
  model: z.string().optional().describe('Asked on escalation (default "default")'),
});

const VoteParser = z
  .union([
    z.literal('json'),
    z.strictObject({
      regex: z.string().min(1).describe('Must match the whole output; named groups make the vote'),
      flags: z.string().optional().describe('RegExp flags (not g, y or m)'),
    }),
    z.strictObject({ function: z.string().min(1).describe('Name of a registered parser') }),
  ])
  .describe('json (strict), { regex, flags? } or { function }');
const VoteStep = z.strictObject({
  ...common,
  kind: z.literal('vote'),
  prompt: z.string().min(1).describe('Path of the prompt file, relative to the spec file'),
  model: z.string().optional(),
  input: Template.optional(),
  output: z
    .strictObject({ schema: JsonSchemaObject })
    .optional()
    .describe('A parsed sample that does not match is flagged'),
  maxTokens: z.number().int().min(1).optional(),
  k: z.number().int().min(1).max(1000).describe('The lead that decides: first-to-ahead-by-k'),
  maxSamples: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .describe('Samples drawn (flagged ones included) before the vote is exhausted'),
  temperature: z
    .strictObject({
      first: z.number().min(0).max(2).default(0).describe('Temperature of sample 0'),
      later: z.number().min(0).max(2).default(0.1).describe('Temperature of every later sample'),
    })
    .default({ first: 0, later: 0.1 }),
  maxParallel: z.number().int().min(1).max(10_000).optional().describe('Most samples at once'),
  redFlags: z
    .strictObject({
      maxOutputTokens: z
        .number()
        .int()
        .min(1)
        .optional()
        .describe('Flag samples longer than this (absent: no limit)'),
      parser: VoteParser.default('json'),
      check: z.string().min(1).optional().describe('Name of a registered check'),
    })
    .default({ parser: 'json' }),
  budget: BudgetSchema.optional(),
});

const CascadeScorer = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('schema') }),
    z.strictObject({
      kind: z.literal('agreement'),
      samples: z
        .number()
        .int()
        .min(2)
        .max(10)
        .default(2)
        .describe('Samples in all, the answer included; score = share of the others that agree'),
      temperature: z
        .number()
        .min(0)
        .max(2)
        .default(0.7)
        .describe('Temperature of the extra samples'),
    }),
    z.strictObject({
      kind: z.literal('judge'),
      model: z.string().min(1).describe('The model asked to score the answer 0..1'),
    }),
    z.strictObject({
      kind: z.literal('function'),
      name: z.string().min(1).describe('Name of a registered cascade scorer'),
    }),
  ])
  .describe('schema | agreement | judge | function');
const CascadeStage = z.strictObject({
  model: z.string().min(1).describe('The model this stage asks'),
  fallbacks: z
    .array(z.string().min(1))
    .default([])
    .describe('Models asked in order when the one before fails with provider errors'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(1)
    .describe('Per model: calls after the first on a provider error'),
  scorer: CascadeScorer.optional().describe('Absent: a valid answer is accepted'),
  threshold: z.number().min(0).max(1).default(1).describe('Accept when score >= threshold'),
});
const CascadeStep = z.strictObject({
  ...common,
  kind: z.literal('cascade'),
  prompt: z.string().min(1).describe('Path of the prompt file, relative to the spec file'),
  input: Template.optional(),
  output: z.strictObject({ schema: JsonSchemaObject }).optional(),
  temperature: z.number().min(0).max(2).default(0),
  maxTokens: z.number().int().min(1).optional(),
  stages: z.array(CascadeStage).min(1).describe('From cheap to expensive'),
  budget: BudgetSchema.optional(),
});

const ConsortiumStep = z.strictObject({
  ...common,
  kind: z.literal('consortium'),
  prompt: z.string().min(1).describe('Path of the prompt file, relative to the spec file'),
  input: Template.optional(),
  output: z.strictObject({ schema: JsonSchemaObject }).optional(),
  temperature: z.number().min(0).max(2).default(0),
  maxTokens: z.number().int().min(1).optional(),
  drafters: z.array(z.string().min(1)).min(2).describe('The models that draft, in parallel'),
  minDrafts: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe('Drafts that must arrive for the merge to go ahead'),
  merge: z.strictObject({ model: z.string().min(1).describe('The consolidating model') }),
  budget: BudgetSchema.optional(),
});

export const StepSchema: z.ZodType<StepSpec> = z.discriminatedUnion('kind', [
  ToolStep,
  AgentStep,
  BranchStep,
  LoopStep,
  MapStep,
  ParallelStep,
  WorkflowStep,
  ApprovalStep,
  RouteStep,
  VoteStep,
  CascadeStep,
  ConsortiumStep,
]);

export const WorkflowSchema: z.ZodType<WorkflowSpec> = z
  .strictObject({
    $schema: z.string().optional(),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, ., _ and -')
      .max(128),
    version: z.union([z.string(), z.number().transform(String)]).optional(),
    description: z.string().optional(),
    input: z.strictObject({ schema: JsonSchemaObject }).optional(),
    steps: z.array(StepSchema).min(1),
    output: Template.optional(),
    workflows: z
      .record(
        z.string(),
        z.lazy(() => WorkflowSchema),
      )
      .optional(),
    budget: BudgetSchema.optional(),
    routing: RoutingSchema.optional(),
  })
  .transform(({ $schema: _ignored, ...rest }) => rest);
