import { SwitchyardError } from '../core/errors.js';
import type { RouteIssue } from '../graph/issues.js';

/**
 * The problems a route's tool graph can have. They are spec issues (graph/issues.ts): the `route`
 * step kind's validation reports them beside the others, with paths into the workflow document.
 */
export { ROUTE_ISSUE_CODES, type RouteIssue, type RouteIssueCode } from '../graph/issues.js';

/** A route was compiled from a spec that has problems; every problem is listed in `issues`. */
export class RouteInvalidError extends SwitchyardError {
  readonly issues: readonly RouteIssue[];

  constructor(issues: readonly RouteIssue[]) {
    const first = issues[0];
    super(
      'ROUTE_INVALID',
      `the route has ${issues.length} problem${issues.length === 1 ? '' : 's'}` +
        (first ? `; first: ${first.path}: ${first.message}` : ''),
      {
        ...(first ? { path: first.path } : {}),
        hint: 'validate the route with validateRoute() and fix every issue it lists',
      },
    );
    this.issues = issues;
  }
}

/**
 * The route state machine was fed an input it cannot accept in its current state (a result for a
 * node it did not ask to call, an answer it did not ask for). This is a bug in the caller, never a
 * tool or model failure, so it throws instead of becoming journal data.
 */
export class RouteMisuseError extends SwitchyardError {
  constructor(message: string, value?: unknown) {
    super('ROUTE_UNEXPECTED_INPUT', message, {
      value,
      hint: 'feed advanceRoute() exactly the input the last action asked for',
    });
  }
}

/** A recorded route, re-derived from its inputs, made different decisions than it recorded. */
export class RouteReplayError extends SwitchyardError {
  readonly index: number;

  constructor(index: number, recorded: unknown, replayed: unknown) {
    super('ROUTE_REPLAY_DIVERGED', `replaying the route diverged at record ${index}`, {
      value: { recorded, replayed },
      hint: 'the routing code or the route changed since the run was recorded',
    });
    this.index = index;
  }
}
