import { Hono, type Context } from 'hono';
import { SwitchyardError } from '../core/errors.js';
import type { JournalEvent } from '../core/events.js';
import type { JsonValue } from '../core/json.js';
import type { WorkflowSpec } from '../core/spec.js';
import type { Logger } from '../observability/logger.js';
import { viewRun, type RunView } from '../runtime/run-view.js';
import type { RunnableWorkflow, Runtime } from '../runtime/runtime.js';
import { forEachStep } from '../graph/walk.js';
import { parseWorkflow, SpecValidationError } from '../spec/index.js';
import { Api, formatPath, type AnyApiRoute } from './api.js';
import { apiAuth } from './auth.js';
import {
  errorBody,
  internalErrorBody,
  ServerError,
  statusFor,
  WorkflowNotRegisteredError,
} from './errors.js';
import { workflowGraph } from './graph.js';
import type { EventHub } from './hub.js';
import { openApiDocument } from './openapi.js';
import {
  ApprovalBody,
  CancelBody,
  ErrorResponse,
  EventsQuery,
  GraphResponse,
  JournalQuery,
  JournalResponse,
  ListRunsQuery,
  OperationResponse,
  ResolutionBody,
  RunListResponse,
  RunViewResponse,
  SubmitResponse,
  SubmitRunBody,
  VerifyResponse,
  WorkflowListResponse,
} from './schemas.js';
import { streamRunEvents } from './sse.js';
import { serveDashboard } from './static.js';
import type { RunSupervisor } from './supervisor.js';
import type { WorkflowRegistry } from './workflows.js';

export interface AppOptions {
  runtime: Runtime;
  supervisor: RunSupervisor;
  hub: EventHub;
  workflows: WorkflowRegistry;
  logger: Logger;
  /** Undefined only with --insecure-local (loopback). */
  token: string | undefined;
  version: string;
  /** The built dashboard (index.html and assets/); undefined when it was not built. */
  dashboardDir: string | undefined;
  /** USD for one model call, when its price is known. */
  costOf: (
    name: string,
    model: string,
    usage: { inputTokens: number; outputTokens: number },
  ) => number | undefined;
  /** Largest request body accepted (default 8 MiB, the spec file limit). */
  maxBodyBytes?: number;
  heartbeatMs?: number;
}

const notFound = { description: 'no run with that id', schema: ErrorResponse };

