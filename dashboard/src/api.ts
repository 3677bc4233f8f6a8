// The dashboard's side of the API: the bearer token (kept in this browser's localStorage, never in a
// URL the server sees), JSON calls, and the journal stream read with fetch so it can carry the token.
import type { LooseEvent } from './state.js';
import type { ApiErrorBody } from './types.js';

const TOKEN_KEY = 'switchyard.token';

export function storedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token.trim());
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

/** `#token=…` in the address (never sent to the server) is taken once, then removed from it. */
export function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return;
  saveToken(decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Called with every 401, so the app can ask for a token. */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = storedToken();
  return { ...extra, ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: reported below by status
  }
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    const error = (parsed as ApiErrorBody | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'HTTP_' + String(response.status),
      error?.message ?? (text || response.statusText),
      error?.hint,
    );
  }
  return parsed as T;
}

export interface StreamHandlers {
  onEvents(events: LooseEvent[]): void;
  onEnd(): void;
  onState(state: 'connecting' | 'live' | 'reconnecting' | 'ended'): void;
}

/**
 * Follows a run's journal: `GET /api/runs/{id}/events` with `Last-Event-ID` set to the last seq
 * received, reconnecting (after a pause) whenever the connection drops, until the server says `end`.
 * Returns a function that stops following.
 */
export function followRun(
  runId: string,
  lastSeq: () => number,
  handlers: StreamHandlers,
): () => void {
  const controller = new AbortController();
  let stopped = false;
  // A function, not the variable: it changes while this awaits, which narrowing cannot see.
  const isStopped = (): boolean => stopped;
  const connect = async (attempt: number): Promise<void> => {
    handlers.onState(attempt === 0 ? 'connecting' : 'reconnecting');
    try {
      const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/events`, {
        headers: headers({ 'last-event-id': String(lastSeq()), accept: 'text/event-stream' }),
        signal: controller.signal,
      });
      if (response.status === 401) {
        onUnauthorized();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      handlers.onState('live');
      if (await readStream(response.body, handlers)) {
        handlers.onState('ended');
        handlers.onEnd();
        return;
      }
    } catch {
      if (isStopped()) return;
    }
    if (isStopped()) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
    if (!isStopped()) void connect(Math.min(attempt + 1, 5));
  };
  void connect(0);
  return () => {
    stopped = true;
    controller.abort();
  };
}

/** Reads SSE messages; true when the server sent `end`. Events of one chunk are delivered together. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  handlers: StreamHandlers,
): Promise<boolean> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    const batch: LooseEvent[] = [];
    let ended = false;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (event === 'message' && data.length > 0)
        batch.push(JSON.parse(data.join('\n')) as LooseEvent);
      if (event === 'end') ended = true;
    }
    if (batch.length > 0) handlers.onEvents(batch);
    if (ended) {
      await reader.cancel();
      return true;
    }
  }
}
