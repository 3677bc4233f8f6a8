import type { JournalEvent } from '../core/events.js';

/**
 * One status line on stderr while a run works, redrawn at most ten times a second; silent when
 * stderr is not a terminal or output is machine-readable, so pipes and --json stay clean.
 */
export class Progress {
  private readonly enabled: boolean;
  private done = 0;
  private failed = 0;
  private retries = 0;
  private events = 0;
  private last = 0;
  private runId = '';
  private started = 0;

  constructor(wanted: boolean) {
    this.enabled = wanted && process.stderr.isTTY;
  }

  start(runId: string): void {
    this.runId = runId;
    this.started = Date.now();
  }

  update(_runId: string, events: readonly JournalEvent[]): void {
    for (const event of events) {
      if (event.type === 'step-end') {
        if (event.status === 'failed') this.failed += 1;
        else this.done += 1;
      } else if (event.type === 'timer-start') this.retries += 1;
    }
    this.events += events.length;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const seconds = ((now - this.started) / 1000).toFixed(1);
    process.stderr.write(
      `\r\u001b[2K${this.runId}  ${this.done} steps done, ${this.failed} failed, ${this.retries} retries, ${this.events} events, ${seconds}s`,
    );
  }

  stop(): void {
    if (this.enabled && this.last > 0) process.stderr.write('\r\u001b[2K');
  }
}
