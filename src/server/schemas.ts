import { z } from 'zod';
import { RUN_STATUSES } from '../core/ports.js';

/**
 * The HTTP API's request and response shapes. Requests are validated with these schemas (strict:
 * an unknown field is an error naming it) and /openapi.json is generated from them, so the document
 * cannot drift from what the server accepts.
 */

const anyJson = z.unknown().meta({ description: 'any JSON value' });
const stepPath = z
  .string()
  .min(1)
  .max(1000)
  .meta({ description: 'the step path, as `runs show` and the run view name it (e.g. `review`)' });

export const SubmitRunBody = z
  .strictObject({
    workflow: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .meta({ description: 'name of a workflow registered under `workflows:` in the config' }),
    spec: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'an inline workflow spec (the JSON form of a workflow YAML file)' }),
    prompts: z
      .record(z.string(), z.string())
      .optional()
      .meta({ description: "an inline spec's prompt files, by the path its agent steps name" }),
    input: anyJson.optional().meta({ description: "the run's input (default {})" }),
  })
  .superRefine((body, context) => {
    if (body.workflow === undefined && body.spec === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['workflow'],
        message: 'give `workflow` (a registered name) or `spec` (an inline workflow)',
      });
    }
    if (body.workflow !== undefined && body.spec !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['spec'],
        message: 'give `workflow` or `spec`, not both',
      });
    }
    if (body.prompts !== undefined && body.spec === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['prompts'],
        message: '`prompts` go with an inline `spec`; a registered workflow has its own files',
      });
    }
  });
export type SubmitRunBody = z.output<typeof SubmitRunBody>;

export const ApprovalBody = z.strictObject({
  step: stepPath,
  approved: z.boolean().meta({ description: 'true approves, false rejects' }),
  value: anyJson.optional().meta({ description: 'handed to the workflow as the step output' }),
  comment: z.string().max(10_000).optional().meta({ description: 'kept in the journal' }),
});
export type ApprovalBody = z.output<typeof ApprovalBody>;

export const ResolutionBody = z.strictObject({
  step: stepPath,
  action: z.enum(['retry', 'complete', 'fail']).meta({
    description:
      'retry: it did not happen, call again (same idempotency key); complete: it happened (value is its output); fail: fail the step',
  }),
  value: anyJson.optional(),
});
export type ResolutionBody = z.output<typeof ResolutionBody>;

export const CancelBody = z.strictObject({
  reason: z.string().min(1).max(1000).optional().meta({ description: 'kept in the journal' }),
});
export type CancelBody = z.output<typeof CancelBody>;

export const ListRunsQuery = z.strictObject({
  status: z.enum(RUN_STATUSES).optional(),
  workflow: z.string().min(1).optional(),
  parent: z.string().min(1).optional().meta({ description: 'only sub-workflow runs of this run' }),
  all: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: 'include sub-workflow runs (default false: top-level runs only)' }),
  limit: z.coerce.number().int().min(1).max(1000).optional().meta({ description: 'default 50' }),
});
export type ListRunsQuery = z.output<typeof ListRunsQuery>;

export const JournalQuery = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(-1)
    .optional()
    .meta({ description: 'only events with a greater seq (default -1: all)' }),
});

export const EventsQuery = z.strictObject({
  after: z.coerce.number().int().min(-1).optional().meta({
    description:
      'resume after this seq, like the Last-Event-ID header (the header wins when both are sent)',
  }),
});

// ---- responses (documentation only: the server builds these values itself) --------------------

export const RunRecordSchema = z.object({
  runId: z.string(),
  workflow: z.string(),
  specHash: z.string(),
  status: z.enum(RUN_STATUSES),
  parentRunId: z.string().nullable(),
  createdAt: z.number().meta({ description: 'ms since the epoch' }),
  updatedAt: z.number(),
  headSeq: z.number().meta({ description: 'seq of the last journal event' }),
});

export const RunListResponse = z.object({ runs: z.array(RunRecordSchema) });

export const StepRowSchema = z.object({
  path: z.string(),
  kind: z.string(),
  status: z.string(),
  attempts: z.number(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  durationMs: z.number().optional(),
  error: z.string().optional(),
});

export const RunViewResponse = z.object({
  run: RunRecordSchema,
  events: z.number(),
  steps: z.array(StepRowSchema),
  toolCalls: z.number(),
  modelCalls: z.number(),
  simulatedModelCalls: z.number(),
  tokens: z.object({ input: z.number(), output: z.number() }),
  costUsd: z.number().meta({ description: 'spend of the model calls whose price is known' }),
  unpricedModelCalls: z.number().meta({ description: 'model calls with no known price' }),
  retries: z.number(),
  pending: z.array(
    z.object({
      path: z.string(),
      kind: z.enum(['approval', 'outcome-unknown']),
      message: z.string(),
    }),
  ),
  routes: z.array(z.record(z.string(), z.unknown())),
  children: z.array(RunRecordSchema),
  output: anyJson.optional(),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
});

export const SubmitResponse = z.object({
  runId: z.string(),
  workflow: z.string(),
  specHash: z.string(),
  status: z.enum(RUN_STATUSES),
});

export const OperationResponse = z.object({
  runId: z.string(),
  status: z.enum(RUN_STATUSES),
  output: anyJson.optional(),
  error: z.object({ type: z.string(), message: z.string() }).optional(),
});

export const VerifyResponse = z.object({
  runId: z.string(),
  ok: z.boolean(),
  events: z.number(),
  decisionsChecked: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  children: z
    .array(z.record(z.string(), z.unknown()))
    .meta({ description: 'the same report for each sub-workflow run' }),
});

export const JournalResponse = z.object({
  events: z.array(
    z.object({ seq: z.number(), type: z.string(), at: z.number() }).loose().meta({
      description: 'a journal event (docs/journal.md lists every type)',
    }),
  ),
});

export const GraphResponse = z.object({
  workflow: z.string(),
  nodes: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      parent: z.string().nullable().meta({ description: 'the container step, if nested' }),
      label: z.string(),
    }),
  ),
  edges: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      kind: z.enum(['dependency', 'contains', 'fallback']),
    }),
  ),
});

export const WorkflowListResponse = z.object({
  workflows: z.array(
    z.object({
      name: z.string(),
      specHash: z.string(),
      steps: z.number(),
      inputSchema: anyJson.optional(),
    }),
  ),
});

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    path: z
      .string()
      .optional()
      .meta({ description: 'the offending field, e.g. `spec.steps[0].id`' }),
    hint: z.string().optional(),
    issues: z
      .array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() }))
      .optional(),
  }),
});
