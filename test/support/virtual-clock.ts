import type { Clock } from '../../src/core/ports.js';

/**
 * A fake clock for tests: time only moves when a timer is due, and then it jumps straight to the
 * timer's deadline on the next macrotask. Retries with backoff run instantly and deterministically.
 */
export class VirtualClock implements Clock {
  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  setTimer(at: number, callback: () => void): () => void {
    let cancelled = false;
    setImmediate(() => {
      if (cancelled) return;
      this.current = Math.max(this.current, at);
      callback();
    });
    return () => {
      cancelled = true;
    };
  }
}
