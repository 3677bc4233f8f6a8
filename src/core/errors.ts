/**
 * One base class for every error Switchyard throws. `code` is stable (documented in docs/errors.md),
 * `message` says what was expected, `hint` says how to fix it, and the offending input travels in fields
 * rather than being baked into prose, so callers and the CLI can render it.
 */
export interface ErrorDetails {
  hint?: string;
  /** Field path inside a document, e.g. `steps[3].retry.maxAttempts`. */
  path?: string;
  value?: unknown;
  file?: string;
  line?: number;
  column?: number;
  cause?: unknown;
}

export class SwitchyardError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly path: string | undefined;
  readonly value: unknown;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = details.hint;
    this.path = details.path;
    this.value = details.value;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
  }
}

export function isSwitchyardError(error: unknown): error is SwitchyardError {
  return error instanceof SwitchyardError;
}

/** A value that cannot cross a step boundary (Date, Buffer, NaN, undefined, cycle, class instance…). */
export class NonJsonValueError extends SwitchyardError {
  constructor(path: string, found: string) {
    super(
      'VALUE_NOT_JSON',
      `value at ${path} is ${found}, but only JSON values may cross a step boundary`,
      {
        path,
        hint: 'convert it to a string, number, boolean, null, array or plain object before returning it',
      },
    );
  }
}

/**
 * A failure recorded in the journal. Failures are data, decided where they are created (a tool error,
 * a timeout), unlike local misuse, which throws a SwitchyardError.
 */
export interface Failure {
  type: string;
  message: string;
  retryable: boolean;
  /** Error code when the failure came from a SwitchyardError. */
  code?: string;
}

export function failureFrom(error: unknown, retryableDefault: boolean): Failure {
  if (error instanceof SwitchyardError) {
    return { type: 'error', code: error.code, message: error.message, retryable: retryableDefault };
  }
  if (error instanceof Error) {
    const retryable = (error as { retryable?: unknown }).retryable;
    return {
      type: error.name === 'Error' ? 'error' : error.name,
      message: error.message,
      retryable: typeof retryable === 'boolean' ? retryable : retryableDefault,
    };
  }
  return { type: 'error', message: String(error), retryable: retryableDefault };
}
