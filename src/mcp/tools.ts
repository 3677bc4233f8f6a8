import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type ServerNotification,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { SwitchyardError } from '../core/errors.js';
import type { JournalEvent } from '../core/events.js';
import type { JsonValue } from '../core/json.js';
import { RUN_STATUSES, type RunStatus } from '../core/ports.js';
import { viewRun } from '../runtime/run-view.js';
import type { Runtime } from '../runtime/runtime.js';
import type {
  EventHub,
  RegisteredWorkflow,
  RunSupervisor,
  WorkflowRegistry,
} from '../server/index.js';
import { McpArgumentsInvalidError, McpToolNameClashError } from './errors.js';

export interface McpToolsContext {
  runtime: Runtime;
  supervisor: RunSupervisor;
  hub: EventHub;
  workflows: WorkflowRegistry;
  version: string;
  /**
   * How long a workflow's own tool waits for the run to end or pause before answering that it is
   * still running (default 50 s: under the 60 s request timeout most MCP clients use).
   */
  waitMs?: number;
}

/** The built-in tools' names: prefixed, so no workflow name can take one. */
export const TOOL = {
  start: 'switchyard_start_run',
  get: 'switchyard_get_run',
  await: 'switchyard_await_run',
  approve: 'switchyard_decide_approval',
  resolve: 'switchyard_resolve_outcome',
  cancel: 'switchyard_cancel_run',
  verify: 'switchyard_verify_run',
  list: 'switchyard_list_runs',
} as const;

const DEFAULT_WAIT_MS = 50_000;
const MAX_WAIT_MS = 600_000;

const RunId = z.string().min(1).describe('a run id, as start_run or a workflow tool answered');
const ARGUMENTS = {
  [TOOL.start]: z.strictObject({
    workflow: z.string().min(1).describe('a registered workflow name'),
    input: z
      .unknown()
      .optional()
      .describe("the run's input (checked against the workflow's schema)"),
  }),
  [TOOL.get]: z.strictObject({ runId: RunId }),
  [TOOL.await]: z.strictObject({
    runId: RunId,
    timeoutMs: z
      .number()
      .int()
      .min(0)
      .max(MAX_WAIT_MS)
      .optional()
      .describe(`how long to wait for the run to end or pause (default ${DEFAULT_WAIT_MS})`),
  }),
  [TOOL.approve]: z.strictObject({
    runId: RunId,
    step: z.string().min(1).describe('the step path get_run lists under pending'),
    approved: z.boolean(),
    value: z.unknown().optional().describe('a value handed to the workflow with the decision'),
    comment: z.string().optional(),
  }),
  [TOOL.resolve]: z.strictObject({
    runId: RunId,
    step: z.string().min(1),
    action: z.enum(['retry', 'complete', 'fail']),
    value: z.unknown().optional().describe('the output to record with complete'),
  }),
  [TOOL.cancel]: z.strictObject({ runId: RunId, reason: z.string().optional() }),
  [TOOL.verify]: z.strictObject({ runId: RunId }),
  [TOOL.list]: z.strictObject({
    status: z.enum(RUN_STATUSES).optional(),
    workflow: z.string().optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  }),
};

const DESCRIPTIONS: Record<keyof typeof ARGUMENTS, string> = {
  [TOOL.start]:
    'Start a run of a registered workflow and answer at once with its runId (the run goes on in the background, durably: it survives a restart of this server).',
  [TOOL.get]: "A run's status, steps, pending decisions, and output or error.",
  [TOOL.await]:
    'Wait until a run ends or pauses for a decision (or timeoutMs passes), then answer as get_run. Sends progress notifications from the journal when given a progressToken.',
  [TOOL.approve]: 'Approve or reject a pending approval step of a run.',
  [TOOL.resolve]:
    'Decide a tool call whose outcome is unknown after a crash: retry it, complete it with a value, or fail it.',
  [TOOL.cancel]: 'Cancel a run.',
  [TOOL.verify]:
    "Replay a run's journal with full verification (hash chain, every decision re-derived).",
  [TOOL.list]: 'Runs, newest first.',
};

/** A workflow as an MCP tool: its name, and whether its input travels wrapped as `{ input }`. */
interface WorkflowTool {
  tool: Tool;
  workflow: RegisteredWorkflow;
  wrapped: boolean;
}

