// The telemetry derived from the journal, exported over OTLP/HTTP to a receiver on loopback: the
// span tree of a run (run → step → nested step → tool/model call), GenAI attributes on the model
// span, and the metrics for steps, failures and tokens.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTool } from '../../src/tools/registry.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { startOtlpPipeline } from '../../src/observability/otel.js';
import { JournalTelemetry, hrTime } from '../../src/observability/telemetry.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { SimulatedModel } from '../../src/providers/simulated.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { workflow } from '../executor/harness.js';
import { attribute, Receiver, type OtlpSpan } from './receiver.js';

const spec = workflow({
  name: 'traced',
  steps: [
    { id: 'fetch', kind: 'tool', tool: 'orders.fetch', input: {} },
    {
      id: 'each',
      kind: 'map',
      items: '$.steps.fetch.output',
      concurrency: 2,
      steps: [{ id: 'charge', kind: 'tool', tool: 'orders.charge', input: { id: '$.item' } }],
    },
    {
      id: 'summarize',
      kind: 'agent',
      prompt: 'summarize.md',
      model: 'writer',
      input: { charged: '$.steps.each.output' },
      after: ['each'],
    },
  ],
});

const receiver = new Receiver();
beforeAll(() => receiver.start());
afterAll(() => receiver.stop());

