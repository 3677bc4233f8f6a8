import type { JournalEvent } from '../core/events.js';

export type EventListener = (runId: string, events: readonly JournalEvent[]) => void;

/**
 * Fans the Runtime's `onEvents` out: every batch of journal events, right after it is durable, goes
 * to the listeners of its run and to the listeners of every run. Listeners run synchronously inside
 * the driver's tick, so they must be quick and must not throw (a throwing listener is dropped from
 * that delivery, never allowed to stop a run).
 */
export class EventHub {
  private readonly byRun = new Map<string, Set<EventListener>>();
  private readonly everyRun = new Set<EventListener>();

  publish(runId: string, events: readonly JournalEvent[]): void {
    for (const listener of this.everyRun) deliver(listener, runId, events);
    const listeners = this.byRun.get(runId);
    if (listeners) for (const listener of listeners) deliver(listener, runId, events);
  }

  /** Listens to one run; returns the unsubscribe function. */
  subscribe(runId: string, listener: EventListener): () => void {
    let listeners = this.byRun.get(runId);
    if (!listeners) {
      listeners = new Set();
      this.byRun.set(runId, listeners);
    }
    listeners.add(listener);
    return () => {
      const current = this.byRun.get(runId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.byRun.delete(runId);
    };
  }

  subscribeAll(listener: EventListener): () => void {
    this.everyRun.add(listener);
    return () => this.everyRun.delete(listener);
  }

  /** Listeners of one run (tests and the load bench read it). */
  listenerCount(runId: string): number {
    return this.byRun.get(runId)?.size ?? 0;
  }
}

function deliver(listener: EventListener, runId: string, events: readonly JournalEvent[]): void {
  try {
    listener(runId, events);
  } catch {
    // A listener's bug must not reach the driver: the events are durable whatever it does.
  }
}
