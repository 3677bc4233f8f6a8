import { ProviderError } from './errors.js';

/**
 * Retries of one model call at the HTTP level, inside one journaled attempt. The AI SDK's own retries
 * are switched off (`maxRetries: 0`) so this is the only retry loop: it retries what the provider says
 * may succeed later (429, 5xx, 408/409, dropped connections, our own timeout), waits what the provider
 * asked for (`retry-after-ms`, `Retry-After` in seconds or as an HTTP date) or else an exponential
 * backoff, and stops at once when the caller's signal aborts.
 */
export interface RetryPolicy {
  /** Retries after the first attempt; 0 disables them. */
  maxRetries: number;
  /** First backoff delay when the provider names none. */
  initialDelayMs: number;
  /** Backoff growth per retry. */
  factor: number;
  /** Upper bound of the computed backoff. */
  maxDelayMs: number;
  /**
   * Longest wait a provider's Retry-After may impose. If it asks for more, the call gives up at once
   * with a retryable MODEL_RATE_LIMITED / MODEL_PROVIDER_ERROR carrying `retryAfterMs`, leaving the
   * wait to the step's retry policy instead of holding a call open for minutes.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 2,
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

export interface RetryEvent {
  /** The attempt that failed (1-based). */
  attempt: number;
  error: ProviderError;
  /** How long we wait before the next attempt. */
  delayMs: number;
  /** Whether the delay came from the provider (Retry-After) rather than our backoff. */
  fromProvider: boolean;
}

export interface RetryOptions {
  policy: RetryPolicy;
  signal: AbortSignal;
  /** Turns whatever an attempt threw into a ProviderError. */
  classify: (error: unknown) => ProviderError;
  onRetry?: (event: RetryEvent) => void;
  /** Uniform [0, 1) for backoff jitter; injectable for tests. */
  random?: () => number;
  /** Waits `ms` or rejects when `signal` aborts; injectable for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Runs `attempt` until it succeeds, fails for good, or retries run out; throws a ProviderError. */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { policy, signal } = options;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  for (let number = 1; ; number += 1) {
    let error: ProviderError;
    try {
      return await attempt(number);
    } catch (thrown) {
      error = options.classify(thrown);
    }
    const finalError = error.withAttempts(number);
    if (!error.retryable || number > policy.maxRetries || signal.aborted) throw finalError;
    let delayMs: number;
    const fromProvider = error.retryAfterMs !== undefined;
    if (error.retryAfterMs !== undefined) {
      if (error.retryAfterMs > policy.maxRetryAfterMs) throw finalError;
      delayMs = error.retryAfterMs;
    } else {
      delayMs = backoffDelay(policy, number, random);
    }
    options.onRetry?.({ attempt: number, error, delayMs, fromProvider });
    try {
      await sleep(delayMs, signal);
    } catch {
      throw abortedError(error, number);
    }
  }
}

/** Exponential backoff with jitter in [50%, 100%] of the step, capped at maxDelayMs. */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number, random: () => number) {
  const step = Math.min(
    policy.maxDelayMs,
    policy.initialDelayMs * policy.factor ** (failedAttempt - 1),
  );
  return Math.round(step * (0.5 + random() / 2));
}

function abortedError(last: ProviderError, attempts: number): ProviderError {
  return new ProviderError('MODEL_ABORTED', false, {
    provider: last.provider,
    model: last.model,
    attempts,
    cause: last,
  });
}

/**
 * How long the response headers ask us to wait, in ms: `retry-after-ms` (OpenAI) first, then
 * `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when absent or
 * unparseable; negative waits become 0.
 */
export function retryAfterMs(
  headers: Record<string, string | undefined> | undefined,
  now: () => number = Date.now,
): number | undefined {
  if (!headers) return undefined;
  const get = (name: string): string | undefined => {
    for (const [key, value] of Object.entries(headers))
      if (key.toLowerCase() === name && value !== undefined) return value.trim();
    return undefined;
  };
  const ms = get('retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.max(0, Math.ceil(Number(ms)));
  const after = get('retry-after');
  if (after === undefined || after === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(after)) return Math.max(0, Math.ceil(Number(after) * 1000));
  const at = Date.parse(after);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now());
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
