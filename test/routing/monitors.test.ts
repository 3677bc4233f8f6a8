import { describe, expect, it } from 'vitest';
import {
  intentMonitor,
  pickWinner,
  progressMonitor,
  riskMonitor,
  runMonitors,
  toolHealthMonitor,
  type Signal,
} from '../../src/routing/index.js';

describe('monitor priority rules', () => {
  it('intent: 0.90 when a keyword matches, 0.30 otherwise', () => {
    expect(intentMonitor({ text: 'Please REFUND my order' })).toMatchObject({
      priority: 0.9,
      intent: 'refund',
    });
    expect(intentMonitor({ text: 'hello there' })).toMatchObject({ priority: 0.3, intent: null });
    expect(intentMonitor({})).toMatchObject({ priority: 0.3 });
  });

  it('risk: 0.95 above 10 000, 0.85 with risk flags, 0.20 otherwise', () => {
    expect(riskMonitor({ amount: 10_001 }).priority).toBe(0.95);
    expect(riskMonitor({ amount: 10_000, riskFlags: ['new-account'] }).priority).toBe(0.85);
    expect(riskMonitor({ amount: 10_000 }).priority).toBe(0.2);
    expect(riskMonitor({ riskFlags: [] }).priority).toBe(0.2);
  });

  it('tool health: 0.99 when any tool is down, 0.10 otherwise', () => {
    expect(toolHealthMonitor(['Stripe'])).toMatchObject({ priority: 0.99, down: ['Stripe'] });
    expect(toolHealthMonitor([]).priority).toBe(0.1);
  });

  it('progress: 0.50 when the expected step count is known, 0.10 otherwise', () => {
    expect(progressMonitor(1, 4)).toMatchObject({ priority: 0.5, completed: 1, expected: 4 });
    expect(progressMonitor(1).priority).toBe(0.1);
    expect(progressMonitor(0, 0).priority).toBe(0.1);
  });
});

describe('the winning signal', () => {
  it('is tool health whenever a tool is down, even over a high-value risk', () => {
    const { winner } = runMonitors({
      request: { text: 'refund', amount: 50_000, riskFlags: ['x'] },
      down: ['Email'],
      completed: 0,
      expected: 3,
    });
    expect(winner.monitor).toBe('tool-health');
  });

  it('is risk over intent when nothing is down and the amount is high', () => {
    const { winner } = runMonitors({
      request: { text: 'refund', amount: 50_000 },
      down: [],
      completed: 0,
    });
    expect(winner.monitor).toBe('risk');
  });

  it('is intent when a keyword matches and nothing is risky or down', () => {
    const { winner, signals } = runMonitors({
      request: { text: 'book a flight' },
      down: [],
      completed: 0,
      expected: 3,
    });
    expect(winner.monitor).toBe('intent');
    expect(signals.map((s) => s.monitor)).toEqual(['intent', 'risk', 'tool-health', 'progress']);
  });

  it('is progress over an unmatched intent when the plan is known', () => {
    const { winner } = runMonitors({ request: {}, down: [], completed: 1, expected: 3 });
    expect(winner.monitor).toBe('progress');
  });

  it('goes to the earlier monitor on equal priority', () => {
    const a: Signal = { monitor: 'progress', priority: 0.5, completed: 0, expected: 1 };
    const b: Signal = { monitor: 'risk', priority: 0.5, level: 'low' };
    expect(pickWinner([a, b])).toBe(a);
    expect(pickWinner([b, a])).toBe(b);
  });
});