/**
 * Builds the MCP server Switchyard offers: one tool per registered workflow (runs it, waits for the
 * end or a pause, answers with the output) and the built-in run tools. Stateless: everything lives
 * in the journal, so one instance per connection (or per HTTP request) is as good as a shared one.
 */
export function buildWorkflowTools(context: McpToolsContext): Map<string, WorkflowTool> {
  const byName = new Map<string, WorkflowTool>();
  const builtIn = new Set<string>(Object.values(TOOL));
  for (const name of context.workflows.names()) {
    const workflow = context.workflows.get(name) as RegisteredWorkflow;
    const toolName = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
    const clash = builtIn.has(toolName) ? `the built-in tool ${toolName}` : byName.get(toolName);
    if (clash !== undefined) {
      throw new McpToolNameClashError(
        toolName,
        typeof clash === 'string' ? clash : `workflow '${clash.workflow.name}'`,
        `workflow '${name}'`,
      );
    }
    const schema = workflow.spec.input?.schema as Record<string, unknown> | undefined;
    const wrapped = schema !== undefined && schema.type !== 'object';
    const inputSchema = (
      schema === undefined
        ? { type: 'object' }
        : wrapped
          ? { type: 'object', properties: { input: schema }, required: ['input'] }
          : schema
    ) as Tool['inputSchema'];
    byName.set(toolName, {
      workflow,
      wrapped,
      tool: {
        name: toolName,
        title: `workflow ${name}`,
        description:
          `Run the Switchyard workflow '${name}' (spec ${workflow.specHash.slice(0, 12)}) and answer with its output. ` +
          'If it pauses for an approval, or is still running after the wait, the answer says so with its runId: ' +
          `continue with ${TOOL.approve} and ${TOOL.await}.`,
        inputSchema,
      },
    });
  }
  return byName;
}

export function createMcpServer(
  context: McpToolsContext,
  workflowTools = buildWorkflowTools(context),
): McpServer {
  // The protocol-level handlers, not registerTool: a workflow's input schema is JSON Schema from its
  // spec, which registerTool (zod shapes only) cannot take as is.
  const mcp = new McpServer(
    { name: 'switchyard', version: context.version },
    {
      capabilities: { tools: {} },
      instructions:
        'Switchyard runs durable workflows. Each workflow is a tool; long runs can be started with ' +
        `${TOOL.start} and followed with ${TOOL.await}. Runs survive restarts of this server.`,
    },
  );
  const server = mcp.server;
  const builtIns: Tool[] = (Object.keys(ARGUMENTS) as Array<keyof typeof ARGUMENTS>).map(
    (name) => ({
      name,
      description: DESCRIPTIONS[name],
      inputSchema: z.toJSONSchema(ARGUMENTS[name], { io: 'input' }) as Tool['inputSchema'],
    }),
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [...[...workflowTools.values()].map((entry) => entry.tool), ...builtIns],
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const token = request.params._meta?.progressToken;
    const progress =
      token === undefined
        ? undefined
        : (message: string, value: number) => {
            const notification: ServerNotification = {
              method: 'notifications/progress',
              params: { progressToken: token, progress: value, message },
            };
            extra.sendNotification(notification).catch(() => undefined);
          };
    const calls = new RunTools(context, progress, extra.signal);
    try {
      const workflowTool = workflowTools.get(name);
      if (workflowTool) {
        const input = workflowTool.wrapped ? (args as { input?: unknown }).input : args;
        return result(await calls.runWorkflow(workflowTool.workflow, input));
      }
      if (!(name in ARGUMENTS)) {
        throw new McpError(ErrorCode.InvalidParams, `no tool named '${name}'`);
      }
      return result(await calls.builtIn(name as keyof typeof ARGUMENTS, args));
    } catch (error) {
      if (error instanceof SwitchyardError) return errorResult(error);
      throw error;
    }
  });
  return mcp;
}

/** What a tool answers: the value as structured content and as JSON text for clients without it. */
function result(value: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    structuredContent: value,
  };
}