/** The Hono app: the JSON API under /api, SSE streams, /openapi.json and the dashboard. */
export function createApp(options: AppOptions): { app: Hono; routes: readonly AnyApiRoute[] } {
  const { runtime, supervisor, logger } = options;
  const app = new Hono();

  app.onError((error, c) => respondError(c, error, logger));
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const path = c.req.path;
    if (!path.startsWith('/api/')) return;
    const runId = /^\/api\/runs\/([^/]+)/.exec(path)?.[1];
    logger.info(
      {
        method: c.req.method,
        path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(runId ? { runId } : {}),
      },
      'request',
    );
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('/api/*', apiAuth(options.token));
  const api = new Api(app, options.maxBodyBytes ?? 8 * 1024 * 1024);
  const runView = async (runId: string): Promise<RunView & Record<string, unknown>> => {
    const run = await runtime.getRun(runId);
    const events = await runtime.events(runId);
    const children = await runtime.listRuns({ parentRunId: runId });
    return { ...viewRun(run, events), ...costOfRun(events, options.costOf), children };
  };

  api.add({
    method: 'get',
    path: '/api/workflows',
    operationId: 'listWorkflows',
    summary: 'Workflows registered in the config, runnable by name',
    tags: ['workflows'],
    responses: { 200: { description: 'the registered workflows', schema: WorkflowListResponse } },
    handler: async (c) => c.json({ workflows: options.workflows.list() }),
  });

  api.add({
    method: 'post',
    path: '/api/runs',
    operationId: 'submitRun',
    summary: 'Start a run of a registered workflow or of an inline spec',
    description:
      'Answers once the run-start is durable; the run goes on in the background. Follow it with GET /api/runs/{runId}/events.',
    tags: ['runs'],
    body: SubmitRunBody,
    responses: {
      201: { description: 'the run started', schema: SubmitResponse },
      404: { description: 'no workflow registered by that name', schema: ErrorResponse },
    },
    handler: async (c, { body }) => {
      const workflow = runnable(body, options.workflows);
      const accepted = await supervisor
        .submit(workflow, body.input ?? {})
        .catch((error: unknown) => {
          throw inputError(error);
        });
      const run = await runtime.getRun(accepted.runId);
      c.header('Location', `/api/runs/${accepted.runId}`);
      return c.json(
        {
          runId: run.runId,
          workflow: run.workflow,
          specHash: run.specHash,
          status: accepted.status,
        },
        201,
      );
    },
  });

  api.add({
    method: 'get',
    path: '/api/runs',
    operationId: 'listRuns',
    summary: 'List runs, newest first',
    tags: ['runs'],
    query: ListRunsQuery,
    responses: { 200: { description: 'the runs', schema: RunListResponse } },
    handler: async (c, { query }) => {
      const runs = await runtime.listRuns({
        ...(query.status ? { status: query.status } : {}),
        ...(query.workflow ? { workflow: query.workflow } : {}),
        ...(query.parent
          ? { parentRunId: query.parent }
          : query.all === 'true'
            ? {}
            : { parentRunId: null }),
        limit: query.limit ?? 50,
      });
      return c.json({ runs });
    },
  });

  api.add({
    method: 'get',
    path: '/api/runs/{runId}',
    operationId: 'getRun',
    summary: 'A run with its steps, pending decisions, routes, tokens, cost and child runs',
    tags: ['runs'],
    responses: { 200: { description: 'the run view', schema: RunViewResponse }, 404: notFound },
    handler: async (c, { params }) => c.json(await runView(param(params, 'runId'))),
  });

  api.add({
    method: 'get',
    path: '/api/runs/{runId}/graph',
    operationId: 'getRunGraph',
    summary: "The DAG of the run's workflow, as recorded in its run-start",
    tags: ['runs'],
    responses: { 200: { description: 'nodes and edges', schema: GraphResponse }, 404: notFound },
    handler: async (c, { params }) => {
      const events = await runtime.events(param(params, 'runId'));
      const start = events[0];
      if (start?.type !== 'run-start')
        throw new ServerError(500, 'JOURNAL_INVALID', 'no run-start');
      return c.json(workflowGraph(start.spec as unknown as WorkflowSpec));
    },
  });

  api.add({
    method: 'get',
    path: '/api/runs/{runId}/journal',
    operationId: 'getRunJournal',
    summary: "The run's journal events as JSON",
    tags: ['runs'],
    query: JournalQuery,
    responses: { 200: { description: 'the events', schema: JournalResponse }, 404: notFound },
    handler: async (c, { params, query }) => {
      const after = query.after ?? -1;
      const events = await runtime.events(param(params, 'runId'));
      return c.json({ events: events.filter((event) => event.seq > after) });
    },
  });

  api.add({
    method: 'get',
    path: '/api/runs/{runId}/events',
    operationId: 'streamRunEvents',
    summary: "The run's journal as server-sent events, stored ones first, then live",
    description:
      'Each message is one journal event; its SSE id is the event seq. Reconnect with `Last-Event-ID: <seq>` (or `?after=<seq>`) to get exactly the events after it. The stream sends `event: end` after the run ends, then closes.',
    tags: ['runs'],
    query: EventsQuery,
    responses: {
      200: { description: 'the event stream', eventStream: true },
      404: notFound,
    },
    handler: async (c, { params, query }) => {
      const runId = param(params, 'runId');
      await runtime.getRun(runId);
      const after = lastEventId(c.req.header('last-event-id')) ?? query.after ?? -1;
      return streamRunEvents(
        c,
        {
          hub: options.hub,
          read: (id) => runtime.events(id),
          settled: async (id) => {
            if (supervisor.isDriving(id)) await supervisor.idleRun(id);
          },
          headSeq: async (id) => (await runtime.getRun(id)).headSeq,
        },
        { runId, after, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) },
      );
    },
  });

  api.add({
    method: 'post',
    path: '/api/runs/{runId}/approval',
    operationId: 'decideApproval',
    summary: 'Approve or reject a pending approval step',
    description: 'Answers once the decision is journaled; the run continues in the background.',
    tags: ['decisions'],
    body: ApprovalBody,
    responses: {
      202: { description: 'the decision is journaled', schema: OperationResponse },
      404: notFound,
      409: {
        description: 'nothing pending at that step, or the run is busy',
        schema: ErrorResponse,
      },
    },
    handler: async (c, { params, body }) => {
      const accepted = await supervisor.approve(param(params, 'runId'), body.step, {
        approved: body.approved,
        ...(body.value === undefined ? {} : { value: body.value as JsonValue }),
        ...(body.comment === undefined ? {} : { comment: body.comment }),
      });
      return c.json(accepted, 202);
    },
  });

  api.add({
    method: 'post',
    path: '/api/runs/{runId}/resolution',
    operationId: 'resolveOutcome',
    summary: 'Decide a tool call whose outcome is unknown after a crash',
    tags: ['decisions'],
    body: ResolutionBody,
    responses: {
      202: { description: 'the decision is journaled', schema: OperationResponse },
      404: notFound,
      409: {
        description: 'nothing pending at that step, or the run is busy',
        schema: ErrorResponse,
      },
    },
    handler: async (c, { params, body }) => {
      const accepted = await supervisor.resolve(
        param(params, 'runId'),
        body.step,
        body.action,
        body.value as JsonValue | undefined,
      );
      return c.json(accepted, 202);
    },
  });

  api.add({
    method: 'post',
    path: '/api/runs/{runId}/cancel',
    operationId: 'cancelRun',
    summary: 'Cancel a run that has not ended',
    tags: ['decisions'],
    body: CancelBody,
    bodyOptional: true,
    responses: {
      200: { description: 'the run is cancelled', schema: OperationResponse },
      404: notFound,
      409: { description: 'the run already ended', schema: ErrorResponse },
    },
    handler: async (c, { params, body }) =>
      c.json(
        await supervisor.cancel(param(params, 'runId'), body.reason ?? 'cancelled through the API'),
      ),
  });

  api.add({
    method: 'post',
    path: '/api/runs/{runId}/verify',
    operationId: 'verifyRun',
    summary: "Check the run's hash chain and re-derive every decision (replay --verify)",
    tags: ['runs'],
    responses: {
      200: { description: 'the verification report (ok or not)', schema: VerifyResponse },
      404: notFound,
    },
    handler: async (c, { params }) => c.json(await runtime.verify(param(params, 'runId'))),
  });

  app.all('/api/*', (c) => {
    throw new ServerError(404, 'NOT_FOUND', `no API route ${c.req.method} ${c.req.path}`, {
      hint: 'see /openapi.json for the routes',
    });
  });

  const document = openApiDocument(api.routes, options.version);
  app.get('/openapi.json', (c) => c.json(document));
  serveDashboard(app, options.dashboardDir);
  return { app, routes: api.routes };
}

