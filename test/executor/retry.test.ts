import { describe, expect, it } from 'vitest';
import type { ToolContext } from '../../src/core/ports.js';
import { backoffDelay } from '../../src/executor/backoff.js';
import {
  echoTool,
  expectVerified,
  harness,
  never,
  ofType,
  safeTool,
  stepEnd,
  trace,
  unsafeTool,
  workflow,
} from './harness.js';

/** A tool that throws `failures` times, then returns 'ok'. */
function flaky(failures: number, options: { retryable?: boolean } = {}) {
  const calls: ToolContext[] = [];
  const tool = safeTool('flaky', (_input, ctx) => {
    calls.push(ctx);
    if (calls.length <= failures) {
      const error = new Error(`failure ${calls.length}`);
      throw options.retryable === undefined
        ? error
        : Object.assign(error, { retryable: options.retryable });
    }
    return 'ok';
  });
  return { tool, calls };
}

const fixedBackoff = { initialMs: 100, factor: 2, maxMs: 10_000, jitter: false };

describe('retries', () => {
  it('completes a tool that fails twice and then succeeds within maxAttempts 3', async () => {
    const { tool, calls } = flaky(2);
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'retry',
      steps: [
        {
          id: 'call',
          kind: 'tool',
          tool: 'flaky',
          retry: { maxAttempts: 3, backoff: fixedBackoff },
        },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toBe('ok');
    expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    // Each attempt has its own idempotency key.
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(3);
    const events = await runtime.events(outcome.runId);
    expect(trace(events).filter((t) => t.endsWith(' call'))).toEqual([
      'step-start call',
      'tool-call-start call',
      'tool-call-error call',
      'timer-start call',
      'timer-fired call',
      'tool-call-start call',
      'tool-call-error call',
      'timer-start call',
      'timer-fired call',
      'tool-call-start call',
      'tool-call-end call',
      'step-end call',
    ]);
    await expectVerified(runtime, outcome.runId);
  });

  it('journals timer-start with fireAt = at + the backoff delay, and fires at that time', async () => {
    const { tool } = flaky(2);
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'retry-timers',
      steps: [
        {
          id: 'call',
          kind: 'tool',
          tool: 'flaky',
          retry: { maxAttempts: 3, backoff: fixedBackoff },
        },
      ],
    });

    const outcome = await runtime.start({ spec });

    const events = await runtime.events(outcome.runId);
    const starts = ofType(events, 'timer-start');
    const fired = ofType(events, 'timer-fired');
    expect(starts.map((t) => t.fireAt - t.at)).toEqual([100, 200]);
    expect(starts.map((t) => t.timer)).toEqual([1, 2]);
    expect(starts.map((t) => t.purpose)).toEqual(['retry', 'retry']);
    expect(fired.map((t) => t.timer)).toEqual([1, 2]);
    expect(fired.map((t) => t.at)).toEqual(starts.map((t) => t.fireAt));
    await expectVerified(runtime, outcome.runId);
  });

  it('derives a jittered delay from the run and step, within [base/2, base]', async () => {
    const { tool } = flaky(2);
    const { runtime } = harness({ tools: [tool] });
    const backoff = { initialMs: 1000, factor: 3, maxMs: 60_000, jitter: true };
    const spec = workflow({
      name: 'jitter',
      steps: [{ id: 'call', kind: 'tool', tool: 'flaky', retry: { maxAttempts: 3, backoff } }],
    });

    const outcome = await runtime.start({ spec });

    const delays = ofType(await runtime.events(outcome.runId), 'timer-start').map(
      (t) => t.fireAt - t.at,
    );
    expect(delays).toEqual([1, 2].map((n) => backoffDelay(backoff, n, `${outcome.runId}|call`)));
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1000);
    expect(delays[1]).toBeGreaterThanOrEqual(1500);
    expect(delays[1]).toBeLessThanOrEqual(3000);
  });

  it('does not retry a failure marked retryable: false', async () => {
    const { tool, calls } = flaky(1, { retryable: false });
    const { runtime } = harness({ tools: [tool] });
    const spec = workflow({
      name: 'no-retry',
      steps: [
        {
          id: 'call',
          kind: 'tool',
          tool: 'flaky',
          retry: { maxAttempts: 5, backoff: fixedBackoff },
        },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('failure 1');
    expect(calls).toHaveLength(1);
    expect(ofType(await runtime.events(outcome.runId), 'timer-start')).toHaveLength(0);
    await expectVerified(runtime, outcome.runId);
  });
});

describe('onError when retries are exhausted', () => {
  const failing = () =>
    safeTool('broken', () => {
      throw new Error('still broken');
    });

  it('fail: the run fails with the step error', async () => {
    const { runtime } = harness({ tools: [failing(), echoTool()] });
    const spec = workflow({
      name: 'on-error-fail',
      steps: [
        {
          id: 'x',
          kind: 'tool',
          tool: 'broken',
          retry: { maxAttempts: 2, backoff: fixedBackoff },
          onError: 'fail',
        },
        { id: 'after', kind: 'tool', tool: 'echo', input: '$.steps.x.output' },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({ type: 'error', message: 'still broken' });
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'tool-call-start').filter((e) => e.path === 'x')).toHaveLength(2);
    expect(ofType(events, 'step-start').map((e) => e.path)).not.toContain('after');
    const end = ofType(events, 'run-end')[0];
    expect(end?.status).toBe('failed');
    expect(end?.error?.message).toBe('still broken');
    await expectVerified(runtime, outcome.runId);
  });

  it('continue: output is null, downstream runs and sees status failed', async () => {
    const { runtime } = harness({ tools: [failing(), echoTool()] });
    const spec = workflow({
      name: 'on-error-continue',
      steps: [
        {
          id: 'x',
          kind: 'tool',
          tool: 'broken',
          retry: { maxAttempts: 2, backoff: fixedBackoff },
          onError: 'continue',
        },
        {
          id: 'after',
          kind: 'tool',
          tool: 'echo',
          input: {
            status: '$.steps.x.status',
            output: '$.steps.x.output',
            error: '$.steps.x.error.message',
          },
        },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ status: 'failed', output: null, error: 'still broken' });
    const events = await runtime.events(outcome.runId);
    expect(stepEnd(events, 'x').status).toBe('failed');
    await expectVerified(runtime, outcome.runId);
  });

  it("fallback: the fallback step's output becomes the step's output", async () => {
    const { runtime } = harness({ tools: [failing(), echoTool()] });
    const spec = workflow({
      name: 'on-error-fallback',
      steps: [
        {
          id: 'x',
          kind: 'tool',
          tool: 'broken',
          onError: { fallback: { id: 'x_backup', kind: 'tool', tool: 'echo', input: 'plan B' } },
        },
        { id: 'after', kind: 'tool', tool: 'echo', input: { got: '$.steps.x.output' } },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ got: 'plan B' });
    const events = await runtime.events(outcome.runId);
    expect(stepEnd(events, 'x_backup').output).toBe('plan B');
    const end = stepEnd(events, 'x');
    expect(end.status).toBe('completed');
    expect(end.output).toBe('plan B');
    await expectVerified(runtime, outcome.runId);
  });

  it('fallback that also fails: the run fails with the fallback error', async () => {
    const { runtime } = harness({
      tools: [
        failing(),
        safeTool('also-broken', () => {
          throw new Error('backup broken too');
        }),
      ],
    });
    const spec = workflow({
      name: 'on-error-fallback-fails',
      steps: [
        {
          id: 'x',
          kind: 'tool',
          tool: 'broken',
          onError: { fallback: { id: 'x_backup', kind: 'tool', tool: 'also-broken' } },
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toBe('backup broken too');
    await expectVerified(runtime, outcome.runId);
  });
});

describe('timeoutMs', () => {
  it('records a timeout error for a tool that never resolves, and retries a safe tool', async () => {
    const signals: AbortSignal[] = [];
    const { runtime } = harness({
      tools: [
        safeTool('hang', (_input, ctx) => {
          signals.push(ctx.signal);
          return never();
        }),
      ],
    });
    const spec = workflow({
      name: 'timeout-safe',
      steps: [
        {
          id: 'slow',
          kind: 'tool',
          tool: 'hang',
          timeoutMs: 5000,
          retry: { maxAttempts: 2, backoff: fixedBackoff },
        },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.type).toBe('timeout');
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    const events = await runtime.events(outcome.runId);
    const starts = ofType(events, 'tool-call-start');
    const errors = ofType(events, 'tool-call-error');
    expect(errors.map((e) => [e.attempt, e.error.type, e.error.retryable])).toEqual([
      [1, 'timeout', true],
      [2, 'timeout', true],
    ]);
    // The deadline is journaled and the virtual clock fired the timeout at exactly that time.
    expect(starts.map((s) => (s.timeoutAt ?? 0) - s.at)).toEqual([5000, 5000]);
    expect(errors.map((e) => e.at)).toEqual(starts.map((s) => s.timeoutAt));
    await expectVerified(runtime, outcome.runId);
  });

  it('does not retry an unsafe tool that timed out: it may have acted', async () => {
    let calls = 0;
    const { runtime } = harness({
      tools: [
        unsafeTool('hang', () => {
          calls += 1;
          return never();
        }),
      ],
    });
    const spec = workflow({
      name: 'timeout-unsafe',
      steps: [
        {
          id: 'slow',
          kind: 'tool',
          tool: 'hang',
          timeoutMs: 5000,
          retry: { maxAttempts: 3, backoff: fixedBackoff },
        },
      ],
    });

    const outcome = await runtime.start({ spec });

    expect(outcome.status).toBe('failed');
    expect(outcome.error?.type).toBe('timeout');
    expect(calls).toBe(1);
    const errors = ofType(await runtime.events(outcome.runId), 'tool-call-error');
    expect(errors.map((e) => e.error.retryable)).toEqual([false]);
    await expectVerified(runtime, outcome.runId);
  });

  it('lets a tool that answers before its deadline complete', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const spec = workflow({
      name: 'timeout-ok',
      steps: [{ id: 'fast', kind: 'tool', tool: 'echo', input: 1, timeoutMs: 5000 }],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toBe(1);
    await expectVerified(runtime, outcome.runId);
  });
});
