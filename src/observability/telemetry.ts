import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type HrTime,
  type Meter,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Failure } from '../core/errors.js';
import type { JournalEvent, ModelCallStartEvent, RunStartEvent } from '../core/events.js';
import { ATTR, GEN_AI_OPERATION, METRIC } from './semconv.js';

/** What a model name used by steps (`model: careful`) stands for, for the GenAI attributes. */
export interface ModelDescription {
  /** gen_ai.provider.name: `openai`, `anthropic`, or the configured kind (`switchyard.simulated`). */
  provider: string;
  /** The provider's model id (gen_ai.request.model); the step's model name when unknown. */
  model?: string;
}

export interface JournalTelemetryOptions {
  tracer: Tracer;
  meter: Meter;
  describeModel?(name: string): ModelDescription | undefined;
  /** USD for a call's usage, when the price of `model` (the response's model id) is known. */
  costOf?(
    name: string,
    model: string,
    usage: { inputTokens: number; outputTokens: number },
  ): number | undefined;
}

interface OpenSpan {
  span: Span;
  context: Context;
}

interface StepSpan extends OpenSpan {
  kind: string;
}

interface CallSpan extends OpenSpan {
  at: number;
  attributes: Attributes;
}

interface RunState extends OpenSpan {
  workflow: string;
  steps: Map<string, StepSpan>;
  calls: Map<string, CallSpan>;
}

/**
 * Turns a journal event stream (RuntimeOptions.onEvents) into OpenTelemetry spans and metrics: a span
 * per run, per step (child of its run, or of its container step), per tool call and per model call
 * (children of their step), each starting and ending at the journaled `at` times. A sub-workflow's
 * run span is a child of the step that started it. Spans are derived from the journal rather than
 * from the code that performs calls, so what is traced is exactly what is recorded.
 *
 * A run seen first in the middle (resumed after a restart) gets a run span marked
 * `switchyard.run.resumed`; steps and calls that were open before the restart end unrecorded.
 */
export class JournalTelemetry {
  private readonly runs = new Map<string, RunState>();
  private readonly counters: Record<
    'runs' | 'steps' | 'failures' | 'retries' | 'reroutes' | 'escalations' | 'cost',
    Counter
  >;
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;

  constructor(private readonly options: JournalTelemetryOptions) {
    const { meter } = options;
    this.counters = {
      runs: meter.createCounter(METRIC.runs, { description: 'Runs ended, by status' }),
      steps: meter.createCounter(METRIC.steps, { description: 'Steps ended, by kind and status' }),
      failures: meter.createCounter(METRIC.stepFailures, { description: 'Steps that failed' }),
      retries: meter.createCounter(METRIC.retries, { description: 'Retries scheduled' }),
      reroutes: meter.createCounter(METRIC.reroutes, { description: 'Route steps re-planned' }),
      escalations: meter.createCounter(METRIC.escalations, {
        description: 'Route steps that asked the model (pre-flight or no path left)',
      }),
      cost: meter.createCounter(METRIC.cost, { description: 'Model spend', unit: 'USD' }),
    };
    this.tokenUsage = meter.createHistogram(METRIC.tokenUsage, {
      description: 'Tokens used per model call',
      unit: '{token}',
    });
    this.duration = meter.createHistogram(METRIC.operationDuration, {
      description: 'Model call duration',
      unit: 's',
    });
  }

  /** Feeds one appended batch of a run's events; never throws (telemetry must not stop a run). */
  observe(runId: string, events: readonly JournalEvent[]): void {
    for (const event of events) {
      try {
        this.handle(runId, event);
      } catch {
        // A malformed event (or an exporter bug) loses its span, not the run.
      }
    }
  }

  /** Ends every span still open (at shutdown), so what was traced so far is exported. */
  endAll(at: number): void {
    for (const [runId, state] of this.runs) {
      for (const call of state.calls.values()) call.span.end(hrTime(at));
      for (const step of state.steps.values()) step.span.end(hrTime(at));
      state.span.setAttribute(ATTR.runStatus, 'interrupted');
      state.span.end(hrTime(at));
      this.runs.delete(runId);
    }
  }

