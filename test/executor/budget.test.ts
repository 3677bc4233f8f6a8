// Budgets on model spend (issue #7, docs/models.md#budgets): checked before each call from its
// worst case and after it from its actual usage; exceeding one is a journaled budget-exceeded
// escalation and a failed step, never a silent overrun. Models here are scripted providers with a
// price, counted at the port.
import { describe, expect, it } from 'vitest';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../src/core/ports.js';
import { SwitchyardError } from '../../src/core/errors.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import type { Price } from '../../src/providers/prices.js';
import { parseWorkflow } from '../../src/spec/parse.js';
import type { SpecValidationError } from '../../src/spec/errors.js';
import { expectVerified, harness, ofType, stepEnd, workflow } from './harness.js';

/** A priced model that answers `text` and reports `usage`; it records every request it receives. */
class PricedScript implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly requests: ModelRequest[] = [];
  constructor(
    readonly name: string,
    readonly price: Price | undefined,
    private readonly answer: (request: ModelRequest) => Partial<ModelResponse> = () => ({}),
  ) {}
  generate(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    return Promise.resolve({
      text: '"ok"',
      model: `script:${this.name}`,
      usage: { inputTokens: 100, outputTokens: 50 },
      finishReason: 'stop',
      ...this.answer(request),
    });
  }
}

const PROMPTS = { 'p.md': 'Say ok about {{ topic }}' };
// $10 per million tokens in and out: 100 + 50 tokens cost $0.0015.
const PRICE: Price = { inputPerMTok: 10, outputPerMTok: 10 };

function twoCalls(budget: Record<string, unknown>, maxTokens = 100): Record<string, unknown> {
  return {
    name: 'budgeted',
    budget,
    steps: [
      { id: 'a', kind: 'agent', prompt: 'p.md', model: 'm', input: { topic: 'a' }, maxTokens },
      {
        id: 'b',
        kind: 'agent',
        prompt: 'p.md',
        model: 'm',
        input: { topic: 'b' },
        maxTokens,
        after: ['a'],
      },
    ],
  };
}

