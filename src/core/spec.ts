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
] as const;
export type StepKind = (typeof STEP_KINDS)[number];
/** Kinds that later releases add; named here so the error for them says "not yet" rather than "unknown". */
export const RESERVED_STEP_KINDS = ['route', 'vote'] as const;

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

export type StepSpec =
  | ToolStepSpec
  | AgentStepSpec
  | BranchStepSpec
  | LoopStepSpec
  | MapStepSpec
  | ParallelStepSpec
  | WorkflowStepSpec
  | ApprovalStepSpec;

export interface WorkflowSpec {
  name: string;
  version?: string | undefined;
  description?: string | undefined;
  input?: { schema: Record<string, JsonValue> } | undefined;
  steps: StepSpec[];
  output?: JsonValue | undefined;
  /** Sub-workflows referenced by `workflow` steps, by name (bundled so a run carries its whole program). */
  workflows?: Record<string, WorkflowSpec> | undefined;
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
const AgentStep = z.strictObject({
  ...common,
  kind: z.literal('agent'),
  prompt: z.string().min(1).describe('Path of the prompt file, relative to the spec file'),
  model: z.string().optional(),
  input: Template.optional(),
  output: z.strictObject({ schema: JsonSchemaObject }).optional(),
  temperature: z.number().min(0).max(2).default(0),
  maxTokens: z.number().int().min(1).optional(),
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

export const StepSchema: z.ZodType<StepSpec> = z.discriminatedUnion('kind', [
  ToolStep,
  AgentStep,
  BranchStep,
  LoopStep,
  MapStep,
  ParallelStep,
  WorkflowStep,
  ApprovalStep,
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
  })
  .transform(({ $schema: _ignored, ...rest }) => rest);
