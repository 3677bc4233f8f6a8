import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { JournalEvent } from '../core/events.js';
import type { EventHub } from './hub.js';

export interface RunEventSource {
  hub: EventHub;
  /** The run's journal as stored (hydrated events, seq order). */
  read(runId: string): Promise<JournalEvent[]>;
  /** Resolves when nothing in this process may append to the run any more (its drive settled). */
  settled(runId: string): Promise<void>;
  /** The seq of the run's last stored event. */
  headSeq(runId: string): Promise<number>;
}

export interface StreamOptions {
  runId: string;
  /** Send events with a seq greater than this (Last-Event-ID); -1 for the whole journal. */
  after: number;
  heartbeatMs?: number;
}

/**
 * Streams a run's journal as server-sent events: each event is one message whose `id` is its seq, so
 * a client that reconnects with `Last-Event-ID: <seq>` gets exactly the events after it. Stored
 * events are replayed first, then live ones follow, with no gap or duplicate: the subscription to
 * live events is made *before* the journal is read, so an event appended meanwhile is either in what
 * was read or arrives live (or both — then it is sent once, by seq). After `run-end` the stream waits
 * for the run's drive to settle, sends anything still appended, then an `end` message, and closes.
 */
export function streamRunEvents(
  c: Context,
  source: RunEventSource,
  options: StreamOptions,
): Response {
  return streamSSE(c, async (stream) => {
    const pump = new Pump(stream, options.after + 1);
    const unsubscribe = source.hub.subscribe(options.runId, (_runId, events) => pump.push(events));
    stream.onAbort(() => pump.abort());
    const heartbeat = setInterval(() => pump.ping(), options.heartbeatMs ?? 15_000);
    try {
      await stream.writeSSE({
        event: 'open',
        data: JSON.stringify({ after: options.after }),
        retry: 1000,
      });
      const read = (): Promise<JournalEvent[]> => source.read(options.runId);
      const stored = await read();
      await pump.sendAll(stored, read);
      // A client that already has the run-end (it resumed after it) gets the end message at once.
      if (stored.some((event) => event.type === 'run-end')) pump.ended = true;
      while (!pump.aborted && !pump.ended) await pump.sendAll(await pump.next(), read);
      if (pump.ended && !pump.aborted) {
        await source.settled(options.runId);
        if ((await source.headSeq(options.runId)) >= pump.nextSeq)
          await pump.sendAll(await read(), read);
        await stream.writeSSE({
          event: 'end',
          data: JSON.stringify({ lastSeq: pump.nextSeq - 1 }),
        });
      }
    } finally {
      clearInterval(heartbeat);
      unsubscribe();
    }
  });
}

/**
 * An event's SSE message, made once per event however many clients follow its run (the hub hands
 * every subscriber the same event objects). JSON.stringify escapes line breaks: one `data:` line.
 */
const messages = new WeakMap<JournalEvent, string>();
function message(event: JournalEvent): string {
  let text = messages.get(event);
  if (text === undefined) {
    text = `data: ${JSON.stringify(event)}\nid: ${event.seq}\n\n`;
    messages.set(event, text);
  }
  return text;
}

class Pump {
  private readonly buffer: JournalEvent[] = [];
  private wake: (() => void) | null = null;
  private pinging = false;
  aborted = false;
  ended = false;

  constructor(
    private readonly stream: SSEStreamingApi,
    public nextSeq: number,
  ) {}

  push(events: readonly JournalEvent[]): void {
    for (const event of events) this.buffer.push(event);
    this.wakeUp();
  }

  abort(): void {
    this.aborted = true;
    this.wakeUp();
  }

  /** A comment line keeps proxies from closing an idle stream. */
  ping(): void {
    if (this.pinging || this.aborted) return;
    this.pinging = true;
    void this.stream.write(': ping\n\n').finally(() => (this.pinging = false));
  }

  async next(): Promise<JournalEvent[]> {
    while (this.buffer.length === 0 && !this.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.buffer.splice(0);
  }

  /**
   * Sends the events that continue the sequence, skipping those already sent, as one write (one
   * syscall per batch rather than per event). A seq beyond the next one means a batch was missed
   * (it cannot, with the subscription made first; this is the belt to those braces): the gap is
   * read back from the store with `read` before going on.
   */
  async sendAll(
    events: readonly JournalEvent[],
    read: () => Promise<JournalEvent[]>,
  ): Promise<void> {
    let text = '';
    for (const event of events) {
      if (this.aborted) return;
      if (event.seq > this.nextSeq) {
        await this.flush(text);
        text = '';
        await this.sendAll(
          (await read()).filter((stored) => stored.seq < event.seq),
          read,
        );
      }
      if (event.seq !== this.nextSeq) continue;
      text += message(event);
      this.nextSeq = event.seq + 1;
      if (event.type === 'run-end') this.ended = true;
    }
    await this.flush(text);
  }

  private async flush(text: string): Promise<void> {
    if (text !== '' && !this.aborted) await this.stream.write(text);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
