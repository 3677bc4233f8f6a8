import { describe, expect, it } from 'vitest';
import { expectVerified, harness, ofType, safeTool, stepEnd, ticks, workflow } from './harness.js';

function mapSpec(concurrency: number, items: unknown = '$.input.items') {
  return workflow({
    name: 'fan-out',
    steps: [
      {
        id: 'each',
        kind: 'map',
        items,
        concurrency,
        steps: [{ id: 'work', kind: 'tool', tool: 'work', input: '$.item' }],
      },
    ],
    output: '$.steps.each.output',
  });
}

describe('map steps', () => {
  it('returns outputs in item order even when later items finish first', async () => {
    const finished: number[] = [];
    const { runtime } = harness({
      tools: [
        safeTool('work', async (input) => {
          const n = input as number;
          // Larger items finish sooner: completion order is the reverse of item order.
          await ticks(10 - n);
          finished.push(n);
          return n * 10;
        }),
      ],
    });

    const outcome = await runtime.start({ spec: mapSpec(5) }, { items: [1, 2, 3, 4, 5] });

    expect(finished).toEqual([5, 4, 3, 2, 1]);
    expect(outcome.output).toEqual([10, 20, 30, 40, 50]);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'tool-call-end').map((e) => e.path)).toEqual([
      'each/4/work',
      'each/3/work',
      'each/2/work',
      'each/1/work',
      'each/0/work',
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('never has more than `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const { runtime } = harness({
      tools: [
        safeTool('work', async (input) => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await ticks(1 + ((input as number) % 3));
          inFlight -= 1;
          return input;
        }),
      ],
    });
    const items = Array.from({ length: 12 }, (_, i) => i);

    const outcome = await runtime.start({ spec: mapSpec(3) }, { items });

    expect(outcome.output).toEqual(items);
    expect(peak).toBe(3);
    // The journal agrees: at no point are more than 3 calls started and not yet ended.
    let open = 0;
    let journalPeak = 0;
    for (const event of await runtime.events(outcome.runId)) {
      if (event.type === 'tool-call-start') open += 1;
      if (event.type === 'tool-call-end') open -= 1;
      journalPeak = Math.max(journalPeak, open);
    }
    expect(journalPeak).toBe(3);
    await expectVerified(runtime, outcome.runId);
  });

  it('completes with [] for an empty list without calling anything', async () => {
    let calls = 0;
    const { runtime } = harness({ tools: [safeTool('work', () => ++calls)] });
    const outcome = await runtime.start({ spec: mapSpec(2) }, { items: [] });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual([]);
    expect(calls).toBe(0);
    expect(stepEnd(await runtime.events(outcome.runId), 'each').output).toEqual([]);
    await expectVerified(runtime, outcome.runId);
  });

  it.each([
    ['an object', { a: 1 }, 'object'],
    ['a string', 'abc', 'string'],
    ['null', null, 'null'],
  ])('fails the step with invalid-items when items is %s', async (_label, items, named) => {
    const { runtime } = harness({ tools: [safeTool('work', (x) => x)] });
    const outcome = await runtime.start({ spec: mapSpec(2) }, { items });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.type).toBe('invalid-items');
    expect(outcome.error?.message).toContain(named);
    const end = stepEnd(await runtime.events(outcome.runId), 'each');
    expect(end.status).toBe('failed');
    expect(end.error?.type).toBe('invalid-items');
    await expectVerified(runtime, outcome.runId);
  });

  it("fans out over an earlier step's output, waiting for that step", async () => {
    const { runtime } = harness({
      tools: [
        safeTool('list', () => ({ ids: [3, 1, 2] })),
        safeTool('work', (x) => (x as number) * 2),
      ],
    });
    const spec = workflow({
      name: 'fan-out-over-step',
      steps: [
        { id: 'fetch', kind: 'tool', tool: 'list' },
        {
          id: 'each',
          kind: 'map',
          items: '$.steps.fetch.output.ids',
          steps: [{ id: 'work', kind: 'tool', tool: 'work', input: '$.item' }],
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.output).toEqual([6, 2, 4]);
    await expectVerified(runtime, outcome.runId);
  });

  it('exposes $.index and $.item, and distinct idempotency keys per item', async () => {
    const keys: string[] = [];
    const { runtime } = harness({
      tools: [
        safeTool('work', (input, ctx) => {
          keys.push(ctx.idempotencyKey);
          return input;
        }),
      ],
    });
    const spec = workflow({
      name: 'indexed',
      steps: [
        {
          id: 'each',
          kind: 'map',
          items: '$.input.items',
          steps: [{ id: 'work', kind: 'tool', tool: 'work', input: { i: '$.index', v: '$.item' } }],
        },
      ],
    });
    const outcome = await runtime.start({ spec }, { items: ['x', 'y'] });
    expect(outcome.output).toEqual([
      { i: 0, v: 'x' },
      { i: 1, v: 'y' },
    ]);
    expect(new Set(keys).size).toBe(2);
  });

  it('fails the map step naming the item when an item fails', async () => {
    const { runtime } = harness({
      tools: [
        safeTool('work', (input) => {
          if (input === 2) throw Object.assign(new Error('bad item'), { retryable: false });
          return input;
        }),
      ],
    });
    const outcome = await runtime.start({ spec: mapSpec(1) }, { items: [0, 1, 2, 3] });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain('item 2');
    const events = await runtime.events(outcome.runId);
    // Concurrency 1: item 3 never started after item 2 failed.
    expect(ofType(events, 'tool-call-start').map((e) => e.path)).not.toContain('each/3/work');
    await expectVerified(runtime, outcome.runId);
  });
});
