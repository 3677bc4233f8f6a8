// The consortium step (issue #7, docs/models.md#consortium): drafters answer in parallel, a
// consolidating model merges what arrived; failures of drafters are left out and said so; every
// call is journaled and replay re-derives the merge.
import { describe, expect, it } from 'vitest';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { workflow as build } from '../../src/spec/builder.js';
import { expectVerified, ofType, sequentialIds, stepEnd, workflow } from './harness.js';
import { VirtualClock } from '../support/virtual-clock.js';

/** Answers after `release()` is called (or at once), so drafts can be shown to run in parallel. */
class Drafter implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly requests: ModelRequest[] = [];
  constructor(
    readonly name: string,
    private readonly reply: (request: ModelRequest) => string | Error,
  ) {}
  generate(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const reply = this.reply(request);
    if (reply instanceof Error) return Promise.reject(reply);
    return Promise.resolve({
      text: reply,
      model: `script:${this.name}`,
      usage: { inputTokens: 3, outputTokens: 3 },
    });
  }
}

const OUTPUT = {
  schema: {
    type: 'object',
    properties: { title: { type: 'string' } },
    required: ['title'],
  },
};

const SPEC = {
  name: 'council',
  steps: [
    {
      id: 'title',
      kind: 'consortium',
      prompt: 't.md',
      input: { topic: '$.input.topic' },
      output: OUTPUT,
      drafters: ['a', 'b', 'c'],
      minDrafts: 2,
      merge: { model: 'judge' },
    },
  ],
};

function setup(models: Drafter[]): Runtime {
  const registry = new ModelRegistry();
  for (const model of models) registry.register(model.name, model);
  return new Runtime({
    store: new MemoryJournalStore(),
    clock: new VirtualClock(),
    ids: sequentialIds(),
    models: registry,
  });
}

describe('consortium step', () => {
  it('asks every drafter at once, then merges their drafts with the consolidating model', async () => {
    const a = new Drafter('a', () => '{"title": "Tides"}');
    const b = new Drafter('b', () => '{"title": "The Tides"}');
    const c = new Drafter('c', () => '{"title": "Moon and Sea"}');
    const judge = new Drafter('judge', () => '{"title": "The Tides"}');
    const runtime = setup([a, b, c, judge]);
    const outcome = await runtime.start(
      { spec: workflow(SPEC), prompts: { 't.md': 'Title a poem about {{ topic }}.' } },
      { topic: 'the sea' },
    );
    expect(outcome).toMatchObject({ status: 'completed', output: { title: 'The Tides' } });
    const events = await runtime.events(outcome.runId);
    const starts = ofType(events, 'model-call-start');
    expect(starts.map((e) => [e.role, e.model, e.sample])).toEqual([
      ['draft', 'a', 0],
      ['draft', 'b', 1],
      ['draft', 'c', 2],
      ['merge', 'judge', undefined],
    ]);
    // All three drafts were asked before any answer came back: they share one journal batch.
    const firstEnd = events.findIndex((e) => e.type === 'model-call-end');
    expect(events.findIndex((e) => e.type === 'model-call-start' && e.model === 'c')).toBeLessThan(
      firstEnd,
    );
    const mergePrompt = judge.requests[0]?.prompt ?? '';
    expect(mergePrompt).toContain('Title a poem about the sea.');
    for (const title of ['Tides', 'The Tides', 'Moon and Sea'])
      expect(mergePrompt).toContain(title);
    expect(judge.requests[0]?.outputSchema).toEqual(OUTPUT.schema);
    await expectVerified(runtime, outcome.runId);
  });

  it('leaves out a drafter that failed, and says so in the merge prompt', async () => {
    const a = new Drafter('a', () => '{"title": "Tides"}');
    const b = new Drafter('b', () =>
      Object.assign(new Error('503 overloaded'), { retryable: true }),
    );
    const c = new Drafter('c', () => '{"title": "Moon and Sea"}');
    const judge = new Drafter('judge', () => '{"title": "Tides"}');
    const runtime = setup([a, b, c, judge]);
    const outcome = await runtime.start(
      { spec: workflow(SPEC), prompts: { 't.md': 'Title: {{ topic }}' } },
      { topic: 'sea' },
    );
    expect(outcome.status).toBe('completed');
    expect(judge.requests[0]?.prompt).toMatch(
      /<draft index="1" missing="true">the model failed: 503 overloaded/,
    );
    await expectVerified(runtime, outcome.runId);
  });

  it('fails with CONSORTIUM_TOO_FEW_DRAFTS when fewer than minDrafts arrive, without merging', async () => {
    const down = () => Object.assign(new Error('503'), { retryable: true });
    const a = new Drafter('a', () => '{"title": "Tides"}');
    const b = new Drafter('b', down);
    const c = new Drafter('c', down);
    const judge = new Drafter('judge', () => '{"title": "x"}');
    const runtime = setup([a, b, c, judge]);
    const outcome = await runtime.start(
      { spec: workflow(SPEC), prompts: { 't.md': 'Title: {{ topic }}' } },
      { topic: 'sea' },
    );
    expect(outcome.status).toBe('failed');
    expect(judge.requests).toHaveLength(0);
    const events = await runtime.events(outcome.runId);
    expect(stepEnd(events, 'title').error).toMatchObject({ code: 'CONSORTIUM_TOO_FEW_DRAFTS' });
  });

  it('fails the step when the merged answer does not match the output schema', async () => {
    const ok = () => '{"title": "Tides"}';
    const runtime = setup([
      new Drafter('a', ok),
      new Drafter('b', ok),
      new Drafter('c', ok),
      new Drafter('judge', () => '{"name": "Tides"}'),
    ]);
    const outcome = await runtime.start(
      { spec: workflow(SPEC), prompts: { 't.md': 'Title: {{ topic }}' } },
      { topic: 'sea' },
    );
    expect(outcome.status).toBe('failed');
    const events = await runtime.events(outcome.runId);
    expect(stepEnd(events, 'title').error?.message).toMatch(/does not match the output schema/);
  });

  it('is written the same way with the TypeScript builder', () => {
    const built = build('council')
      .consortium('title', {
        prompt: 't.md',
        input: { topic: '$.input.topic' },
        output: OUTPUT,
        drafters: ['a', 'b', 'c'],
        minDrafts: 2,
        merge: { model: 'judge' },
      })
      .build();
    expect(built).toEqual(workflow(SPEC));
  });
});
