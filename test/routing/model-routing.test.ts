// Signal-based model routing (issue #7, docs/models.md#routing): the pure decision over signals,
// its validation at spec paths, and its use by agent steps that name no model, journaled as
// model-route and re-derived on replay.
import { describe, expect, it } from 'vitest';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../src/core/ports.js';
import { RoutingSchema, type RoutingSpec } from '../../src/core/spec.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { routeModel } from '../../src/routing/models.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { SpecValidationError } from '../../src/spec/errors.js';
import { parseWorkflow } from '../../src/spec/parse.js';
import { workflow as build } from '../../src/spec/builder.js';
import { defineDomainClassifier } from '../../src/voting/functions.js';
import { expectVerified, ofType, sequentialIds, workflow } from '../executor/harness.js';
import { VirtualClock } from '../support/virtual-clock.js';

const routing = (raw: unknown): RoutingSpec => RoutingSchema.parse(raw);

const TABLE = routing({
  classifier: 'domains',
  signals: {
    code: { keyword: { any: ['stack trace', 'TypeError'] } },
    invoice: { regex: 'INV-\\d{6}' },
    long: { contextLength: { minTokens: 100 } },
    legal: { domain: 'legal' },
    urgent: { tag: 'urgent' },
    thrifty: { costTier: 'low' },
  },
  decisions: [
    { name: 'cheap-code', priority: 60, when: { all: ['code', 'thrifty'] }, model: 'small' },
    { name: 'code', priority: 50, when: { any: ['code', 'invoice'] }, model: 'coder' },
    { name: 'long', priority: 50, when: { all: ['long'], not: ['urgent'] }, model: 'big' },
    { name: 'legal', priority: 40, when: { all: ['legal'] }, model: 'careful' },
    { name: 'fallback', default: true, model: 'small' },
  ],
});

const classify = (prompt: string): string => (prompt.includes('contract') ? 'legal' : 'general');
const ctx = (prompt: string, tags: string[] = [], costTier?: 'low' | 'standard' | 'high') => ({
  prompt,
  input: null,
  tags,
  costTier,
  classify,
});

describe('routeModel', () => {
  it('takes the matching decision of highest priority and reports the signals that fired', () => {
    expect(routeModel(TABLE, ctx('Here is a stack trace: TypeError …'))).toEqual({
      decision: 'code',
      model: 'coder',
      signals: ['code'],
      domain: 'general',
    });
    expect(routeModel(TABLE, ctx('a TypeError', [], 'low')).decision).toBe('cheap-code');
  });

  it('breaks a priority tie by the order the decisions are listed', () => {
    const prompt = `INV-123456 ${'x'.repeat(400)}`;
    const route = routeModel(TABLE, ctx(prompt));
    expect(route.signals).toEqual(['invoice', 'long']);
    expect(route.decision).toBe('code');
  });

  it('honours not: a long urgent prompt is not routed as long', () => {
    const prompt = 'y'.repeat(400);
    expect(routeModel(TABLE, ctx(prompt)).decision).toBe('long');
    const urgent = routeModel(TABLE, ctx(prompt, ['urgent']));
    expect(urgent.signals).toEqual(['long', 'urgent']);
    expect(urgent.decision).toBe('fallback');
  });

  it('asks the pluggable classifier for domain signals', () => {
    expect(routeModel(TABLE, ctx('review this contract'))).toMatchObject({
      decision: 'legal',
      model: 'careful',
      domain: 'legal',
    });
  });

  it('falls back to the default when nothing matches; keywords are case-insensitive by default', () => {
    expect(routeModel(TABLE, ctx('hello')).decision).toBe('fallback');
    expect(routeModel(TABLE, ctx('A STACK TRACE')).decision).toBe('code');
  });
});

