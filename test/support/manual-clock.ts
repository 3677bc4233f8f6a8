import type { Clock } from '../../src/core/ports.js';

/**
 * A fake clock that only moves when told to. Unlike VirtualClock (which fires every timer on the next
 * macrotask), a timer here fires only once its deadline has been reached: at once (next macrotask) if
 * it is already due, otherwise when `advance` passes it. Use it where *whether* a deadline has passed
 * is the behaviour under test.
 */
export class ManualClock implements Clock {
  private readonly timers = new Set<{ at: number; callback: () => void }>();

  constructor(private current = 1_700_000_000_000) {}

  now(): number {
    return this.current;
  }

  setTimer(at: number, callback: () => void): () => void {
    const timer = { at, callback };
    this.timers.add(timer);
    if (at <= this.current) this.fireDue();
    return () => {
      this.timers.delete(timer);
    };
  }

  /** Moves time forward and fires, in deadline order, every timer that has become due. */
  advance(ms: number): void {
    this.current += ms;
    this.fireDue();
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  private fireDue(): void {
    setImmediate(() => {
      const due = [...this.timers].filter((t) => t.at <= this.current).sort((a, b) => a.at - b.at);
      for (const timer of due) {
        if (!this.timers.delete(timer)) continue;
        timer.callback();
      }
    });
  }
}