function respondError(c: Context, error: unknown, logger: Logger): Response {
  if (error instanceof SwitchyardError) {
    const status = statusFor(error);
    if (status >= 500)
      logger.error(
        { code: error.code, message: error.message, path: c.req.path },
        'request failed',
      );
    if (status === 401) c.header('WWW-Authenticate', 'Bearer');
    return c.json(errorBody(error), status as 400);
  }
  logger.error({ err: error, path: c.req.path }, 'request failed');
  return c.json(internalErrorBody(), 500);
}

function param(params: Record<string, string>, name: string): string {
  return params[name] ?? '';
}

/** The Last-Event-ID header as a seq; a malformed one is a 400 naming it. */
function lastEventId(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const value = Number(header);
  if (!Number.isInteger(value) || value < -1) {
    throw new ServerError(
      400,
      'REQUEST_INVALID',
      `Last-Event-ID must be a journal seq, got '${header}'`,
      {
        path: 'Last-Event-ID',
        hint: 'send the id of the last event received (a whole number), or leave it out',
      },
    );
  }
  return value;
}

/** The workflow a submission names: registered by name, or inline (validated like a file). */
function runnable(body: SubmitRunBody, workflows: WorkflowRegistry): RunnableWorkflow {
  if (body.workflow !== undefined) {
    const registered = workflows.get(body.workflow);
    if (!registered) throw new WorkflowNotRegisteredError(body.workflow, workflows.names());
    return registered;
  }
  let spec: WorkflowSpec;
  try {
    spec = parseWorkflow(body.spec);
  } catch (error) {
    if (error instanceof SpecValidationError) throw new InlineSpecInvalidError(error);
    throw error;
  }
  const prompts = body.prompts ?? {};
  const missing = agentPrompts(spec).find((prompt) => !Object.hasOwn(prompts, prompt.file));
  if (missing) {
    throw new ServerError(
      400,
      'SPEC_PROMPT_NOT_FOUND',
      `${missing.path} names the prompt file '${missing.file}', which is not in \`prompts\``,
      {
        path: 'prompts',
        hint: 'send the text of each prompt file the spec names in `prompts`, keyed by that name',
      },
    );
  }
  return { spec, prompts };
}