  /** Runs with an open span (for tests and for the server's own accounting). */
  get openRuns(): number {
    return this.runs.size;
  }

  private handle(runId: string, event: JournalEvent): void {
    if (event.type === 'run-start') {
      this.startRun(event);
      return;
    }
    const run = this.runs.get(runId) ?? this.resumedRun(runId, event.at);
    switch (event.type) {
      case 'step-start':
        this.startStep(run, event.path, event.kind, event.at);
        break;
      case 'step-end':
        this.endStep(run, event);
        break;
      case 'tool-call-start':
        this.startCall(run, event.path, event.attempt, event.at, `execute_tool ${event.tool}`, {
          kind: SpanKind.INTERNAL,
          attributes: {
            [ATTR.genAiOperationName]: GEN_AI_OPERATION.executeTool,
            [ATTR.genAiToolName]: event.tool,
            [ATTR.genAiToolCallId]: event.key,
            [ATTR.attempt]: event.attempt,
            [ATTR.toolSafe]: event.safe,
            ...(event.version === undefined ? {} : { [ATTR.toolVersion]: event.version }),
            ...(event.node === undefined ? {} : { [ATTR.routeNode]: event.node }),
          },
        });
        break;
      case 'tool-call-end':
        this.endCall(run, event.path, event.attempt, event.at);
        break;
      case 'tool-call-error':
      case 'model-call-error':
        this.endCall(
          run,
          event.path,
          event.attempt,
          event.at,
          failureType(event.error),
          event.error,
        );
        break;
      case 'tool-call-interrupted':
        this.endCall(run, event.path, event.attempt, event.at, 'interrupted');
        break;
      case 'model-call-start':
        this.startModelCall(run, event);
        break;
      case 'model-call-end':
        this.endModelCall(run, event);
        break;
      case 'timer-start':
        this.counters.retries.add(1, { [ATTR.workflow]: run.workflow });
        this.stepEvent(run, event.path, 'retry scheduled', event.at, { fireAt: event.fireAt });
        break;
      case 'approval-request':
        this.stepEvent(run, event.path, 'approval requested', event.at);
        break;
      case 'approval-decision':
        this.stepEvent(run, event.path, event.approved ? 'approved' : 'rejected', event.at);
        break;
      case 'outcome-unknown':
        this.stepEvent(run, event.path, 'outcome unknown', event.at, { tool: event.tool });
        break;
      case 'route-reroute':
        this.counters.reroutes.add(1, { [ATTR.workflow]: run.workflow, [ATTR.cause]: event.cause });
        this.stepEvent(run, event.path, 'reroute', event.at, {
          node: event.node,
          [ATTR.cause]: event.cause,
        });
        break;
      case 'route-escalate':
      case 'route-consult':
        this.counters.escalations.add(1, {
          [ATTR.workflow]: run.workflow,
          [ATTR.reason]: event.reason,
        });
        this.stepEvent(run, event.path, 'escalation', event.at, { [ATTR.reason]: event.reason });
        break;
      case 'run-cancel':
        run.span.addEvent('cancel requested', { [ATTR.reason]: event.reason }, hrTime(event.at));
        break;
      case 'run-end':
        this.endRun(runId, run, event.status, event.at, event.error);
        break;
      default:
        this.other(run, event);
    }
  }

