// The runtime serialises a spec once per spec object and reuses that form for later runs of the
// same object (runtime/spec-form.ts). Reuse must never hide a change made to the object in place.
import { describe, expect, it } from 'vitest';
import { hashJson } from '../../src/core/hash.js';
import type { JsonValue } from '../../src/core/json.js';
import type { WorkflowSpec } from '../../src/core/spec.js';
import { echoTool, expectVerified, harness, workflow } from './harness.js';

/** One echo step with input { v: 1 }. */
const echoSpec = (name: string): WorkflowSpec =>
  workflow({ name, steps: [{ id: 'a', kind: 'tool', tool: 'echo', input: { v: 1 } }] });

describe('runs of one spec object', () => {
  it('share the spec hash while the object is unchanged, and leave the object unfrozen', async () => {
    const { runtime, store } = harness({ tools: [echoTool()] });
    const spec = echoSpec('again');
    const first = await runtime.start({ spec });
    const second = await runtime.start({ spec });
    expect(second.output).toEqual({ v: 1 });
    expect((await store.getRun(second.runId))?.specHash).toBe(
      (await store.getRun(first.runId))?.specHash,
    );
    expect((await store.getRun(second.runId))?.specHash).toBe(
      hashJson(spec as unknown as JsonValue),
    );
    expect(Object.isFrozen(spec)).toBe(false);
    await expectVerified(runtime, second.runId);
  });

  it('run what the object says now after a change in place, journaled under its new hash', async () => {
    const { runtime, store } = harness({ tools: [echoTool()] });
    const spec = echoSpec('changed');
    const first = await runtime.start({ spec });
    const step = spec.steps[0] as unknown as { input: { v: number; w?: string } };
    step.input.v = 2;
    const second = await runtime.start({ spec });
    step.input.w = 'added';
    const third = await runtime.start({ spec });
    expect([first.output, second.output, third.output]).toEqual([
      { v: 1 },
      { v: 2 },
      { v: 2, w: 'added' },
    ]);
    const hashes = await Promise.all(
      [first, second, third].map(async (o) => (await store.getRun(o.runId))?.specHash),
    );
    expect(new Set(hashes).size).toBe(3);
    expect(hashes[2]).toBe(hashJson(spec as unknown as JsonValue));
    for (const outcome of [first, second, third]) await expectVerified(runtime, outcome.runId);
  });
});