/** A refused operation is a tool error the caller (often a model) can read and act on. */
function errorResult(error: SwitchyardError): CallToolResult {
  const body = {
    code: error.code,
    message: error.message,
    ...(error.path === undefined ? {} : { path: error.path }),
    ...(error.hint === undefined ? {} : { hint: error.hint }),
  };
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `error[${error.code}]: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}`,
      },
    ],
    structuredContent: { error: body },
  };
}

class RunTools {
  constructor(
    private readonly context: McpToolsContext,
    private readonly progress: ((message: string, value: number) => void) | undefined,
    private readonly signal: AbortSignal,
  ) {}

  async runWorkflow(
    workflow: RegisteredWorkflow,
    input: unknown,
  ): Promise<Record<string, unknown>> {
    // The run id is known only once submit answers, after run-start is durable: listen to every
    // run meanwhile, so the progress of this one starts at its first event.
    const early: Array<{ runId: string; events: readonly JournalEvent[] }> = [];
    const stop = this.context.hub.subscribeAll((runId, events) => early.push({ runId, events }));
    let accepted: Awaited<ReturnType<RunSupervisor['submit']>>;
    try {
      accepted = await this.context.supervisor.submit(workflow, input ?? {});
    } finally {
      stop();
    }
    const own = early.filter((batch) => batch.runId === accepted.runId).flatMap((b) => b.events);
    return this.awaitRun(accepted.runId, this.context.waitMs ?? DEFAULT_WAIT_MS, own);
  }

  async builtIn(name: keyof typeof ARGUMENTS, raw: unknown): Promise<Record<string, unknown>> {
    const { runtime, supervisor, workflows } = this.context;
    switch (name) {
      case TOOL.start: {
        const args = parseArgs(name, raw);
        const workflow = workflows.get(args.workflow);
        if (!workflow) {
          throw new SwitchyardError(
            'WORKFLOW_NOT_REGISTERED',
            `no workflow named '${args.workflow}' is registered`,
            {
              path: 'workflow',
              hint: `registered: ${workflows.names().join(', ') || 'none (list files under workflows: in the config)'}`,
            },
          );
        }
        const accepted = await supervisor.submit(workflow, args.input ?? {});
        return { runId: accepted.runId, workflow: workflow.name, status: accepted.status };
      }
      case TOOL.get:
        return this.describeRun(parseArgs(name, raw).runId);
      case TOOL.await: {
        const args = parseArgs(name, raw);
        return this.awaitRun(args.runId, args.timeoutMs ?? DEFAULT_WAIT_MS);
      }
      case TOOL.approve: {
        const args = parseArgs(name, raw);
        const accepted = await supervisor.approve(args.runId, args.step, {
          approved: args.approved,
          ...(args.value === undefined ? {} : { value: args.value as JsonValue }),
          ...(args.comment === undefined ? {} : { comment: args.comment }),
        });
        return { runId: accepted.runId, status: accepted.status };
      }
      case TOOL.resolve: {
        const args = parseArgs(name, raw);
        const accepted = await supervisor.resolve(
          args.runId,
          args.step,
          args.action,
          args.value as JsonValue | undefined,
        );
        return { runId: accepted.runId, status: accepted.status };
      }
      case TOOL.cancel: {
        const args = parseArgs(name, raw);
        const accepted = await supervisor.cancel(args.runId, args.reason ?? 'cancelled over MCP');
        return { runId: accepted.runId, status: accepted.status };
      }
      case TOOL.verify:
        return { ...(await runtime.verify(parseArgs(name, raw).runId)) };
      case TOOL.list: {
        const args = parseArgs(name, raw);
        const runs = await runtime.listRuns({
          parentRunId: null,
          limit: args.limit ?? 50,
          ...(args.status ? { status: args.status } : {}),
          ...(args.workflow ? { workflow: args.workflow } : {}),
        });
        return { runs: runs.map(({ headSeq: _headSeq, ...run }) => run) };
      }
    }
  }

