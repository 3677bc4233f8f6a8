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

describe('data flow between steps', () => {
  it('passes each step output to the next by reference along a linear chain', async () => {
    const seen: JsonValue[] = [];
    const { runtime } = harness({
      tools: [
        safeTool('double', (input) => {
          seen.push(input);
          const n = (input as { n: number }).n;
          return { n: n * 2 };
        }),
      ],
    });
    const spec = workflow({
      name: 'chain',
      steps: [
        { id: 'a', kind: 'tool', tool: 'double', input: { n: '$.input.start' } },
        { id: 'b', kind: 'tool', tool: 'double', input: { n: '$.steps.a.output.n' } },
        { id: 'c', kind: 'tool', tool: 'double', input: { n: '$.steps.b.output.n' } },
      ],
      output: { last: '$.steps.c.output.n', first: '$.steps.a.output' },
    });

    const outcome = await runtime.start({ spec }, { start: 3 });

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ last: 24, first: { n: 6 } });
    expect(seen).toEqual([{ n: 3 }, { n: 6 }, { n: 12 }]);
    const events = await runtime.events(outcome.runId);
    // b may not start before a has ended, nor c before b.
    expect(indexOf(events, 'tool-call-start', 'b')).toBeGreaterThan(
      indexOf(events, 'step-end', 'a'),
    );
    expect(indexOf(events, 'tool-call-start', 'c')).toBeGreaterThan(
      indexOf(events, 'step-end', 'b'),
    );
    expect(ofType(events, 'tool-call-start').map((e) => e.input)).toEqual(seen);
    await expectVerified(runtime, outcome.runId);
  });

  it('outputs the last step when the workflow declares no output', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const spec = workflow({
      name: 'implicit-output',
      steps: [
        { id: 'a', kind: 'tool', tool: 'echo', input: 'first' },
        { id: 'b', kind: 'tool', tool: 'echo', input: 'second', after: ['a'] },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.output).toBe('second');
  });

  it('starts independent DAG siblings in the same batch, before either has ended', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const spec = workflow({
      name: 'diamond',
      steps: [
        { id: 'left', kind: 'tool', tool: 'echo', input: 'L' },
        { id: 'right', kind: 'tool', tool: 'echo', input: 'R' },
        {
          id: 'join',
          kind: 'tool',
          tool: 'echo',
          input: ['$.steps.left.output', '$.steps.right.output'],
        },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.output).toEqual(['L', 'R']);
    const events = await runtime.events(outcome.runId);
    const starts = [
      indexOf(events, 'tool-call-start', 'left'),
      indexOf(events, 'tool-call-start', 'right'),
    ];
    const ends = [
      indexOf(events, 'tool-call-end', 'left'),
      indexOf(events, 'tool-call-end', 'right'),
    ];
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
    // Same batch: both starts are decisions of the run-start world event, with no world event between.
    const between = events.slice(0, Math.max(...starts) + 1).filter((e) => e.type !== 'run-start');
    expect(between.every((e) => e.type === 'step-start' || e.type === 'tool-call-start')).toBe(
      true,
    );
    expect(stepEnd(events, 'join').output).toEqual(['L', 'R']);
    await expectVerified(runtime, outcome.runId);
  });

  it('fails the step with an input error when a reference names a step that is not visible', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const spec = workflow({
      name: 'bad-ref',
      steps: [{ id: 'a', kind: 'tool', tool: 'echo', input: '$.steps.ghost.output' }],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.type).toBe('input-error');
    expect(outcome.error?.message).toContain('ghost');
    await expectVerified(runtime, outcome.runId);
  });
});
