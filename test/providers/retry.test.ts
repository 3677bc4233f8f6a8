import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/providers/errors.js';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  retryAfterMs,
  withRetries,
  type RetryEvent,
} from '../../src/providers/retry.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('retryAfterMs', () => {
  it('reads retry-after-ms first, then Retry-After seconds or an HTTP date', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250' })).toBe(250);
    expect(retryAfterMs({ 'retry-after-ms': '12.3', 'retry-after': '9' })).toBe(13);
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'Retry-After': '0' })).toBe(0);
    expect(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 12:00:05 GMT' }, () => NOW)).toBe(5000);
    // A date in the past means "now".
    expect(retryAfterMs({ 'retry-after': 'Wed, 25 Nov 2026 11:00:00 GMT' }, () => NOW)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs({})).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': 'soon' })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after-ms': '-5' })).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '' })).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('grows by the factor, is jittered into [50%, 100%], and is capped', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, initialDelayMs: 100, factor: 2, maxDelayMs: 500 };
    expect(backoffDelay(policy, 1, () => 0.999999)).toBe(100);
    expect(backoffDelay(policy, 1, () => 0)).toBe(50);
    expect(backoffDelay(policy, 3, () => 0.999999)).toBe(400);
    expect(backoffDelay(policy, 10, () => 0.999999)).toBe(500);
  });
});

function providerError(code: 'MODEL_PROVIDER_ERROR' | 'MODEL_BAD_REQUEST', retryAfter?: number) {
  return new ProviderError(code, code === 'MODEL_PROVIDER_ERROR', {
    provider: 'test',
    model: 'm',
    status: code === 'MODEL_PROVIDER_ERROR' ? 500 : 400,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  });
}

describe('withRetries', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, maxRetries: 3, initialDelayMs: 100 };
  const noSleep = async () => {};

  it('retries retryable failures and reports each wait', async () => {
    const events: RetryEvent[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls += 1;
        if (calls === 1) throw providerError('MODEL_PROVIDER_ERROR', 700);
        if (calls === 2) throw providerError('MODEL_PROVIDER_ERROR');
        return 'ok';
      },
      {
        policy,
        signal: new AbortController().signal,
        classify: (error) => error as ProviderError,
        onRetry: (event) => events.push(event),
        random: () => 0.5,
        sleep: noSleep,
      },
    );
    expect(result).toBe('ok');
    expect(events.map((event) => [event.attempt, event.delayMs, event.fromProvider])).toEqual([
      [1, 700, true],
      [2, 150, false],
    ]);
  });

  it('does not retry what is not retryable', async () => {
    let calls = 0;
    const error = await withRetries(
      async () => {
        calls += 1;
        throw providerError('MODEL_BAD_REQUEST');
      },
      {
        policy,
        signal: new AbortController().signal,
        classify: (thrown) => thrown as ProviderError,
        sleep: noSleep,
      },
    ).catch((thrown: unknown) => thrown);
    expect(calls).toBe(1);
    expect(error).toMatchObject({ code: 'MODEL_BAD_REQUEST', attempts: 1 });
  });

  it('an abort during the wait ends the call as MODEL_ABORTED', async () => {
    const controller = new AbortController();
    const error = await withRetries(
      async () => {
        throw providerError('MODEL_PROVIDER_ERROR', 10_000);
      },
      {
        policy,
        signal: controller.signal,
        classify: (thrown) => thrown as ProviderError,
        onRetry: () => controller.abort(),
      },
    ).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'MODEL_ABORTED', retryable: false, attempts: 1 });
  });
});
