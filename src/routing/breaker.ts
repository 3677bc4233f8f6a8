/**
 * A circuit breaker per tool, as plain JSON data and pure transitions, so the engine can keep one
 * table for every run of a process, persist it in the store (a restarted process remembers open
 * breakers) and journal the view a run decided on. Time is a number the caller reads from its
 * Clock port and passes in; nothing here reads a clock.
 *
 * closed ──(threshold consecutive failures)──▶ open ──(cooldown elapsed)──▶ half-open
 *    ▲                                           ▲                              │
 *    └────────────── a success ──────────────────┼──────── a success ───────────┤
 *                                                └──────── a failure ───────────┘
 *
 * Half-open is not stored: it is an open breaker whose cooldown has passed, so a trial call may go
 * through. The paper's ToolHealth counts reported failures and resets on success, which is exactly
 * "consecutive failures"; its `mark_down` is `tripBreaker` here.
 */
export interface BreakerPolicy {
  /** Consecutive failures that open the breaker (the paper's 3). */
  readonly failureThreshold: number;
  /** How long an open breaker refuses calls before it lets a trial through, in clock units (ms). */
  readonly cooldownMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = { failureThreshold: 3, cooldownMs: 30_000 };

export interface BreakerState {
  readonly consecutiveFailures: number;
  /** When the breaker last opened; null while closed. */
  readonly openedAt: number | null;
}

export type BreakerStatus = 'closed' | 'open' | 'half-open';

export const CLOSED: BreakerState = { consecutiveFailures: 0, openedAt: null };

export function breakerStatus(
  state: BreakerState,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): BreakerStatus {
  if (state.openedAt === null) return 'closed';
  return now - state.openedAt >= policy.cooldownMs ? 'half-open' : 'open';
}

/**
 * A failed call. Reaching the threshold opens the breaker; a failure while it is open or half-open
 * (a failed trial) re-opens it from `now`, so the cooldown starts again.
 */
export function recordFailure(
  state: BreakerState,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): BreakerState {
  const consecutiveFailures = state.consecutiveFailures + 1;
  const opens = state.openedAt !== null || consecutiveFailures >= policy.failureThreshold;
  return { consecutiveFailures, openedAt: opens ? now : null };
}

/** A successful call closes the breaker and forgets earlier failures. */
export function recordSuccess(_state: BreakerState): BreakerState {
  return CLOSED;
}

/** Opens the breaker at once (the paper's `mark_down`: an operator or a probe says it is down). */
export function tripBreaker(
  state: BreakerState,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): BreakerState {
  return {
    consecutiveFailures: Math.max(state.consecutiveFailures, policy.failureThreshold),
    openedAt: now,
  };
}

/**
 * Every tool's breaker, keyed by tool name. Absent means closed. A plain record so it serialises
 * as is; reads go through `Object.hasOwn`, so a tool called `toString` or `__proto__` is a tool.
 */
export type ToolHealth = Readonly<Record<string, BreakerState>>;

export function breakerOf(health: ToolHealth, tool: string): BreakerState {
  return Object.hasOwn(health, tool) ? (health[tool] as BreakerState) : CLOSED;
}

function withBreaker(health: ToolHealth, tool: string, state: BreakerState): ToolHealth {
  // A computed key defines an own property even for `__proto__`, unlike assignment.
  return { ...health, [tool]: state };
}

export function reportFailure(
  health: ToolHealth,
  tool: string,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): ToolHealth {
  return withBreaker(health, tool, recordFailure(breakerOf(health, tool), now, policy));
}

export function reportSuccess(health: ToolHealth, tool: string): ToolHealth {
  return withBreaker(health, tool, recordSuccess(breakerOf(health, tool)));
}

export function markDown(
  health: ToolHealth,
  tool: string,
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): ToolHealth {
  return withBreaker(health, tool, tripBreaker(breakerOf(health, tool), now, policy));
}

/**
 * The tools among `tools` whose breaker is open at `now`, in `tools` order. Half-open tools are not
 * down: the next call to them is the trial. This list is what the router's ToolHealth monitor
 * reads, and what the engine journals with each routing input so replay sees the same view.
 */
export function downTools(
  health: ToolHealth,
  tools: readonly string[],
  now: number,
  policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
): string[] {
  return tools.filter((tool) => breakerStatus(breakerOf(health, tool), now, policy) === 'open');
}
