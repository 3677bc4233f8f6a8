import { describe, expect, it } from 'vitest';
import { expectVerified, harness, ofType, safeTool, trace, workflow } from './harness.js';
import type { ToolCallStartEvent } from '../../src/core/events.js';

// The driver journals a tool that returned a value without awaiting it (a fast path for the
// common synchronous tool); a promise, or another library's thenable, is awaited. All three must
// leave the same journal: same events, outputs and failures, in the same order.
type Shape = 'value' | 'promise' | 'thenable';

function deliver(shape: Shape, produce: () => unknown): unknown {
  if (shape === 'value') return produce();
  if (shape === 'promise') return Promise.resolve().then(produce);
  return {
    then(resolve: (value: unknown) => void, reject: (error: unknown) => void) {
      try {
        resolve(produce());
      } catch (error) {
        reject(error);
      }
    },
  };
}

async function journalOf(shape: Shape): Promise<{ trace: string[]; results: unknown[] }> {
  const { runtime } = harness({
    tools: [
      safeTool('double', (input) =>
        deliver(shape, () => ({ n: (input as { n: number }).n * 2 })),
      ),
      safeTool('explode', () =>
        deliver(shape, () => {
          throw new Error('boom');
        }),
      ),
      safeTool('dated', () => deliver(shape, () => ({ when: new Date(0) }))),
    ],
  });
  const spec = workflow({
    name: `results-${shape}`,
    steps: [
      { id: 'a', kind: 'tool', tool: 'double', input: { n: 21 } },
      { id: 'b', kind: 'tool', tool: 'double', input: '$.steps.a.output', after: ['a'] },
      { id: 'c', kind: 'tool', tool: 'explode', after: ['b'], onError: 'continue' },
      { id: 'd', kind: 'tool', tool: 'dated', after: ['c'], onError: 'continue' },
    ],
  });
  const outcome = await runtime.start({ spec });
  expect(outcome.status).toBe('completed');
  const events = await runtime.events(outcome.runId);
  await expectVerified(runtime, outcome.runId);
  const results = events
    .filter((e) => e.type === 'tool-call-end' || e.type === 'tool-call-error')
    .map((e) =>
      e.type === 'tool-call-end'
        ? { path: e.path, output: e.output }
        : { path: e.path, error: `${e.error.type}: ${e.error.message} (${e.error.retryable})` },
    );
  expect(ofType(events, 'tool-call-start')).toHaveLength(4);
  return { trace: trace(events), results };
}

describe('a tool result, whatever shape execute returned it in', () => {
  it('is journaled identically for a value, a promise and a thenable', async () => {
    const value = await journalOf('value');
    expect(value.results.slice(0, 3)).toEqual([
      { path: 'a', output: { n: 42 } },
      { path: 'b', output: { n: 84 } },
      { path: 'c', error: 'error: boom (true)' },
    ]);
    // A Date is not JSON: a failure naming where it is, not retried (it would only recur).
    expect(value.results[3]).toMatchObject({ path: 'd' });
    expect(JSON.stringify(value.results[3])).toMatch(/\$output\.when.*\(false\)/);
    expect(await journalOf('promise')).toEqual(value);
    expect(await journalOf('thenable')).toEqual(value);
  });
});

describe('a call started and cancelled by the same tick', () => {
  // z's end starts y and w in one tick; w's input cannot be resolved, so the same tick fails the
  // run and cancels y, whose tool has already been called (its start is durable).
  for (const shape of ['value', 'promise'] as const) {
    it(`leaves no result after the step ended and no effect hook (${shape})`, async () => {
      const effects: string[] = [];
      const { runtime } = harness({
        tools: [safeTool('ok', (input) => deliver(shape, () => input))],
        faults: { afterEffect: (call: ToolCallStartEvent) => void effects.push(call.path) },
      });
      const spec = workflow({
        name: `cancel-${shape}`,
        steps: [
          { id: 'z', kind: 'tool', tool: 'ok', input: { n: 1 } },
          { id: 'y', kind: 'tool', tool: 'ok', input: { n: 2 }, after: ['z'] },
          { id: 'w', kind: 'tool', tool: 'ok', input: { $expr: '1/0' }, after: ['z'] },
        ],
      });

      const outcome = await runtime.start({ spec });

      expect(outcome.status).toBe('failed');
      const events = await runtime.events(outcome.runId);
      expect(trace(events).at(-1)).toBe('run-end');
      expect(trace(events)).toContain('tool-call-start y');
      expect(trace(events)).not.toContain('tool-call-end y');
      expect(effects).toEqual(['z']);
      await expectVerified(runtime, outcome.runId);
    });
  }
});

describe('a tool result whose then getter throws', () => {
  it('is the tool failing, journaled, not the driver breaking', async () => {
    const { runtime } = harness({
      tools: [
        safeTool('odd', () => ({
          get then(): never {
            throw new Error('no then for you');
          },
        })),
      ],
    });
    const spec = workflow({
      name: 'odd-then',
      steps: [{ id: 'a', kind: 'tool', tool: 'odd', onError: 'continue' }],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('completed');
    const [error] = ofType(await runtime.events(outcome.runId), 'tool-call-error');
    expect(error?.error.message).toBe('no then for you');
  });
});