  /**
   * Waits until the run is no longer `running` (it ended or paused for a decision), the wait is
   * over, or the caller cancelled the request. Woken by the run's journal events as they become
   * durable (also those of a run this process resumed after a restart); a slow poll of the store
   * covers a run another process is driving.
   */
  private async awaitRun(
    runId: string,
    timeoutMs: number,
    seen: readonly JournalEvent[] = [],
  ): Promise<Record<string, unknown>> {
    const { runtime, hub } = this.context;
    let wake: (() => void) | undefined;
    let lastProgress = 0;
    if (seen.length > 0) this.report(seen, lastProgress, (value) => (lastProgress = value));
    const unsubscribe = hub.subscribe(runId, (_id, events) => {
      this.report(events, lastProgress, (value) => (lastProgress = value));
      wake?.();
    });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const run = await runtime.getRun(runId);
        if (run.status !== 'running' || this.signal.aborted) break;
        const left = deadline - Date.now();
        if (left <= 0) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 500));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
    }
    // The status can be read as paused or ended before the hub has delivered the batch that made
    // it so: report what the journal holds past the last progress sent, so none is missed.
    if (this.progress) {
      const tail = (await runtime.events(runId)).filter((event) => event.seq >= lastProgress);
      this.report(tail, lastProgress, (value) => (lastProgress = value));
    }
    return this.describeRun(runId);
  }

  private report(
    events: readonly JournalEvent[],
    last: number,
    set: (value: number) => void,
  ): void {
    if (!this.progress) return;
    const final = events[events.length - 1];
    if (!final || final.seq + 1 <= last) return;
    const message = events
      .map(describeEvent)
      .filter((text): text is string => text !== undefined)
      .pop();
    set(final.seq + 1);
    this.progress(message ?? final.type, final.seq + 1);
  }

  private async describeRun(runId: string): Promise<Record<string, unknown>> {
    const { runtime } = this.context;
    const run = await runtime.getRun(runId);
    const view = viewRun(run, await runtime.events(runId));
    const next =
      run.status === 'running'
        ? `still running: call ${TOOL.await} with this runId`
        : run.status === 'waiting'
          ? `waiting for a decision: ${TOOL.approve} (see pending), then ${TOOL.await}`
          : run.status === 'outcome-unknown'
            ? `a call's outcome is unknown: ${TOOL.resolve} (see pending)`
            : undefined;
    return {
      runId,
      workflow: run.workflow,
      status: run.status,
      ...(view.output === undefined ? {} : { output: view.output }),
      ...(view.error === undefined ? {} : { error: view.error }),
      pending: view.pending,
      steps: view.steps.map((step) => ({
        path: step.path,
        kind: step.kind,
        status: step.status,
        attempts: step.attempts,
        ...(step.error === undefined ? {} : { error: step.error }),
      })),
      events: view.events,
      ...(next === undefined ? {} : { next }),
    };
  }
}

function parseArgs<N extends keyof typeof ARGUMENTS>(
  name: N,
  raw: unknown,
): z.output<(typeof ARGUMENTS)[N]> {
  const parsed = ARGUMENTS[name].safeParse(raw);
  if (parsed.success) return parsed.data as z.output<(typeof ARGUMENTS)[N]>;
  const issue = parsed.error.issues[0];
  throw new McpArgumentsInvalidError(
    name,
    issue?.path.join('.') ?? '',
    issue?.code === 'unrecognized_keys'
      ? `unknown argument(s) ${issue.keys.join(', ')}`
      : (issue?.message ?? 'invalid'),
  );
}

/** A progress line for the events an MCP caller follows; undefined for bookkeeping events. */
export function describeEvent(event: JournalEvent): string | undefined {
  switch (event.type) {
    case 'run-start':
      return `run ${event.runId} of ${event.workflow} started`;
    case 'step-start':
      return `step ${event.path} started`;
    case 'tool-call-start':
      return `step ${event.path}: calling ${event.tool} (attempt ${event.attempt})`;
    case 'tool-call-error':
      return `step ${event.path}: ${event.error.message}`;
    case 'tool-call-interrupted':
      return `step ${event.path}: call interrupted by a restart`;
    case 'route-reroute':
      return `step ${event.path}: rerouted around ${event.node} (${event.cause})`;
    case 'approval-request':
      return `step ${event.path} waits for approval`;
    case 'approval-decision':
      return `step ${event.path} ${event.approved ? 'approved' : 'rejected'}`;
    case 'outcome-unknown':
      return `step ${event.path}: outcome unknown, waiting for a decision`;
    case 'step-end':
      return `step ${event.path} ${event.status}`;
    case 'run-end':
      return `run ${event.status}`;
    default:
      return undefined;
  }
}

export type { RunStatus };
