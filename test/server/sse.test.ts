// The event stream's ordering rules, in-process and without a runtime: stored events first, live
// ones after, duplicates dropped by seq, a gap in the live feed filled from the store.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import { EventHub } from '../../src/server/hub.js';
import { streamRunEvents } from '../../src/server/sse.js';

function event(seq: number, type = 'step-start'): JournalEvent {
  return { seq, at: 1000 + seq, type, path: `s${seq}`, kind: 'tool' } as unknown as JournalEvent;
}

/** A stream over a fake journal; `stored` may grow while the test runs. */
function harness(
  stored: JournalEvent[],
  after: number,
  onRead: (count: number) => void = () => {},
) {
  let reads = 0;
  const hub = new EventHub();
  const app = new Hono();
  app.get('/events', (c) =>
    streamRunEvents(
      c,
      {
        hub,
        read: async () => {
          const snapshot = [...stored];
          onRead(++reads);
          return snapshot;
        },
        settled: async () => {},
        headSeq: async () => stored.length - 1,
      },
      { runId: 'r', after, heartbeatMs: 60_000 },
    ),
  );
  return { hub, response: app.request('/events') };
}

async function readAll(response: Response, onOpen: () => void): Promise<string[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.includes('event: open')) onOpen();
  }
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => block.replace(/\n/g, ' | '));
}

const ids = (messages: string[]): number[] =>
  messages.flatMap((message) => {
    const match = / \| id: (\d+)$/.exec(message);
    return match && message.startsWith('data:') ? [Number(match[1])] : [];
  });

describe('event stream ordering', () => {
  it('sends stored events after Last-Event-ID, then live ones, each seq once, then end', async () => {
    const stored = [0, 1, 2].map((seq) => event(seq));
    const { hub, response } = harness(stored, 0);
    let published = false;
    const messages = await readAll(await response, () => {
      if (published) return;
      published = true;
      // Appended while the stream was reading the journal: 2 is both stored and live.
      const live = [event(2), event(3), event(4, 'run-end')];
      stored.push(live[1] as JournalEvent, live[2] as JournalEvent);
      queueMicrotask(() => hub.publish('r', live));
    });
    expect(ids(messages)).toEqual([1, 2, 3, 4]);
    expect(messages.at(-1)).toMatch(/^event: end \| data: \{"lastSeq":4\}/);
    expect(hub.listenerCount('r')).toBe(0);
  });

  it('fills a gap in the live feed from the store before going on', async () => {
    const stored = [0, 1].map((seq) => event(seq));
    let reads = 0;
    const { hub, response } = harness(stored, -1, (count) => {
      reads = count;
      if (count !== 1) return;
      // Right after the first read (0 and 1): 2…5 are appended, but the batch holding 2 and 3
      // never arrives live; 4 and 5 do.
      stored.push(event(2), event(3), event(4), event(5, 'run-end'));
      setTimeout(() => hub.publish('r', [event(4), event(5, 'run-end')]), 5);
    });
    const messages = await readAll(await response, () => {});
    expect(ids(messages)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(reads).toBeGreaterThanOrEqual(2);
  });

  it('ends at once for a client that already has the run-end', async () => {
    const stored = [0, 1, 2].map((seq) => event(seq));
    stored.push(event(3, 'run-end'));
    const { response } = harness(stored, 3);
    const messages = await readAll(await response, () => {});
    expect(ids(messages)).toEqual([]);
    expect(messages.at(-1)).toMatch(/^event: end/);
  });
});