  private startRun(event: RunStartEvent): void {
    const parent = event.parent ? this.runs.get(event.parent.runId) : undefined;
    const parentContext = parent?.steps.get(event.parent?.path ?? '')?.context ?? parent?.context;
    const span = this.options.tracer.startSpan(
      `run ${event.workflow}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: hrTime(event.at),
        attributes: {
          [ATTR.runId]: event.runId,
          [ATTR.workflow]: event.workflow,
          [ATTR.specHash]: event.specHash,
          ...(event.parent ? { [ATTR.parentRunId]: event.parent.runId } : {}),
        },
      },
      parentContext ?? ROOT_CONTEXT,
    );
    this.runs.set(event.runId, {
      span,
      context: trace.setSpan(ROOT_CONTEXT, span),
      workflow: event.workflow,
      steps: new Map(),
      calls: new Map(),
    });
  }

  private resumedRun(runId: string, at: number): RunState {
    const span = this.options.tracer.startSpan(`run ${runId}`, {
      kind: SpanKind.INTERNAL,
      startTime: hrTime(at),
      attributes: { [ATTR.runId]: runId, [ATTR.runResumed]: true },
    });
    const state: RunState = {
      span,
      context: trace.setSpan(ROOT_CONTEXT, span),
      workflow: '',
      steps: new Map(),
      calls: new Map(),
    };
    this.runs.set(runId, state);
    return state;
  }

  /** A step's parent is its innermost open container step (paths are `container/slot/step`). */
  private parentOf(run: RunState, path: string): OpenSpan {
    const segments = path.split('/');
    for (let length = segments.length - 1; length > 0; length--) {
      const open = run.steps.get(segments.slice(0, length).join('/'));
      if (open) return open;
    }
    return run;
  }

  private startStep(run: RunState, path: string, kind: string, at: number): void {
    const span = this.options.tracer.startSpan(
      `step ${path}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: hrTime(at),
        attributes: { [ATTR.stepPath]: path, [ATTR.stepKind]: kind },
      },
      this.parentOf(run, path).context,
    );
    run.steps.set(path, { span, context: trace.setSpan(ROOT_CONTEXT, span), kind });
  }

  private endStep(run: RunState, event: Extract<JournalEvent, { type: 'step-end' }>): void {
    const open = run.steps.get(event.path);
    const kind = open?.kind;
    const attributes = {
      [ATTR.workflow]: run.workflow,
      [ATTR.stepStatus]: event.status,
      ...(kind === undefined ? {} : { [ATTR.stepKind]: kind }),
    };
    this.counters.steps.add(1, attributes);
    if (event.status === 'failed') this.counters.failures.add(1, attributes);
    if (!open) return;
    run.steps.delete(event.path);
    open.span.setAttribute(ATTR.stepStatus, event.status);
    if (event.status === 'failed') setError(open.span, failureType(event.error), event.error);
    open.span.end(hrTime(event.at));
  }

  private startCall(
    run: RunState,
    path: string,
    attempt: number,
    at: number,
    name: string,
    options: { kind: SpanKind; attributes: Attributes },
  ): CallSpan {
    const parent = run.steps.get(path) ?? this.parentOf(run, path);
    const span = this.options.tracer.startSpan(
      name,
      { kind: options.kind, startTime: hrTime(at), attributes: options.attributes },
      parent.context,
    );
    const call: CallSpan = {
      span,
      context: trace.setSpan(ROOT_CONTEXT, span),
      at,
      attributes: options.attributes,
    };
    run.calls.set(callKey(path, attempt), call);
    return call;
  }

  private endCall(
    run: RunState,
    path: string,
    attempt: number,
    at: number,
    errorType?: string,
    failure?: Failure,
  ): CallSpan | undefined {
    const call = run.calls.get(callKey(path, attempt));
    if (!call) return undefined;
    run.calls.delete(callKey(path, attempt));
    if (errorType !== undefined) setError(call.span, errorType, failure);
    if (errorType !== undefined && call.attributes[ATTR.genAiOperationName] === 'chat') {
      this.duration.record(Math.max(0, at - call.at) / 1000, {
        ...genAiMetricAttributes(call.attributes),
        [ATTR.errorType]: errorType,
      });
    }
    call.span.end(hrTime(at));
    return call;
  }

  private startModelCall(run: RunState, event: ModelCallStartEvent): void {
    const described = this.options.describeModel?.(event.model);
    const model = described?.model ?? event.model;
    const provider = described?.provider ?? 'unknown';
    const request = event.request as { temperature?: unknown; maxTokens?: unknown } | null;
    const attributes: Attributes = {
      [ATTR.genAiOperationName]: GEN_AI_OPERATION.chat,
      [ATTR.genAiProviderName]: provider,
      [ATTR.genAiSystem]: provider,
      [ATTR.genAiRequestModel]: model,
      [ATTR.modelName]: event.model,
      [ATTR.attempt]: event.attempt,
    };
    if (typeof request?.temperature === 'number')
      attributes[ATTR.genAiRequestTemperature] = request.temperature;
    if (typeof request?.maxTokens === 'number')
      attributes[ATTR.genAiRequestMaxTokens] = request.maxTokens;
    this.startCall(run, event.path, event.attempt, event.at, `chat ${model}`, {
      kind: SpanKind.CLIENT,
      attributes,
    });
  }

  private endModelCall(run: RunState, event: Extract<JournalEvent, { type: 'model-call-end' }>) {
    const call = run.calls.get(callKey(event.path, event.attempt));
    const name = String(call?.attributes[ATTR.modelName] ?? event.model);
    const usage = event.usage;
    const cost = this.options.costOf?.(name, event.model, usage);
    if (call) {
      call.span.setAttributes({
        [ATTR.genAiResponseModel]: event.model,
        [ATTR.genAiUsageInputTokens]: usage.inputTokens,
        [ATTR.genAiUsageOutputTokens]: usage.outputTokens,
        ...(event.simulated ? { [ATTR.simulated]: true } : {}),
        ...(cost === undefined ? {} : { [ATTR.costUsd]: cost }),
      });
    }
    const metricAttributes = call
      ? genAiMetricAttributes(call.attributes)
      : { [ATTR.genAiOperationName]: GEN_AI_OPERATION.chat, [ATTR.genAiRequestModel]: name };
    this.tokenUsage.record(usage.inputTokens, {
      ...metricAttributes,
      [ATTR.genAiTokenType]: 'input',
    });
    this.tokenUsage.record(usage.outputTokens, {
      ...metricAttributes,
      [ATTR.genAiTokenType]: 'output',
    });
    if (cost !== undefined) this.counters.cost.add(cost, metricAttributes);
    if (call) this.duration.record(Math.max(0, event.at - call.at) / 1000, metricAttributes);
    this.endCall(run, event.path, event.attempt, event.at);
  }

  private stepEvent(
    run: RunState,
    path: string,
    name: string,
    at: number,
    attributes: Attributes = {},
  ): void {
    (run.steps.get(path) ?? run).span.addEvent(name, attributes, hrTime(at));
  }

  /** Event types this version does not know by name (vote-* from a later release): span events. */
  private other(run: RunState, event: JournalEvent): void {
    const loose = event as { type: string; path?: unknown; at: number };
    if (!loose.type.startsWith('vote-')) return;
    const path = typeof loose.path === 'string' ? loose.path : '';
    this.stepEvent(run, path, loose.type, loose.at);
  }

  private endRun(
    runId: string,
    run: RunState,
    status: string,
    at: number,
    failure: Failure | undefined,
  ): void {
    this.counters.runs.add(1, { [ATTR.workflow]: run.workflow, [ATTR.runStatus]: status });
    for (const call of run.calls.values()) call.span.end(hrTime(at));
    for (const step of run.steps.values()) step.span.end(hrTime(at));
    run.span.setAttribute(ATTR.runStatus, status);
    if (status === 'failed') setError(run.span, failureType(failure), failure);
    run.span.end(hrTime(at));
    this.runs.delete(runId);
  }
}

/** Journal times are ms since the epoch; OTel's number form would read old ones as perf offsets. */
export function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function callKey(path: string, attempt: number): string {
  return `${path}#${attempt}`;
}

function failureType(failure: Failure | undefined): string {
  return failure?.code ?? failure?.type ?? 'error';
}

function setError(span: Span, type: string, failure: Failure | undefined): void {
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    ...(failure ? { message: failure.message } : {}),
  });
}

function genAiMetricAttributes(attributes: Attributes): Attributes {
  const picked: Attributes = {};
  for (const key of [
    ATTR.genAiOperationName,
    ATTR.genAiProviderName,
    ATTR.genAiRequestModel,
  ] as const) {
    const value = attributes[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}
