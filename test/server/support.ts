// Helpers for the server tests: a server on a free loopback port over a temporary SQLite store, with
// workflows written to a temporary directory and tools given inline; a JSON client; an SSE reader.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JournalEvent } from '../../src/core/events.js';
import type { ToolDefinition } from '../../src/core/ports.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { startServer, type RunningServer } from '../../src/server/index.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface TestServer {
  server: RunningServer;
  dir: string;
  url: string;
  /** JSON request with the token (unless `token: null`); returns status, body and headers. */
  api<T = Record<string, unknown>>(
    method: string,
    route: string,
    options?: { body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  workflows?: Record<string, unknown>;
  tools?: ToolDefinition[];
  /** Reuse a directory (and its journal.db) from a previous server: a restart. */
  dir?: string;
  config?: Record<string, unknown>;
  /** A logger to inspect (default: silent). */
  logger?: Logger;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'switchyard-server-'));
  for (const [name, spec] of Object.entries(options.workflows ?? {}))
    writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(spec));
  writeFileSync(
    path.join(dir, 'switchyard.config.json'),
    JSON.stringify({
      store: 'sqlite:journal.db',
      workflows: ['.'],
      server: { token: TOKEN },
      ...options.config,
    }),
  );
  const server = await startServer({
    cwd: dir,
    port: 0,
    tools: options.tools ?? [],
    env: {},
    logger: options.logger ?? createLogger({ level: 'silent' }),
    heartbeatMs: 60_000,
  });
  const url = server.url;
  return {
    server,
    dir,
    url,
    async api(method, route, request = {}) {
      const headers: Record<string, string> = { ...request.headers };
      const token = request.token === undefined ? TOKEN : request.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (request.body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${url}${route}`, {
        method,
        headers,
        ...(request.body === undefined
          ? {}
          : {
              body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
            }),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        // not JSON (an event stream, the dashboard)
      }
      return { status: response.status, body: body as never, headers: response.headers };
    },
    async close() {
      await server.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads a run's event stream until the server ends it (or `stop` says so), returning every message.
 * `onMessage` sees each as it arrives (to act mid-stream: approve, reconnect).
 */
export async function readEvents(
  url: string,
  options: {
    lastEventId?: number;
    token?: string;
    stop?: (message: SseMessage, all: SseMessage[]) => boolean;
    onMessage?: (message: SseMessage) => void | Promise<void>;
    signal?: AbortSignal;
  } = {},
): Promise<SseMessage[]> {
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort());
  const response = await fetch(url, {
    headers: {
      authorization: `Bearer ${options.token ?? TOKEN}`,
      ...(options.lastEventId === undefined
        ? {}
        : { 'last-event-id': String(options.lastEventId) }),
    },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`stream answered ${response.status}`);
  const messages: SseMessage[] = [];
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return messages;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = parseBlock(block);
        if (!message) continue;
        messages.push(message);
        await options.onMessage?.(message);
        if (message.event === 'end' || options.stop?.(message, messages)) {
          controller.abort();
          return messages;
        }
      }
    }
  } catch (error) {
    if (controller.signal.aborted) return messages;
    throw error;
  }
}

function parseBlock(block: string): SseMessage | undefined {
  const message: SseMessage = { data: '' };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'id') message.id = value;
    else if (field === 'event') message.event = value;
  }
  if (data.length === 0 && message.id === undefined && message.event === undefined)
    return undefined;
  message.data = data.join('\n');
  return message;
}

/** The journal events among a stream's messages. */
export function journalEvents(messages: readonly SseMessage[]): JournalEvent[] {
  return messages
    .filter((message) => message.event === undefined && message.id !== undefined)
    .map((message) => JSON.parse(message.data) as JournalEvent);
}

/** A tool that waits until the test opens its gate for that input's `key`. */
export class Gates {
  private readonly open = new Map<string, () => void>();
  private readonly waiting = new Map<string, Promise<void>>();
  private readonly arrived = new Map<string, () => void>();
  private readonly arrivals = new Map<string, Promise<void>>();

  private gate(key: string): Promise<void> {
    let gate = this.waiting.get(key);
    if (!gate) {
      gate = new Promise<void>((resolve) => this.open.set(key, resolve));
      this.waiting.set(key, gate);
    }
    return gate;
  }

  /** Resolves when a call has reached the gate for `key`. */
  reached(key: string): Promise<void> {
    let arrival = this.arrivals.get(key);
    if (!arrival) {
      arrival = new Promise<void>((resolve) => this.arrived.set(key, resolve));
      this.arrivals.set(key, arrival);
    }
    return arrival;
  }

  release(key: string): void {
    void this.gate(key);
    this.open.get(key)?.();
  }

  tool(name = 'gate', retry: 'safe' | 'unsafe' = 'safe'): ToolDefinition {
    return {
      name,
      retry,
      execute: async (input) => {
        const key = String((input as { key?: unknown }).key);
        void this.reached(key);
        this.arrived.get(key)?.();
        await this.gate(key);
        return { passed: key };
      },
    };
  }
}
