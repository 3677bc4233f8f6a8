import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.js';
import {
  echoTool,
  expectVerified,
  harness,
  indexOf,
  ofType,
  safeTool,
  stepEnd,
  workflow,
} from './harness.js';

describe('branch steps', () => {
  const spec = workflow({
    name: 'router',
    steps: [
      {
        id: 'route',
        kind: 'branch',
        cases: [
          {
            when: 'input.kind = "a"',
            steps: [{ id: 'ca', kind: 'tool', tool: 'echo', input: 'A' }],
          },
          {
            when: 'input.kind = "b"',
            steps: [{ id: 'cb', kind: 'tool', tool: 'echo', input: 'B' }],
          },
        ],
        default: { steps: [{ id: 'cd', kind: 'tool', tool: 'echo', input: 'D' }] },
      },
      {
        id: 'after',
        kind: 'tool',
        tool: 'echo',
        input: { got: '$.steps.route.output', status: '$.steps.route.status' },
      },
    ],
  });

  it('takes the first matching case and records the decision', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const outcome = await runtime.start({ spec }, { kind: 'b' });
    expect(outcome.output).toEqual({ got: 'B', status: 'completed' });
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'branch-decision')).toMatchObject([{ path: 'route', taken: 1 }]);
    expect(ofType(events, 'step-start').map((e) => e.path)).toEqual([
      'route',
      'route/1/cb',
      'after',
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('takes the default block when no case matches', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const outcome = await runtime.start({ spec }, { kind: 'zzz' });
    expect(outcome.output).toEqual({ got: 'D', status: 'completed' });
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'branch-decision')).toMatchObject([{ path: 'route', taken: 'default' }]);
    expect(stepEnd(events, 'route/default/cd').output).toBe('D');
    await expectVerified(runtime, outcome.runId);
  });

  it('is skipped with output null when nothing matches and there is no default', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const noDefault = workflow({
      name: 'router-no-default',
      steps: [
        {
          id: 'route',
          kind: 'branch',
          cases: [{ when: 'input.go', steps: [{ id: 'c', kind: 'tool', tool: 'echo', input: 1 }] }],
        },
        {
          id: 'after',
          kind: 'tool',
          tool: 'echo',
          input: { got: '$.steps.route.output', status: '$.steps.route.status' },
        },
      ],
    });
    const outcome = await runtime.start({ spec: noDefault }, { go: false });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ got: null, status: 'skipped' });
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'branch-decision')).toMatchObject([{ path: 'route', taken: null }]);
    const end = stepEnd(events, 'route');
    expect(end.status).toBe('skipped');
    expect(end.output).toBeNull();
    expect(ofType(events, 'tool-call-start').map((e) => e.path)).toEqual(['after']);
    await expectVerified(runtime, outcome.runId);
  });

  it('takes the first case that holds when several do', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const overlapping = workflow({
      name: 'router-overlap',
      steps: [
        {
          id: 'route',
          kind: 'branch',
          cases: [
            {
              when: 'input.n > 1',
              steps: [{ id: 'big', kind: 'tool', tool: 'echo', input: 'big' }],
            },
            {
              when: 'input.n > 0',
              steps: [{ id: 'pos', kind: 'tool', tool: 'echo', input: 'pos' }],
            },
          ],
        },
      ],
    });
    const outcome = await runtime.start({ spec: overlapping }, { n: 5 });
    expect(outcome.output).toBe('big');
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'branch-decision')).toMatchObject([{ taken: 0 }]);
  });
});

describe('loop steps', () => {
  function counter() {
    const inputs: JsonValue[] = [];
    const tool = safeTool('step', (input) => {
      inputs.push(input);
      const prev = (input as { prev: { n: number } | null }).prev;
      return { n: (prev?.n ?? 0) + 1 };
    });
    return { tool, inputs };
  }
  const body = [
    {
      id: 'inc',
      kind: 'tool',
      tool: 'step',
      input: { prev: '$.previous', iteration: '$.iteration' },
    },
  ];

  it('stops when `until` holds and outputs the last iteration', async () => {
    const { tool, inputs } = counter();
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'until',
      steps: [
        {
          id: 'loop',
          kind: 'loop',
          maxIterations: 10,
          until: 'steps.inc.output.n >= 3',
          steps: body,
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ n: 3 });
    expect(inputs).toHaveLength(3);
    await expectVerified(runtime, outcome.runId);
  });

  it('carries the previous iteration output in $.previous (null in the first)', async () => {
    const { tool, inputs } = counter();
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'previous',
      steps: [{ id: 'loop', kind: 'loop', maxIterations: 3, steps: body }],
    });
    await runtime.start({ spec });
    expect(inputs).toEqual([
      { prev: null, iteration: 0 },
      { prev: { n: 1 }, iteration: 1 },
      { prev: { n: 2 }, iteration: 2 },
    ]);
  });

  it('runs exactly maxIterations times when there is no until', async () => {
    const { tool, inputs } = counter();
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'bounded',
      steps: [{ id: 'loop', kind: 'loop', maxIterations: 4, steps: body }],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ n: 4 });
    expect(inputs).toHaveLength(4);
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'step-start').map((e) => e.path)).toEqual([
      'loop',
      'loop/0/inc',
      'loop/1/inc',
      'loop/2/inc',
      'loop/3/inc',
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('fails with loop-limit when until never holds', async () => {
    const { tool, inputs } = counter();
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'never-done',
      steps: [{ id: 'loop', kind: 'loop', maxIterations: 5, until: 'false', steps: body }],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.type).toBe('loop-limit');
    expect(outcome.error?.message).toContain('5');
    expect(inputs).toHaveLength(5);
    await expectVerified(runtime, outcome.runId);
  });

  it('sees the iteration just finished as `previous` inside until', async () => {
    const { tool, inputs } = counter();
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'until-previous',
      steps: [
        { id: 'loop', kind: 'loop', maxIterations: 10, until: 'previous.n = 2', steps: body },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.output).toEqual({ n: 2 });
    expect(inputs).toHaveLength(2);
  });
});

