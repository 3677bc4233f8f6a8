import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { RequestInvalidError, ServerError } from './errors.js';

export interface ApiResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** A text/event-stream response instead of JSON. */
  eventStream?: boolean;
}

export interface ApiRequest<B, Q> {
  body: B;
  query: Q;
  params: Record<string, string>;
}

/**
 * One endpoint: how it is routed, what it accepts (zod), what it answers, and its handler. The same
 * object registers the Hono route, validates the request and becomes its /openapi.json entry.
 */
export interface ApiRoute<B = undefined, Q = undefined> {
  method: 'get' | 'post';
  /** OpenAPI form: `/api/runs/{runId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  body?: z.ZodType<B>;
  /** An empty body is read as `{}` (cancel needs no reason). */
  bodyOptional?: boolean;
  query?: z.ZodType<Q>;
  responses: Record<number, ApiResponseSpec>;
  handler(c: Context, request: ApiRequest<B, Q>): Promise<Response>;
}

export type AnyApiRoute = ApiRoute<never, never>;

/** Registers API routes on a Hono app and keeps them, in order, for the OpenAPI document. */
export class Api {
  readonly routes: AnyApiRoute[] = [];

  constructor(
    private readonly app: Hono,
    private readonly maxBodyBytes: number,
  ) {}

  add<B = undefined, Q = undefined>(route: ApiRoute<B, Q>): void {
    this.routes.push(route as unknown as AnyApiRoute);
    this.app.on(route.method.toUpperCase(), honoPath(route.path), async (c) => {
      const query = route.query ? parse(route.query, c.req.query(), 'query') : (undefined as Q);
      const body = route.body
        ? parse(
            route.body,
            await readJsonBody(c, route.bodyOptional === true, this.maxBodyBytes),
            'body',
          )
        : (undefined as B);
      return route.handler(c, { body, query, params: c.req.param() });
    });
  }
}

/** `/api/runs/{runId}` → `/api/runs/:runId`. */
function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

async function readJsonBody(c: Context, optional: boolean, maxBytes: number): Promise<unknown> {
  const text = await readText(c.req.raw, maxBytes);
  if (text.trim() === '') {
    if (optional) return {};
    throw new ServerError(400, 'BODY_MISSING', 'this endpoint needs a JSON request body', {
      path: '',
      hint: 'send a JSON object with Content-Type: application/json',
    });
  }
  // A cross-site form or `text/plain` fetch cannot send application/json without a CORS preflight,
  // which this server never grants: requiring it keeps browsers on other origins from posting here.
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new ServerError(
      415,
      'BODY_NOT_JSON',
      `expected Content-Type: application/json, got '${type}'`,
      {
        path: '',
        hint: 'send the body as JSON with Content-Type: application/json',
      },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ServerError(
      400,
      'BODY_NOT_JSON',
      `the request body is not valid JSON: ${(error as Error).message}`,
      {
        path: '',
        hint: 'send a JSON object',
      },
    );
  }
}

/** The body as UTF-8 text, refused once it grows past `maxBytes` (whatever Content-Length says). */
async function readText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = (): ServerError =>
    new ServerError(413, 'BODY_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`, {
      hint: 'send a smaller body (an inline spec is limited like a spec file)',
    });
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge();
  if (!request.body) return '';
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new RequestInvalidError(zodIssues(result.error.issues), where);
}

/** zod issues as `{ path: 'steps[0].id', message }`, one per unknown key. */
export function zodIssues(
  issues: readonly z.core.$ZodIssue[],
): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({ path: formatPath([...issue.path, key]), message: 'unknown field' });
      continue;
    }
    out.push({ path: formatPath(issue.path), message: issue.message });
  }
  return out;
}

/** `['steps', 0, 'id']` → `steps[0].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