describe('routing validation', () => {
  const issues = (raw: Record<string, unknown>): SpecValidationError['issues'] => {
    try {
      parseWorkflow({
        name: 'r',
        routing: raw,
        steps: [{ id: 'a', kind: 'agent', prompt: 'p.md' }],
      });
    } catch (error) {
      return (error as SpecValidationError).issues;
    }
    return [];
  };

  it('requires exactly one default decision, without a condition', () => {
    expect(issues({ decisions: [{ name: 'x', model: 'm' }] })).toMatchObject([
      { code: 'SPEC_ROUTING_INVALID', path: 'routing.decisions' },
    ]);
    expect(
      issues({
        signals: { s: { tag: 't' } },
        decisions: [{ name: 'd', default: true, when: { all: ['s'] }, model: 'm' }],
      }),
    ).toMatchObject([{ path: 'routing.decisions[0].when' }]);
  });

  it('names an unknown signal, a bad regex and a domain signal without a classifier at their paths', () => {
    const found = issues({
      signals: { r: { regex: '(' }, d: { domain: 'legal' } },
      decisions: [
        { name: 'a', when: { any: ['r', 'nope'] }, model: 'm' },
        { name: 'z', default: true, model: 'm' },
      ],
    });
    expect(found.map((issue) => issue.path).sort()).toEqual([
      'routing.decisions[0].when.any[1]',
      'routing.signals.d',
      'routing.signals.r.regex',
    ]);
  });
});

class Named implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly requests: ModelRequest[] = [];
  constructor(readonly name: string) {}
  generate(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    return Promise.resolve({
      text: `"${this.name}"`,
      model: `script:${this.name}`,
      usage: { inputTokens: 1, outputTokens: 1 },
    });
  }
}

describe('agent steps under a workflow routing', () => {
  const spec = {
    name: 'routed',
    routing: {
      classifier: 'domains',
      signals: { legal: { domain: 'legal' }, urgent: { tag: 'urgent' } },
      decisions: [
        { name: 'urgent', priority: 9, when: { all: ['urgent'] }, model: 'fast' },
        { name: 'legal', priority: 5, when: { all: ['legal'] }, model: 'careful' },
        { name: 'default', default: true, model: 'fast' },
      ],
    },
    steps: [
      { id: 'review', kind: 'agent', prompt: 'p.md', input: { text: '$.input.text' } },
      { id: 'pinned', kind: 'agent', prompt: 'p.md', model: 'fast', input: { text: 'x' } },
      {
        id: 'rush',
        kind: 'agent',
        prompt: 'p.md',
        input: { text: '$.input.text' },
        tags: ['urgent'],
      },
    ],
  };
  const domains = defineDomainClassifier({
    name: 'domains',
    version: '2',
    classify: (prompt) => (prompt.includes('contract') ? 'legal' : 'general'),
  });

  it('routes steps that name no model, journals the decision and signals, and replays them', async () => {
    const fast = new Named('fast');
    const careful = new Named('careful');
    const runtime = new Runtime({
      store: new MemoryJournalStore(),
      clock: new VirtualClock(),
      ids: sequentialIds(),
      models: new ModelRegistry().register('fast', fast).register('careful', careful),
      voteFunctions: [domains],
    });
    const outcome = await runtime.start(
      { spec: workflow(spec), prompts: { 'p.md': 'Check: {{ text }}' } },
      { text: 'this contract' },
    );
    expect(outcome.status).toBe('completed');
    const events = await runtime.events(outcome.runId);
    expect(
      ofType(events, 'model-route').map((e) => [e.path, e.decision, e.model, e.signals]),
    ).toEqual([
      ['review', 'legal', 'careful', ['legal']],
      ['rush', 'urgent', 'fast', ['legal', 'urgent']],
    ]);
    expect(ofType(events, 'model-call-start').map((e) => [e.path, e.model])).toEqual([
      ['review', 'careful'],
      ['pinned', 'fast'],
      ['rush', 'fast'],
    ]);
    expect(careful.requests).toHaveLength(1);
    expect(events[0]).toMatchObject({
      voteFunctions: { domains: { kind: 'classifier', version: '2' } },
    });
    await expectVerified(runtime, outcome.runId);
  });

  it('refuses to start when a decision names a model that is not configured', async () => {
    const runtime = new Runtime({
      store: new MemoryJournalStore(),
      models: new ModelRegistry().register('fast', new Named('fast')),
      voteFunctions: [domains],
    });
    await expect(
      runtime.start({ spec: workflow(spec), prompts: { 'p.md': 'x' } }, { text: 'x' }),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', path: 'routing.decisions[1].model' });
  });

  it('is written the same way with the TypeScript builder (same spec hash as the raw form)', () => {
    const built = build('routed')
      .routing(spec.routing)
      .agent('review', { prompt: 'p.md', input: { text: '$.input.text' } })
      .agent('pinned', { prompt: 'p.md', model: 'fast', input: { text: 'x' } })
      .agent('rush', { prompt: 'p.md', input: { text: '$.input.text' }, tags: ['urgent'] })
      .build();
    expect(built).toEqual(workflow(spec));
  });
});