/** An inline spec's problems, each path under `spec.`. */
class InlineSpecInvalidError extends ServerError {
  readonly issues: Array<{ path: string; message: string; code: string }>;
  constructor(error: SpecValidationError) {
    const issues = error.issues.map((issue) => ({
      path: issue.path === '' ? 'spec' : `spec.${issue.path}`,
      message: issue.message,
      code: issue.code,
    }));
    super(400, 'SPEC_INVALID', error.message, {
      path: issues[0]?.path ?? 'spec',
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    });
    this.issues = issues;
  }
}

/** INPUT_INVALID names `$input.x`; in the request body that field is `input.x`. */
function inputError(error: unknown): unknown {
  if (!(error instanceof SwitchyardError) || error.code !== 'INPUT_INVALID') return error;
  const path = (error.path ?? '$input').replace(/^\$input/, 'input');
  return new ServerError(400, 'INPUT_INVALID', error.message, {
    path,
    hint: 'send an `input` that satisfies the workflow input schema',
  });
}

/** Every agent step's prompt file, with the step's path in the request (`spec.steps[1].prompt`). */
function agentPrompts(spec: WorkflowSpec): Array<{ path: string; file: string }> {
  const found: Array<{ path: string; file: string }> = [];
  const collect = (steps: WorkflowSpec['steps'], at: Array<string | number>): void =>
    forEachStep(steps, at, (step, path) => {
      if (step.kind === 'agent')
        found.push({ path: formatPath(['spec', ...path, 'prompt']), file: step.prompt });
    });
  collect(spec.steps, []);
  for (const [name, child] of Object.entries(spec.workflows ?? {}))
    collect(child.steps, ['workflows', name]);
  return found;
}

/** Total model spend of a run's calls whose price is known, and how many had none. */
function costOfRun(
  events: readonly JournalEvent[],
  costOf: AppOptions['costOf'],
): { costUsd: number; unpricedModelCalls: number } {
  const names = new Map<string, string>();
  let costUsd = 0;
  let unpricedModelCalls = 0;
  for (const event of events) {
    if (event.type === 'model-call-start') names.set(`${event.path}#${event.attempt}`, event.model);
    if (event.type !== 'model-call-end') continue;
    const name = names.get(`${event.path}#${event.attempt}`) ?? event.model;
    // The metered seam journals each call's cost; older journals are priced from the config.
    const cost = event.costUsd ?? costOf(name, event.model, event.usage);
    if (cost === undefined) unpricedModelCalls += 1;
    else costUsd += cost;
  }
  return { costUsd, unpricedModelCalls };
}
