/**
 * Typed failures of a real model provider. A ProviderError is what `ModelProvider.generate` throws;
 * the driver turns it into a journaled `model-call-error` through `failureFrom` (core/errors.ts).
 *
 * It deliberately extends Error and not SwitchyardError: `failureFrom` reads the `retryable` flag only
 * from errors that are not SwitchyardErrors (a SwitchyardError gets the caller's default, which is
 * `true` for model calls), and a 400 must not be retried. `failureFrom` keeps `name` (as the failure's
 * `type`), `message` and `retryable` but not `code`, so the message starts with the code in brackets
 * to keep it in the journal.
 */
export type ProviderErrorCode =
  /** 400, 404, 413, 422 and other 4xx the request itself caused. Not retryable. */
  | 'MODEL_BAD_REQUEST'
  /** 401 or 403: the key is missing, wrong or lacks access. Not retryable. */
  | 'MODEL_AUTH_FAILED'
  /** 429. Retryable, after the provider's Retry-After when it sent one. */
  | 'MODEL_RATE_LIMITED'
  /** 5xx (including Anthropic's 529 overloaded), 408, 409, or a response that could not be read. */
  | 'MODEL_PROVIDER_ERROR'
  /** No response: connection refused or dropped mid-response. Retryable. */
  | 'MODEL_CONNECTION_FAILED'
  /** The model's own `timeoutMs` elapsed. Retryable. */
  | 'MODEL_TIMEOUT'
  /** The caller's abort signal fired. Not retryable (the caller is no longer waiting). */
  | 'MODEL_ABORTED';

export const PROVIDER_ERROR_CODES: readonly ProviderErrorCode[] = [
  'MODEL_BAD_REQUEST',
  'MODEL_AUTH_FAILED',
  'MODEL_RATE_LIMITED',
  'MODEL_PROVIDER_ERROR',
  'MODEL_CONNECTION_FAILED',
  'MODEL_TIMEOUT',
  'MODEL_ABORTED',
];

export interface ProviderErrorDetails {
  /** Provider kind: openai, anthropic, openai-compatible, … */
  provider: string;
  /** The provider's model id. */
  model: string;
  /** HTTP status, when the provider answered. */
  status?: number;
  /** The provider's own error message, from its error body. */
  providerMessage?: string;
  /** The provider's error type or code from the body (`invalid_request_error`, `rate_limit_error`). */
  providerErrorType?: string;
  /** How long the provider asked us to wait (Retry-After / retry-after-ms), in ms. */
  retryAfterMs?: number;
  /** HTTP attempts made, retries included. */
  attempts?: number;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly code: ProviderErrorCode;
  readonly retryable: boolean;
  readonly provider: string;
  readonly model: string;
  readonly status: number | undefined;
  readonly providerMessage: string | undefined;
  readonly providerErrorType: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;

  constructor(code: ProviderErrorCode, retryable: boolean, details: ProviderErrorDetails) {
    super(
      describe(code, details),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.name = 'ProviderError';
    this.code = code;
    this.retryable = retryable;
    this.provider = details.provider;
    this.model = details.model;
    this.status = details.status;
    this.providerMessage = details.providerMessage;
    this.providerErrorType = details.providerErrorType;
    this.retryAfterMs = details.retryAfterMs;
    this.attempts = details.attempts ?? 1;
  }

  /** The same error after `attempts` HTTP attempts, for the message to say so. */
  withAttempts(attempts: number): ProviderError {
    return new ProviderError(this.code, this.retryable, {
      provider: this.provider,
      model: this.model,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.providerMessage === undefined ? {} : { providerMessage: this.providerMessage }),
      ...(this.providerErrorType === undefined
        ? {}
        : { providerErrorType: this.providerErrorType }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      attempts,
      cause: this.cause,
    });
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}

const WHAT: Record<ProviderErrorCode, string> = {
  MODEL_BAD_REQUEST: 'rejected the request',
  MODEL_AUTH_FAILED: 'refused the credentials',
  MODEL_RATE_LIMITED: 'is rate limiting',
  MODEL_PROVIDER_ERROR: 'failed',
  MODEL_CONNECTION_FAILED: 'could not be reached or dropped the connection',
  MODEL_TIMEOUT: 'did not answer in time',
  MODEL_ABORTED: 'call was aborted',
};

function describe(code: ProviderErrorCode, details: ProviderErrorDetails): string {
  const who = `${details.provider}/${details.model}`;
  const status = details.status === undefined ? '' : ` (HTTP ${details.status})`;
  const said = details.providerMessage ? `: ${details.providerMessage}` : '';
  const tries =
    details.attempts !== undefined && details.attempts > 1
      ? ` [gave up after ${details.attempts} attempts]`
      : '';
  return `[${code}] ${who} ${WHAT[code]}${status}${said}${tries}`;
}
