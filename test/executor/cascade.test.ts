// The cascade step (issue #7, docs/models.md#cascade) through the real Runtime, with scripted
// models at the provider port: accept on a good score, escalate on a bad one, fall back on provider
// errors within per-model retry budgets, judge and function scorers, and replay of every decision.
import { describe, expect, it } from 'vitest';
import type { CascadeScoreEvent } from '../../src/core/events.js';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../src/core/ports.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { workflow as build } from '../../src/spec/builder.js';
import { defineCascadeScorer, type VoteFunctionDefinition } from '../../src/voting/functions.js';
import { expectVerified, ofType, sequentialIds, stepEnd, workflow } from './harness.js';
import { VirtualClock } from '../support/virtual-clock.js';

type Reply = string | Error;

/** A model that answers by a function of the request; every request is recorded. */
class Scripted implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly requests: ModelRequest[] = [];
  constructor(
    readonly name: string,
    private readonly reply: (request: ModelRequest, call: number) => Reply,
  ) {}
  generate(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const reply = this.reply(request, this.requests.length);
    if (reply instanceof Error) return Promise.reject(reply);
    return Promise.resolve({
      text: reply,
      model: `script:${this.name}`,
      usage: { inputTokens: 10, outputTokens: 5 },
    });
  }
}

function outage(): Error {
  return Object.assign(new Error('503 overloaded'), { retryable: true });
}

const OUTPUT = {
  schema: {
    type: 'object',
    properties: { answer: { type: 'integer' } },
    required: ['answer'],
    additionalProperties: false,
  },
};
const PROMPTS = { 'q.md': 'What is {{ q }}?' };

function cascadeSpec(stages: unknown[]): ReturnType<typeof workflow> {
  return workflow({
    name: 'cascading',
    steps: [
      {
        id: 'ask',
        kind: 'cascade',
        prompt: 'q.md',
        input: { q: '$.input.q' },
        output: OUTPUT,
        stages,
      },
    ],
  });
}

function runtimeWith(models: Scripted[], voteFunctions: VoteFunctionDefinition[] = []): Runtime {
  const registry = new ModelRegistry();
  for (const model of models) registry.register(model.name, model);
  return new Runtime({
    store: new MemoryJournalStore(),
    clock: new VirtualClock(),
    ids: sequentialIds(),
    models: registry,
    voteFunctions,
  });
}

const AGREEMENT = { kind: 'agreement', samples: 2 };

