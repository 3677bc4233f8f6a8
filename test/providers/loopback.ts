import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted HTTP server on 127.0.0.1 (port 0) that answers each request with the next reply in its
 * script, speaking whatever wire format the reply spells out. It records every request it receives
 * (method, path, headers, parsed JSON body, arrival time) so tests can check what the SDK sent.
 */
export type Reply =
  /** A JSON body with a status (success or a provider error body). */
  | { status: number; json: unknown; headers?: Record<string, string> }
  /** A 200 text/event-stream: each event written as given, `gapMs` apart. */
  | { sse: string[]; headers?: Record<string, string>; gapMs?: number }
  /** Headers and the start of a body, then the socket is destroyed mid-response. */
  | { drop: 'json' | 'sse'; partial: string }
  /** Never answers (until the client goes away). */
  | { hang: true };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface Loopback {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: RecordedRequest[];
  /** Replies still to be sent; a request arriving when it is empty gets a 599. */
  script: Reply[];
  close(): Promise<void>;
}

export async function startLoopback(script: Reply[] = []): Promise<Loopback> {
  const requests: RecordedRequest[] = [];
  const state = { script: [...script] };
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: keep the text
    }
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      at: performance.now(),
    });
    const reply = state.script.shift();
    if (!reply) {
      res.writeHead(599, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'loopback: no scripted reply left' } }));
      return;
    }
    if ('hang' in reply) return;
    if ('drop' in reply) {
      res.writeHead(200, {
        'content-type': reply.drop === 'sse' ? 'text/event-stream' : 'application/json',
        ...(reply.drop === 'json' ? { 'content-length': String(reply.partial.length + 100) } : {}),
      });
      res.write(reply.partial, () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if ('sse' in reply) {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...reply.headers,
      });
      for (const event of reply.sse) {
        res.write(event);
        if (reply.gapMs) await new Promise((resolve) => setTimeout(resolve, reply.gapMs));
      }
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.json));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get script() {
      return state.script;
    },
    set script(replies: Reply[]) {
      state.script = [...replies];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fetch that refuses any URL not on 127.0.0.1: no test may leave loopback. */
export const loopbackOnlyFetch: typeof globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1')
    return Promise.reject(new Error(`test tried to reach ${url.host}, which is not loopback`));
  return globalThis.fetch(input, init);
};

/** One SSE event: `event:` line when named, `data:` line, blank line. */
export function sse(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`;
}
