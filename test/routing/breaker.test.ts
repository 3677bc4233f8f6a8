import { describe, expect, it } from 'vitest';
import {
  breakerOf,
  breakerStatus,
  CLOSED,
  downTools,
  markDown,
  recordFailure,
  recordSuccess,
  reportFailure,
  reportSuccess,
  type BreakerPolicy,
  type BreakerState,
  type ToolHealth,
} from '../../src/routing/index.js';

const policy: BreakerPolicy = { failureThreshold: 3, cooldownMs: 1000 };

function failures(count: number, at = 0): BreakerState {
  let state = CLOSED;
  for (let i = 0; i < count; i++) state = recordFailure(state, at, policy);
  return state;
}

describe('circuit breaker', () => {
  it('stays closed after two consecutive failures and opens on the third', () => {
    expect(breakerStatus(failures(2), 0, policy)).toBe('closed');
    expect(breakerStatus(failures(3), 0, policy)).toBe('open');
  });

  it('forgets earlier failures after a success, so 2 + success + 2 stays closed', () => {
    let state = recordSuccess(failures(2));
    expect(state).toEqual(CLOSED);
    state = recordFailure(recordFailure(state, 0, policy), 0, policy);
    expect(breakerStatus(state, 0, policy)).toBe('closed');
  });

  it('half-opens once the cooldown has passed on the clock it is given', () => {
    const open = failures(3, 5000);
    expect(breakerStatus(open, 5999, policy)).toBe('open');
    expect(breakerStatus(open, 6000, policy)).toBe('half-open');
  });

  it('re-opens on a failed trial, restarting the cooldown from that moment', () => {
    const trial = recordFailure(failures(3, 0), 1500, policy);
    expect(breakerStatus(trial, 1500, policy)).toBe('open');
    expect(breakerStatus(trial, 2499, policy)).toBe('open');
    expect(breakerStatus(trial, 2500, policy)).toBe('half-open');
  });

  it('closes on a successful trial', () => {
    expect(breakerStatus(recordSuccess(failures(3, 0)), 1500, policy)).toBe('closed');
  });
});

describe('tool health table', () => {
  it('reports as down only tools whose breaker is open, in the order asked', () => {
    let health: ToolHealth = {};
    for (let i = 0; i < 3; i++) health = reportFailure(health, 'b', 0, policy);
    health = reportFailure(health, 'a', 0, policy);
    health = markDown(health, 'c', 0, policy);
    expect(downTools(health, ['c', 'a', 'b', 'unknown'], 10, policy)).toEqual(['c', 'b']);
    // Half-open is not down: the next call is the trial.
    expect(downTools(health, ['a', 'b', 'c'], 1000, policy)).toEqual([]);
  });

  it('marks a tool down at once (the paper mark_down) and up again on a success', () => {
    let health = markDown({}, 'x', 0, policy);
    expect(downTools(health, ['x'], 0, policy)).toEqual(['x']);
    health = reportSuccess(health, 'x');
    expect(downTools(health, ['x'], 0, policy)).toEqual([]);
  });

  it('is plain JSON that survives a round trip (so it can be persisted)', () => {
    const health = markDown(reportFailure({}, 'a', 7, policy), 'b', 9, policy);
    expect(JSON.parse(JSON.stringify(health))).toEqual(health);
  });

  it('treats tools named like Object.prototype members as tools', () => {
    expect(breakerOf({}, 'toString')).toEqual(CLOSED);
    let health: ToolHealth = {};
    for (const name of ['toString', '__proto__']) health = markDown(health, name, 0, policy);
    expect(downTools(health, ['toString', '__proto__', 'constructor'], 0, policy)).toEqual([
      'toString',
      '__proto__',
    ]);
  });
});