describe('budgets on model calls', () => {
  it('refuses the second call before it is sent when its worst case would overrun the run budget', async () => {
    const model = new PricedScript('m', PRICE);
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    // The prompt 'Say ok about b' is 14 characters, estimated at ceil(14/3) = 5 input tokens. First
    // call: actual 150 tokens = $0.0015. Second call's worst case 5 + 100 = 105 tokens = $0.00105,
    // on top of $0.0015 > $0.0025.
    const outcome = await runtime.start(
      { spec: workflow(twoCalls({ usd: 0.0025 })), prompts: PROMPTS },
      {},
    );
    expect(outcome.status).toBe('failed');
    expect(model.requests).toHaveLength(1);
    const events = await runtime.events(outcome.runId);
    const [escalation] = ofType(events, 'escalation');
    expect(escalation).toMatchObject({
      path: 'b',
      reason: 'budget-exceeded',
      budget: 'run',
      phase: 'before-call',
      model: 'm',
      exceeded: 'usd',
      limit: { usd: 0.0025 },
      spent: { tokens: 150 },
    });
    expect(escalation?.spent.usd).toBeCloseTo(0.0015, 10);
    expect(escalation?.call.tokens).toBe(105);
    // No model-call-start for the refused call: the escalation stands where it would have been.
    expect(ofType(events, 'model-call-start').map((e) => e.path)).toEqual(['a']);
    expect(stepEnd(events, 'b').error).toMatchObject({
      type: 'budget-exceeded',
      code: 'BUDGET_EXCEEDED',
      retryable: false,
    });
    expect(stepEnd(events, 'b').error?.message).toMatch(/refused before sending/);
    await expectVerified(runtime, outcome.runId);
  });

  it('lets both calls through when the budget covers their worst cases', async () => {
    const model = new PricedScript('m', PRICE);
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    const outcome = await runtime.start(
      { spec: workflow(twoCalls({ usd: 0.01, tokens: 1000 })), prompts: PROMPTS },
      {},
    );
    expect(outcome.status).toBe('completed');
    expect(model.requests).toHaveLength(2);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'escalation')).toHaveLength(0);
  });

  it('journals each call’s cost and finish reason in model-call-end', async () => {
    const model = new PricedScript('m', PRICE);
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    const outcome = await runtime.start(
      { spec: workflow(twoCalls({ usd: 1 })), prompts: PROMPTS },
      {},
    );
    const ends = ofType(await runtime.events(outcome.runId), 'model-call-end');
    expect(ends).toHaveLength(2);
    for (const end of ends) {
      expect(end.finishReason).toBe('stop');
      expect(end.costUsd).toBeCloseTo(0.0015, 12);
    }
  });

  it('prices calls in model-call-end even when the spec sets no budget', async () => {
    const model = new PricedScript('m', PRICE);
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    const spec = twoCalls({ usd: 1 });
    delete spec.budget;
    const outcome = await runtime.start({ spec: workflow(spec), prompts: PROMPTS }, {});
    const start = (await runtime.events(outcome.runId))[0];
    expect(start?.type === 'run-start' && start.models).toBeUndefined();
    const ends = ofType(await runtime.events(outcome.runId), 'model-call-end');
    expect(ends.map((e) => e.costUsd)).toEqual([0.0015, 0.0015]);
  });

  it('caps maxTokens at what a token budget still affords when the step sets none', async () => {
    const model = new PricedScript('m', PRICE);
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    const spec = workflow({
      name: 'capped',
      steps: [
        {
          id: 'a',
          kind: 'agent',
          prompt: 'p.md',
          model: 'm',
          input: { topic: 'a' },
          budget: { tokens: 500 },
        },
      ],
    });
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, {});
    expect(outcome.status).toBe('completed');
    // 14 prompt characters → 5 estimated input tokens; 500 - 5 = 495 left for the answer.
    expect(model.requests[0]?.maxTokens).toBe(495);
    const [start] = ofType(await runtime.events(outcome.runId), 'model-call-start');
    expect(start?.request).toMatchObject({ maxTokens: 495 });
  });

  it('fails the step after the call when its actual usage overran the step budget', async () => {
    // The provider reports far more input tokens than the prompt's estimate.
    const model = new PricedScript('m', PRICE, () => ({
      usage: { inputTokens: 5000, outputTokens: 10 },
    }));
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    const spec = workflow({
      name: 'overrun',
      steps: [
        {
          id: 'a',
          kind: 'agent',
          prompt: 'p.md',
          model: 'm',
          input: { topic: 'a' },
          maxTokens: 20,
          budget: { tokens: 1000 },
        },
      ],
    });
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, {});
    expect(outcome.status).toBe('failed');
    const events = await runtime.events(outcome.runId);
    const [escalation] = ofType(events, 'escalation');
    expect(escalation).toMatchObject({
      budget: 'step',
      phase: 'after-call',
      exceeded: 'tokens',
      spent: { tokens: 0 },
      call: { tokens: 5010 },
      limit: { tokens: 1000 },
    });
    expect(stepEnd(events, 'a').error?.code).toBe('BUDGET_EXCEEDED');
    await expectVerified(runtime, outcome.runId);
  });

  it('counts a vote step’s samples in flight at their worst case, so parallel samples cannot overrun together', async () => {
    const model = new PricedScript('m', PRICE, () => ({
      text: '{"x":1}',
      usage: { inputTokens: 8, outputTokens: 5 },
    }));
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    const spec = workflow({
      name: 'voting',
      steps: [
        {
          id: 'v',
          kind: 'vote',
          prompt: 'p.md',
          model: 'm',
          input: { topic: 'a' },
          maxTokens: 100,
          k: 3,
          maxSamples: 10,
          maxParallel: 3,
          // Each sample's worst case is 5 + 100 = 105 tokens: three in flight need 315.
          budget: { tokens: 250 },
        },
      ],
    });
    const outcome = await runtime.start({ spec, prompts: PROMPTS }, {});
    expect(outcome.status).toBe('failed');
    expect(model.requests).toHaveLength(2);
    const [escalation] = ofType(await runtime.events(outcome.runId), 'escalation');
    expect(escalation).toMatchObject({
      budget: 'step',
      phase: 'before-call',
      spent: { tokens: 210 },
    });
    await expectVerified(runtime, outcome.runId);
  });

  it('refuses to start a run whose USD budget covers a model with no price, naming the field', async () => {
    const model = new PricedScript('m', undefined);
    const { runtime } = harness({ models: new ModelRegistry().register('m', model) });
    const error = await runtime
      .start({ spec: workflow(twoCalls({ usd: 1 })), prompts: PROMPTS }, {})
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ code: 'BUDGET_MODEL_UNPRICED', path: 'a.model', value: 'm' });
    expect(model.requests).toHaveLength(0);
  });

  it('rejects a budget with neither usd nor tokens, and a negative limit, at their spec paths', () => {
    const bad = (budget: unknown): SpecValidationError => {
      try {
        parseWorkflow({
          name: 'x',
          steps: [{ id: 'a', kind: 'agent', prompt: 'p.md', budget }],
        });
      } catch (error) {
        return error as SpecValidationError;
      }
      throw new Error('expected the spec to be rejected');
    };
    expect(bad({}).issues[0]?.path).toBe('steps[0].budget');
    expect(bad({}).issues[0]?.message).toMatch(/usd, tokens or both/);
    expect(bad({ usd: -1 }).issues[0]?.path).toBe('steps[0].budget.usd');
  });
});