describe('failures inside control flow', () => {
  const boom = () =>
    safeTool('boom', (input) => {
      if (input === 'bad') throw Object.assign(new Error('went wrong'), { retryable: false });
      return input;
    });

  it('fails a loop naming the iteration whose body failed', async () => {
    const { runtime } = harness({ tools: [boom()] });
    const spec = workflow({
      name: 'loop-fails',
      steps: [
        {
          id: 'loop',
          kind: 'loop',
          maxIterations: 5,
          steps: [
            {
              id: 'b',
              kind: 'tool',
              tool: 'boom',
              input: { $expr: 'iteration = 2 ? "bad" : "ok"' },
            },
          ],
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('iteration 2: went wrong');
    await expectVerified(runtime, outcome.runId);
  });

  it('fails a branch step with input-error when a case condition cannot be evaluated', async () => {
    const { runtime } = harness({ tools: [boom()] });
    const spec = workflow({
      name: 'branch-error',
      steps: [
        {
          id: 'route',
          kind: 'branch',
          cases: [{ when: '$number("abc") > 1', steps: [{ id: 'x', kind: 'tool', tool: 'boom' }] }],
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.type).toBe('input-error');
    await expectVerified(runtime, outcome.runId);
  });

  it('keeps going after a failed map item whose step says onError: continue', async () => {
    const { runtime } = harness({ tools: [boom()] });
    const spec = workflow({
      name: 'map-continue',
      steps: [
        {
          id: 'each',
          kind: 'map',
          items: '$.input',
          steps: [{ id: 'b', kind: 'tool', tool: 'boom', input: '$.item', onError: 'continue' }],
        },
      ],
    });
    const outcome = await runtime.start({ spec }, ['ok', 'bad', 'fine']);
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual(['ok', null, 'fine']);
    await expectVerified(runtime, outcome.runId);
  });
});

describe('parallel steps', () => {
  it('outputs an object keyed by branch name once every branch is done', async () => {
    const { runtime } = harness({
      tools: [echoTool(), safeTool('upper', (input) => (input as string).toUpperCase())],
    });
    const spec = workflow({
      name: 'parallel',
      steps: [
        {
          id: 'both',
          kind: 'parallel',
          branches: {
            zeta: { steps: [{ id: 'z', kind: 'tool', tool: 'upper', input: '$.input.word' }] },
            alpha: {
              steps: [
                { id: 'a1', kind: 'tool', tool: 'echo', input: 1 },
                { id: 'a2', kind: 'tool', tool: 'echo', input: { from: '$.steps.a1.output' } },
              ],
            },
          },
        },
      ],
    });
    const outcome = await runtime.start({ spec }, { word: 'hi' });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ alpha: { from: 1 }, zeta: 'HI' });
    const events = await runtime.events(outcome.runId);
    // The branches run side by side: both first calls start before either ends.
    expect(indexOf(events, 'tool-call-start', 'both/zeta/z')).toBeLessThan(
      indexOf(events, 'tool-call-end', 'both/alpha/a1'),
    );
    expect(indexOf(events, 'tool-call-start', 'both/alpha/a1')).toBeLessThan(
      indexOf(events, 'tool-call-end', 'both/zeta/z'),
    );
    await expectVerified(runtime, outcome.runId);
  });

  it('fails the parallel step and cancels the sibling branch when one branch fails', async () => {
    const { runtime } = harness({
      tools: [
        safeTool('boom', () => {
          throw Object.assign(new Error('exploded'), { retryable: false });
        }),
        safeTool('slow', async () => {
          await new Promise<void>((resolve) => setImmediate(resolve));
          return 'late';
        }),
      ],
    });
    const spec = workflow({
      name: 'parallel-fail',
      steps: [
        {
          id: 'both',
          kind: 'parallel',
          branches: {
            bad: { steps: [{ id: 'b', kind: 'tool', tool: 'boom' }] },
            good: { steps: [{ id: 'g', kind: 'tool', tool: 'slow' }] },
          },
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('branch bad: exploded');
    const events = await runtime.events(outcome.runId);
    expect(stepEnd(events, 'both/good/g').status).toBe('cancelled');
    await expectVerified(runtime, outcome.runId);
  });
});