describe('OpenTelemetry from the journal', () => {
  it('exports a run span with step, nested step, tool and model spans linked parent to child', async () => {
    const pipeline = startOtlpPipeline({
      endpoint: receiver.url,
      headers: { 'x-collector-key': 'k-123' },
      serviceName: 'switchyard-test',
      spanDelayMs: 10,
      metricsIntervalMs: 60_000,
    });
    const telemetry = new JournalTelemetry({
      tracer: pipeline.tracer,
      meter: pipeline.meter,
      describeModel: (name) =>
        name === 'writer' ? { provider: 'openai', model: 'gpt-4o-mini' } : undefined,
      costOf: (_name, _model, usage) => (usage.inputTokens * 0.15 + usage.outputTokens * 0.6) / 1e6,
    });
    const runtime = new Runtime({
      store: new MemoryJournalStore(),
      tools: [
        defineTool({ name: 'orders.fetch', retry: 'safe', execute: () => ['a', 'b'] }),
        defineTool({ name: 'orders.charge', retry: 'safe', execute: (input) => input }),
      ],
      models: new ModelRegistry().register('writer', new SimulatedModel({ name: 'writer' })),
      onEvents: (runId, events) => telemetry.observe(runId, events),
    });
    const outcome = await runtime.start({
      spec,
      prompts: { 'summarize.md': 'Summarize {{ charged }}' },
    });
    expect(outcome.error ?? null).toBe(null);
    expect(outcome.status).toBe('completed');
    expect(telemetry.openRuns).toBe(0);
    await pipeline.flush();
    await pipeline.shutdown();

    const spans = receiver.spans();
    const byName = (name: string): OtlpSpan[] => spans.filter((span) => span.name === name);
    const one = (name: string): OtlpSpan => {
      const found = byName(name);
      expect(found, name).toHaveLength(1);
      return found[0]!;
    };

    const run = one('run traced');
    expect(run.parentSpanId ?? '').toBe('');
    expect(attribute(run, 'switchyard.run.id')).toBe(outcome.runId);
    expect(attribute(run, 'switchyard.run.status')).toBe('completed');
    // Every span of the run is in its trace.
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([run.traceId]));

    const fetch = one('step fetch');
    const each = one('step each');
    const summarize = one('step summarize');
    for (const step of [fetch, each, summarize]) expect(step.parentSpanId).toBe(run.spanId);

    // Map items' steps (each/0/charge, each/1/charge) are children of the map step.
    const charges = spans.filter((span) => /^step each\/\d+\/charge$/.test(span.name));
    expect(charges).toHaveLength(2);
    for (const charge of charges) expect(charge.parentSpanId).toBe(each.spanId);

    const fetchCall = one('execute_tool orders.fetch');
    expect(fetchCall.parentSpanId).toBe(fetch.spanId);
    expect(attribute(fetchCall, 'gen_ai.operation.name')).toBe('execute_tool');
    expect(attribute(fetchCall, 'gen_ai.tool.name')).toBe('orders.fetch');
    const chargeCalls = byName('execute_tool orders.charge');
    expect(chargeCalls.map((call) => call.parentSpanId).sort()).toEqual(
      charges.map((charge) => charge.spanId).sort(),
    );

    const model = one('chat gpt-4o-mini');
    expect(model.parentSpanId).toBe(summarize.spanId);
    expect(model.kind).toBe(3); // SPAN_KIND_CLIENT
    expect(attribute(model, 'gen_ai.operation.name')).toBe('chat');
    expect(attribute(model, 'gen_ai.provider.name')).toBe('openai');
    expect(attribute(model, 'gen_ai.system')).toBe('openai');
    expect(attribute(model, 'gen_ai.request.model')).toBe('gpt-4o-mini');
    expect(attribute(model, 'gen_ai.response.model')).toBe('simulated:writer');
    const input = attribute(model, 'gen_ai.usage.input_tokens') as number;
    const output = attribute(model, 'gen_ai.usage.output_tokens') as number;
    expect(input).toBeGreaterThan(0);
    expect(output).toBeGreaterThan(0);
    expect(attribute(model, 'switchyard.cost.usd')).toBeCloseTo(
      (input * 0.15 + output * 0.6) / 1e6,
      12,
    );

    // Spans sit at the journal's times: a child starts no earlier than its parent.
    const nanos = (value: string | number): bigint => BigInt(value);
    expect(nanos(model.startTimeUnixNano)).toBeGreaterThanOrEqual(
      nanos(summarize.startTimeUnixNano),
    );
    expect(nanos(summarize.endTimeUnixNano)).toBeLessThanOrEqual(nanos(run.endTimeUnixNano));

    const names = receiver.metricNames();
    for (const metric of [
      'switchyard.steps',
      'switchyard.runs',
      'gen_ai.client.token.usage',
      'gen_ai.client.operation.duration',
      'switchyard.cost',
    ])
      expect(names).toContain(metric);
    expect(receiver.headers.every((headers) => headers['x-collector-key'] === 'k-123')).toBe(true);
  });

  it('marks a failed step and its run as errors, with error.type', async () => {
    const spans: Array<{ name: string; status: number; attributes: Record<string, unknown> }> = [];
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const telemetry = new JournalTelemetry({
      tracer: provider.getTracer('test'),
      meter: new MeterProvider().getMeter('test'),
    });
    const runtime = new Runtime({
      store: new MemoryJournalStore(),
      tools: [
        defineTool({
          name: 'broken',
          execute: () => {
            throw new Error('the gateway said no');
          },
        }),
      ],
      onEvents: (runId, events) => telemetry.observe(runId, events),
    });
    const outcome = await runtime.start({
      spec: workflow({
        name: 'fails',
        steps: [{ id: 'call', kind: 'tool', tool: 'broken', input: {} }],
      }),
    });
    expect(outcome.status).toBe('failed');
    for (const span of exporter.getFinishedSpans())
      spans.push({ name: span.name, status: span.status.code, attributes: span.attributes });
    const call = spans.find((span) => span.name === 'execute_tool broken');
    const step = spans.find((span) => span.name === 'step call');
    const run = spans.find((span) => span.name === 'run fails');
    expect(call?.status).toBe(2); // ERROR
    expect(call?.attributes['error.type']).toBe('error');
    expect(step?.status).toBe(2);
    expect(run?.status).toBe(2);
    expect(run?.attributes['switchyard.run.status']).toBe('failed');
  });

  it('keeps journal times that predate the process (a resumed run) as epoch times', () => {
    expect(hrTime(1_700_000_000_123)).toEqual([1_700_000_000, 123_000_000]);
    expect(hrTime(0)).toEqual([0, 0]);
  });
});
