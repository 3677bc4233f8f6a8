import { SwitchyardError, type ErrorDetails } from '../core/errors.js';
import { SpecValidationError } from '../spec/index.js';

/** An error the server raises itself, with the HTTP status it answers with. */
export class ServerError extends SwitchyardError {
  readonly status: number;

  constructor(status: number, code: string, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
    this.status = status;
  }
}

export class UnauthorizedError extends ServerError {
  constructor(reason: string) {
    super(401, 'UNAUTHORIZED', reason, {
      hint: 'send the server token as `Authorization: Bearer <token>` (server.token in the config, or SWITCHYARD_TOKEN)',
    });
  }
}

/** A request body or query that does not match its schema; `path` names the field. */
export class RequestInvalidError extends ServerError {
  readonly issues: Array<{ path: string; message: string }>;

  constructor(issues: Array<{ path: string; message: string }>, where: 'body' | 'query') {
    const first = issues[0] ?? { path: '', message: 'invalid' };
    const at = first.path === '' ? `the request ${where}` : `${where} field ${first.path}`;
    super(400, 'REQUEST_INVALID', `${at}: ${first.message}`, {
      path: first.path,
      hint: 'see /openapi.json for the request schema',
    });
    this.issues = issues;
  }
}

export class WorkflowNotRegisteredError extends ServerError {
  constructor(name: string, known: string[]) {
    super(404, 'WORKFLOW_NOT_REGISTERED', `no workflow named '${name}' is registered`, {
      path: 'workflow',
      value: name,
      hint: known.length
        ? `registered workflows: ${known.join(', ')}`
        : 'no workflows are registered: list workflow files under `workflows:` in the config, or send an inline `spec`',
    });
  }
}

export class ServerBusyRunError extends ServerError {
  constructor(runId: string) {
    super(409, 'RUN_BUSY', `run ${runId} is being driven by this server right now`, {
      hint: 'wait until it pauses (follow /api/runs/{runId}/events), then decide again',
    });
  }
}

/** `serve` refuses to start: no token, or --insecure-local away from loopback. */
export class ServerConfigError extends SwitchyardError {}

/** The HTTP status for an error code raised below the server (runtime, stores, spec loading). */
export function statusFor(error: SwitchyardError): number {
  if (error instanceof ServerError) return error.status;
  switch (error.code) {
    case 'RUN_NOT_FOUND':
      return 404;
    case 'NOT_PENDING':
    case 'RUN_BUSY':
    case 'RUN_ENDED':
    case 'PENDING_AMBIGUOUS':
    case 'JOURNAL_CONFLICT':
      return 409;
    default:
      break;
  }
  if (error.code.startsWith('STORE_')) return 503;
  if (error.code.startsWith('JOURNAL_') || error.code === 'REPLAY_DIVERGED') return 500;
  return 400;
}

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    path?: string;
    hint?: string;
    issues?: Array<{ path: string; message: string; code?: string }>;
  };
}

/** `{ error: { code, message, path, hint } }`, plus every issue for spec and request errors. */
export function errorBody(error: SwitchyardError): ErrorBody {
  const body: ErrorBody['error'] = { code: error.code, message: error.message };
  if (error.path !== undefined) body.path = error.path;
  if (error.hint !== undefined) body.hint = error.hint;
  if (error instanceof SpecValidationError) {
    body.issues = error.issues.map((issue) => ({
      path: issue.path,
      message: issue.message,
      code: issue.code,
    }));
  } else if ('issues' in error && Array.isArray(error.issues)) {
    // RequestInvalidError, an inline spec's problems: already in request terms.
    body.issues = error.issues as NonNullable<ErrorBody['error']['issues']>;
  }
  return { error: body };
}

export function internalErrorBody(): ErrorBody {
  return {
    error: {
      code: 'INTERNAL',
      message: 'the server failed to handle this request',
      hint: 'this is a bug in Switchyard; the server log has the details',
    },
  };
}
