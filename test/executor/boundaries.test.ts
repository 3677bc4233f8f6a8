import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.js';
import {
  echoTool,
  expectVerified,
  harness,
  ofType,
  safeTool,
  stepEnd,
  ticks,
  workflow,
} from './harness.js';

describe('values crossing a step boundary', () => {
  it('keeps the run input and later steps intact when a tool mutates its input in place', async () => {
    let calls = 0;
    const { runtime } = harness({
      tools: [
        echoTool(),
        safeTool('vandal', (input) => {
          calls += 1;
          (input as { order: { total: number } }).order.total = -1;
          if (calls === 1) throw new Error('try again');
          return 'done';
        }),
      ],
    });
    const spec = workflow({
      name: 'mutating-input',
      steps: [
        {
          id: 'a',
          kind: 'tool',
          tool: 'vandal',
          input: { order: '$.input.order' },
          retry: { maxAttempts: 2, backoff: { initialMs: 1, factor: 1, maxMs: 1, jitter: false } },
        },
        { id: 'b', kind: 'tool', tool: 'echo', input: '$.input.order', after: ['a'] },
      ],
    });

    const outcome = await runtime.start({ spec }, { order: { total: 10 } });

    expect(outcome.output).toEqual({ total: 10 });
    const starts = ofType(await runtime.events(outcome.runId), 'tool-call-start');
    // The retry sent what the spec says, not what the first attempt left behind.
    expect(starts.map((s) => s.input)).toEqual([
      { order: { total: 10 } },
      { order: { total: 10 } },
      { total: 10 },
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('records what a tool returned even if the tool changes that object afterwards', async () => {
    const shared = { n: 1 };
    const { runtime } = harness({
      tools: [
        echoTool(),
        safeTool('leaky', () => {
          setImmediate(() => (shared.n = 2));
          return shared;
        }),
        safeTool('slow', () => ticks(3).then(() => 'slow')),
      ],
    });
    const spec = workflow({
      name: 'mutating-output',
      steps: [
        { id: 'a', kind: 'tool', tool: 'leaky' },
        { id: 'b', kind: 'tool', tool: 'slow', after: ['a'] },
        { id: 'c', kind: 'tool', tool: 'echo', input: '$.steps.a.output', after: ['b'] },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(shared.n).toBe(2);
    expect(outcome.output).toEqual({ n: 1 });
    await expectVerified(runtime, outcome.runId);
  });

  it('fails a step whose tool returns a non-JSON value, with a non-retryable typed error', async () => {
    let calls = 0;
    const { runtime } = harness({
      tools: [
        safeTool('dated', () => {
          calls += 1;
          return { when: new Date(0) };
        }),
      ],
    });
    const spec = workflow({
      name: 'not-json',
      steps: [{ id: 'd', kind: 'tool', tool: 'dated', retry: { maxAttempts: 3 } }],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(calls).toBe(1);
    const error = stepEnd(await runtime.events(outcome.runId), 'd').error;
    expect(error).toMatchObject({ code: 'VALUE_NOT_JSON', retryable: false });
    expect(error?.message).toContain('$output.when');
    await expectVerified(runtime, outcome.runId);
  });

  it('journals the value a tool saw: a tool input that references the run input is a copy', async () => {
    const inputs: JsonValue[] = [];
    const { runtime } = harness({
      tools: [
        safeTool('peek', (input) => {
          inputs.push(input);
          return null;
        }),
      ],
    });
    const spec = workflow({
      name: 'copy',
      steps: [{ id: 'p', kind: 'tool', tool: 'peek', input: '$.input' }],
    });
    const runInput = { list: [1, 2] };
    await runtime.start({ spec }, runInput);
    expect(inputs[0]).toEqual(runInput);
    expect(inputs[0]).not.toBe(runInput);
  });

  it('is not affected by the caller changing its input object while the run is going on', async () => {
    const runInput = { total: 10 };
    const { runtime } = harness({
      tools: [
        echoTool(),
        safeTool('meddle', () => {
          runInput.total = 99; // e.g. the caller reuses its object for the next request
          return null;
        }),
      ],
    });
    const spec = workflow({
      name: 'caller-mutates',
      steps: [
        { id: 'a', kind: 'tool', tool: 'meddle' },
        { id: 'b', kind: 'tool', tool: 'echo', input: '$.input.total', after: ['a'] },
      ],
    });
    const outcome = await runtime.start({ spec }, runInput);
    expect(outcome.output).toBe(10);
    await expectVerified(runtime, outcome.runId);
  });

  it('sees object keys in journal order live, so key-order-sensitive expressions replay', async () => {
    const { runtime } = harness({
      tools: [echoTool(), safeTool('unordered', () => ({ zeta: 1, alpha: 2 }))],
    });
    const spec = workflow({
      name: 'key-order',
      steps: [
        { id: 'first', kind: 'tool', tool: 'unordered' },
        {
          id: 'keys',
          kind: 'tool',
          tool: 'echo',
          input: {
            output: { $expr: '$keys(steps.first.output)' },
            input: { $expr: '$keys(input)' },
          },
        },
      ],
    });
    const outcome = await runtime.start({ spec }, { zz: 1, aa: 2 });
    // Whatever order the engine uses, live and replay must agree; the journal's is sorted.
    expect(outcome.output).toEqual({ output: ['alpha', 'zeta'], input: ['aa', 'zz'] });
    await expectVerified(runtime, outcome.runId);
  });
});
