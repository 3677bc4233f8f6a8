import { Validator, type Schema } from '@cfworker/json-schema';
import { describe, expect, it } from 'vitest';
import type { JournalEvent, ModelCallRequest } from '../../src/core/events.js';
import type { JsonValue } from '../../src/core/json.js';
import { idempotencyKey } from '../../src/executor/engine.js';
import { CallPrompts } from '../../src/executor/prompt.js';
import type { ModelProvider } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { SimulatedModel } from '../../src/providers/simulated.js';
import {
  expectVerified,
  harness,
  ofType,
  safeTool,
  sequentialIds,
  stepEnd,
  workflow,
} from './harness.js';

const schema = {
  type: 'object',
  properties: {
    label: { enum: ['bug', 'feature', 'question'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
  },
  required: ['label', 'confidence'],
  additionalProperties: false,
};

const prompts = { 'classify.md': 'Classify this ticket: {{ text }}' };

const spec = workflow({
  name: 'triage',
  steps: [
    {
      id: 'tickets',
      kind: 'map',
      items: '$.input.tickets',
      concurrency: 2,
      steps: [
        {
          id: 'classify',
          kind: 'agent',
          prompt: 'classify.md',
          input: { text: '$.item' },
          output: { schema },
          retry: {
            maxAttempts: 10,
            backoff: { initialMs: 50, factor: 2, maxMs: 1000, jitter: true },
          },
        },
        {
          id: 'file',
          kind: 'tool',
          tool: 'file',
          input: { ticket: '$.item', label: '$.steps.classify.output.label' },
        },
      ],
    },
  ],
});

const input = { tickets: ['app crashes', 'add dark mode', 'how do I log in?', 'typo on page'] };

function models(seed: number): ModelRegistry {
  return new ModelRegistry().register('default', new SimulatedModel({ errorRate: 0.5, seed }));
}

async function runOnce(seed: number, idPrefix: string) {
  const store = new MemoryJournalStore();
  const { runtime } = harness({
    store,
    models: models(seed),
    ids: sequentialIds(idPrefix),
    tools: [safeTool('file', (x) => ({ filed: x }))],
  });
  const outcome = await runtime.start({ spec, prompts }, input);
  return { runtime, store, outcome, events: await runtime.events(outcome.runId) };
}

/** An event without what legitimately differs between two runs: its run id and clock readings. */
function comparable(event: JournalEvent): JsonValue {
  const copy: Record<string, unknown> = { ...event };
  for (const field of ['at', 'runId', 'key', 'fireAt', 'timeoutAt', 'childRunId'])
    delete copy[field];
  return copy as JsonValue;
}

describe('determinism', () => {
  it('gives identical journals for the same spec, input and model seed, apart from runId and time', async () => {
    const a = await runOnce(42, 'alpha');
    const b = await runOnce(42, 'beta');
    expect(a.outcome.runId).not.toBe(b.outcome.runId);
    expect(a.outcome.status).toBe('completed');
    expect(b.outcome).toEqual({ ...a.outcome, runId: b.outcome.runId });
    expect(b.events.map(comparable)).toEqual(a.events.map(comparable));
  });

  it('gives byte-identical stored journals (bodies and hash chain) for the same run id and clock', async () => {
    const a = await runOnce(42, 'same');
    const b = await runOnce(42, 'same');
    expect(await b.store.read(b.outcome.runId)).toEqual(await a.store.read(a.outcome.runId));
  });

  it('changes what the simulated model says when the seed changes', async () => {
    const a = await runOnce(1, 'r');
    const b = await runOnce(2, 'r');
    const texts = (events: JournalEvent[]) => ofType(events, 'model-call-end').map((e) => e.text);
    expect(texts(b.events)).not.toEqual(texts(a.events));
  });

  it('derives idempotency keys from (runId, path, attempt) alone', async () => {
    const a = await runOnce(42, 'keyed');
    const b = await runOnce(42, 'keyed');
    const keysA = ofType(a.events, 'tool-call-start').map((e) => e.key);
    const keysB = ofType(b.events, 'tool-call-start').map((e) => e.key);
    expect(keysB).toEqual(keysA);
    for (const call of ofType(a.events, 'tool-call-start'))
      expect(call.key).toBe(idempotencyKey(a.outcome.runId, call.path, call.attempt));
    expect(new Set(keysA).size).toBe(keysA.length);
    const runId = a.outcome.runId;
    expect(idempotencyKey(runId, 'x', 1)).toBe(idempotencyKey(runId, 'x', 1));
    expect(idempotencyKey(runId, 'x', 2)).not.toBe(idempotencyKey(runId, 'x', 1));
    expect(idempotencyKey(runId, 'y', 1)).not.toBe(idempotencyKey(runId, 'x', 1));
    expect(idempotencyKey(`${runId}-other`, 'x', 1)).not.toBe(idempotencyKey(runId, 'x', 1));
  });
});

describe('agent steps with a simulated, error-prone model', () => {
  it('retries until the output matches the schema and labels the calls simulated', async () => {
    const { runtime, outcome, events } = await runOnce(7, 'agent');

    expect(outcome.status).toBe('completed');
    const validator = new Validator(schema as unknown as Schema, '2020-12', false);
    const outputs = input.tickets.map((_t, i) => stepEnd(events, `tickets/${i}/classify`).output);
    for (const output of outputs) expect(validator.validate(output).valid).toBe(true);
    // The model really did misbehave: some attempts failed and were retried after a backoff timer.
    const failed =
      ofType(events, 'model-call-error').length +
      ofType(events, 'model-call-end').length -
      input.tickets.length;
    expect(failed).toBeGreaterThan(0);
    expect(ofType(events, 'timer-start').length).toBe(failed);
    const ends = ofType(events, 'model-call-end');
    expect(ends.length).toBeGreaterThan(0);
    expect(ends.every((e) => e.simulated === true && e.model === 'simulated:default')).toBe(true);
    // Each model call journals its template's hash and the variables, not the rendered text; the
    // prompt sent is rebuilt from the two and the template stored once in run-start.
    const [firstStart] = ofType(events, 'model-call-start');
    const request = firstStart?.request as unknown as ModelCallRequest;
    expect(request).not.toHaveProperty('prompt');
    expect(request.input).toMatchObject({ text: 'app crashes' });
    const prompts = new CallPrompts(ofType(events, 'run-start')[0]?.prompts ?? {});
    expect(prompts.text(firstStart?.promptHash ?? '', request)).toEqual({
      ok: true,
      text: 'Classify this ticket: app crashes',
    });
    // The filing tool saw the validated label.
    const filed = ofType(events, 'tool-call-start').map(
      (e) => (e.input as { label: string }).label,
    );
    expect(filed).toEqual(outputs.map((o) => (o as { label: string }).label));
    await expectVerified(runtime, outcome.runId);
  });

  it('treats unparseable or schema-violating output as a retryable invalid-output failure', async () => {
    const answers = [
      'not json at all',
      '{"label":"bogus","confidence":2}',
      '{"label":"bug","confidence":0.9}',
    ];
    const scripted = (): ModelProvider => {
      let n = 0;
      return {
        specificationVersion: 'v1',
        name: 'scripted',
        generate: async () => ({
          text: answers[n++] ?? '',
          model: 'scripted-1',
          usage: { inputTokens: 1, outputTokens: 1 },
        }),
      };
    };
    const agentSpec = (maxAttempts: number) =>
      workflow({
        name: 'scripted-agent',
        steps: [
          {
            id: 'classify',
            kind: 'agent',
            prompt: 'classify.md',
            input: { text: 'x' },
            output: { schema },
            retry: { maxAttempts, backoff: { initialMs: 1, factor: 1, maxMs: 1, jitter: false } },
          },
        ],
      });

    const enough = harness({ models: new ModelRegistry().register('default', scripted()) });
    const ok = await enough.runtime.start({ spec: agentSpec(3), prompts });
    expect(ok.status).toBe('completed');
    expect(ok.output).toEqual({ label: 'bug', confidence: 0.9 });
    const events = await enough.runtime.events(ok.runId);
    // The raw texts are journaled, not the verdicts: replay re-parses and re-validates them.
    expect(ofType(events, 'model-call-end').map((e) => e.text)).toEqual(answers);
    expect(ofType(events, 'model-call-end').every((e) => e.simulated === undefined)).toBe(true);
    await expectVerified(enough.runtime, ok.runId);

    const few = harness({ models: new ModelRegistry().register('default', scripted()) });
    const failed = await few.runtime.start({ spec: agentSpec(2), prompts });
    expect(failed.status).toBe('failed');
    expect(failed.error?.type).toBe('invalid-output');
    expect(failed.error?.message).toContain('output schema');
    await expectVerified(few.runtime, failed.runId);
  });
});