describe('cascade step', () => {
  it('accepts the cheap stage when its extra sample agrees, and never asks the expensive model', async () => {
    const cheap = new Scripted('cheap', () => '{"answer": 4}');
    const expensive = new Scripted('expensive', () => '{"answer": 4}');
    const runtime = runtimeWith([cheap, expensive]);
    const spec = cascadeSpec([{ model: 'cheap', scorer: AGREEMENT }, { model: 'expensive' }]);
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome).toMatchObject({ status: 'completed', output: { answer: 4 } });
    expect(expensive.requests).toHaveLength(0);
    // The answer at the step's temperature, the check sample at the scorer's.
    expect(cheap.requests.map((r) => r.temperature)).toEqual([0, 0.7]);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'model-call-start').map((e) => [e.stage, e.role, e.model])).toEqual([
      [0, 'answer', 'cheap'],
      [0, 'check', 'cheap'],
    ]);
    expect(ofType(events, 'cascade-score')).toMatchObject([
      { stage: 0, model: 'cheap', scorer: 'agreement', score: 1, threshold: 1 },
    ]);
    expect(ofType(events, 'cascade-decided')).toMatchObject([{ stage: 0, action: 'accept' }]);
    await expectVerified(runtime, outcome.runId);
  });

  it('escalates to the next stage when the samples disagree, and takes its answer', async () => {
    const cheap = new Scripted('cheap', (r) =>
      r.temperature === 0 ? '{"answer": 5}' : '{"answer": 4}',
    );
    const expensive = new Scripted('expensive', () => '{"answer": 4}');
    const runtime = runtimeWith([cheap, expensive]);
    const spec = cascadeSpec([{ model: 'cheap', scorer: AGREEMENT }, { model: 'expensive' }]);
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome).toMatchObject({ status: 'completed', output: { answer: 4 } });
    expect(expensive.requests).toHaveLength(1);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'cascade-score').map((e) => [e.stage, e.scorer, e.score])).toEqual([
      [0, 'agreement', 0],
      [1, 'none', 1],
    ]);
    expect(ofType(events, 'cascade-decided').map((e) => [e.stage, e.action, e.reason])).toEqual([
      [0, 'escalate', 'score'],
      [1, 'accept', 'score'],
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('scores an answer that fails the output schema 0 and escalates without drawing a check sample', async () => {
    const cheap = new Scripted('cheap', () => '{"answer": "four"}');
    const expensive = new Scripted('expensive', () => '{"answer": 4}');
    const runtime = runtimeWith([cheap, expensive]);
    const spec = cascadeSpec([{ model: 'cheap', scorer: AGREEMENT }, { model: 'expensive' }]);
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome.output).toEqual({ answer: 4 });
    expect(cheap.requests).toHaveLength(1);
    const [score] = ofType(await runtime.events(outcome.runId), 'cascade-score');
    expect(score).toMatchObject({ stage: 0, score: 0 });
    expect((score as CascadeScoreEvent).detail).toMatch(/does not match the output schema/);
  });

  it('retries a failing model within its retry budget, then falls back to the next model of the stage', async () => {
    const flaky = new Scripted('flaky', () => outage());
    const backup = new Scripted('backup', () => '{"answer": 4}');
    const expensive = new Scripted('expensive', () => '{"answer": 4}');
    const runtime = runtimeWith([flaky, backup, expensive]);
    const spec = cascadeSpec([
      { model: 'flaky', fallbacks: ['backup'], retries: 2, scorer: { kind: 'schema' } },
      { model: 'expensive' },
    ]);
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome).toMatchObject({ status: 'completed', output: { answer: 4 } });
    expect(flaky.requests).toHaveLength(3); // the first call and 2 retries
    expect(backup.requests).toHaveLength(1);
    expect(expensive.requests).toHaveLength(0);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'cascade-fallback')).toMatchObject([
      { stage: 0, from: 'flaky', to: 'backup' },
    ]);
    expect(ofType(events, 'model-call-error')).toHaveLength(3);
    expect(ofType(events, 'cascade-score')).toMatchObject([
      { model: 'backup', scorer: 'schema', score: 1 },
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('escalates on provider errors when every model of a stage fails, and fails when the last stage does', async () => {
    const down = new Scripted('down', () => outage());
    const alsoDown = new Scripted('also-down', () => outage());
    const runtime = runtimeWith([down, alsoDown]);
    const spec = cascadeSpec([
      { model: 'down', retries: 0, scorer: { kind: 'schema' } },
      { model: 'also-down', retries: 1 },
    ]);
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome.status).toBe('failed');
    expect(down.requests).toHaveLength(1);
    expect(alsoDown.requests).toHaveLength(2);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'cascade-decided').map((e) => [e.stage, e.action, e.reason])).toEqual([
      [0, 'escalate', 'provider-error'],
      [1, 'reject', 'provider-error'],
    ]);
    expect(stepEnd(events, 'ask').error).toMatchObject({ code: 'CASCADE_EXHAUSTED' });
    await expectVerified(runtime, outcome.runId);
  });

  it('asks a judge model to score the answer and accepts at or above the threshold', async () => {
    const cheap = new Scripted('cheap', () => '{"answer": 4}');
    const judge = new Scripted('judge', (r) =>
      r.prompt.includes('{"answer": 4}') ? '{"score": 0.9}' : '{"score": 0}',
    );
    const expensive = new Scripted('expensive', () => '{"answer": 4}');
    const runtime = runtimeWith([cheap, judge, expensive]);
    const spec = cascadeSpec([
      { model: 'cheap', scorer: { kind: 'judge', model: 'judge' }, threshold: 0.8 },
      { model: 'expensive' },
    ]);
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome.output).toEqual({ answer: 4 });
    expect(judge.requests).toHaveLength(1);
    expect(judge.requests[0]?.prompt).toContain('What is 2+2?');
    expect(judge.requests[0]?.outputSchema).toMatchObject({ required: ['score'] });
    expect(expensive.requests).toHaveLength(0);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'cascade-score')).toMatchObject([
      { scorer: 'judge', score: 0.9, threshold: 0.8 },
    ]);
    expect(ofType(events, 'model-call-start').map((e) => e.role)).toEqual(['answer', 'judge']);
    await expectVerified(runtime, outcome.runId);
  });

  it('scores with a registered scorer function that sees the parsed answer and the step input', async () => {
    const cheap = new Scripted('cheap', () => '{"answer": 5}');
    const expensive = new Scripted('expensive', () => '{"answer": 4}');
    const seen: unknown[] = [];
    const plausible = defineCascadeScorer({
      name: 'plausible',
      version: '1',
      score: (value, _text, input) => {
        seen.push([value, input]);
        return (value as { answer: number }).answer === 4 ? 1 : 0.2;
      },
    });
    const runtime = runtimeWith([cheap, expensive], [plausible]);
    const spec = cascadeSpec([
      { model: 'cheap', scorer: { kind: 'function', name: 'plausible' }, threshold: 0.5 },
      { model: 'expensive' },
    ]);
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome.output).toEqual({ answer: 4 });
    expect(seen[0]).toEqual([{ answer: 5 }, { q: '2+2' }]);
    const events = await runtime.events(outcome.runId);
    expect(events[0]).toMatchObject({
      voteFunctions: { plausible: { kind: 'scorer', version: '1' } },
    });
    expect(ofType(events, 'cascade-score')[0]).toMatchObject({ scorer: 'function', score: 0.2 });
    await expectVerified(runtime, outcome.runId);
  });

  it('refuses to start when a stage names a scorer function that is not registered', async () => {
    const cheap = new Scripted('cheap', () => '{"answer": 4}');
    const runtime = runtimeWith([cheap]);
    const spec = cascadeSpec([{ model: 'cheap', scorer: { kind: 'function', name: 'nope' } }]);
    const error = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ path: 'ask.stages[0].scorer.name' });
    expect(cheap.requests).toHaveLength(0);
  });

  it('refuses to start when a stage names a model that is not configured', async () => {
    const cheap = new Scripted('cheap', () => '{"answer": 4}');
    const runtime = runtimeWith([cheap]);
    const spec = cascadeSpec([{ model: 'cheap', fallbacks: ['ghost'] }]);
    await expect(runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      path: 'ask.stages[0]',
      value: 'ghost',
    });
  });

  it('holds a cascade under a step budget: the expensive stage is refused before it is sent', async () => {
    const cheap = new Scripted('cheap', (r) =>
      r.temperature === 0 ? '{"answer": 5}' : '{"answer": 4}',
    );
    const expensive = new Scripted('expensive', () => '{"answer": 4}');
    Object.assign(cheap, { price: { inputPerMTok: 0.15, outputPerMTok: 0.15 } });
    Object.assign(expensive, { price: { inputPerMTok: 10, outputPerMTok: 10 } });
    const runtime = runtimeWith([cheap, expensive]);
    const spec = workflow({
      name: 'cascading',
      steps: [
        {
          id: 'ask',
          kind: 'cascade',
          prompt: 'q.md',
          input: { q: '$.input.q' },
          output: OUTPUT,
          maxTokens: 50,
          stages: [{ model: 'cheap', scorer: AGREEMENT }, { model: 'expensive' }],
          // The expensive call's worst case: (4 + 50) tokens × $10/M = $0.00054.
          budget: { usd: 0.0003 },
        },
      ],
    });
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, { q: '2+2' });
    expect(outcome.status).toBe('failed');
    expect(expensive.requests).toHaveLength(0);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'escalation')).toMatchObject([
      { path: 'ask', model: 'expensive', phase: 'before-call', budget: 'step', exceeded: 'usd' },
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('is written the same way with the TypeScript builder, budget included', () => {
    const stages = [
      { model: 'cheap', fallbacks: ['backup'], scorer: { kind: 'agreement' as const, samples: 3 } },
      { model: 'expensive' },
    ];
    const built = build('cascading')
      .budget({ usd: 0.5 })
      .cascade('ask', {
        prompt: 'q.md',
        input: { q: '$.input.q' },
        output: OUTPUT,
        stages,
        budget: { tokens: 1000 },
      })
      .build();
    const raw = workflow({
      name: 'cascading',
      budget: { usd: 0.5 },
      steps: [
        {
          id: 'ask',
          kind: 'cascade',
          prompt: 'q.md',
          input: { q: '$.input.q' },
          output: OUTPUT,
          stages,
          budget: { tokens: 1000 },
        },
      ],
    });
    expect(built).toEqual(raw);
  });
});
