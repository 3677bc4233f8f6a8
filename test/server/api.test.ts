// The HTTP API of `switchyard serve`: auth on every endpoint, request validation naming the field,
// unknown runs, submitting, listing, deciding, cancelling and verifying runs, and the event stream
// resumed with Last-Event-ID.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import {
  Gates,
  journalEvents,
  readEvents,
  removeDir,
  startTestServer,
  TOKEN,
  type TestServer,
} from './support.js';

const echo = { name: 'echo', retry: 'safe' as const, execute: (input: unknown) => input };
const gates = new Gates();

const workflows = {
  approval: {
    name: 'approval',
    steps: [
      { id: 'prepare', kind: 'tool', tool: 'echo', input: { n: 1 } },
      { id: 'review', kind: 'approval', message: 'Go ahead?', after: ['prepare'] },
      { id: 'finish', kind: 'tool', tool: 'echo', input: { n: 2 }, after: ['review'] },
    ],
  },
  greet: {
    name: 'greet',
    input: {
      schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
    steps: [{ id: 'hello', kind: 'tool', tool: 'echo', input: { name: '$.input.name' } }],
    output: '$.steps.hello.output',
  },
  gated: {
    name: 'gated',
    input: { schema: { type: 'object', properties: { tag: { type: 'string' } } } },
    steps: [1, 2, 3, 4, 5, 6].map((n) => ({
      id: `s${n}`,
      kind: 'tool',
      tool: 'gate',
      input: { key: { $expr: `input.tag & '-s${n}'` } },
      ...(n > 1 ? { after: [`s${n - 1}`] } : {}),
    })),
  },
};

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ workflows, tools: [echo, gates.tool()] });
});
afterAll(async () => {
  for (let n = 1; n <= 6; n++) for (const tag of ['cancel']) gates.release(`${tag}-s${n}`);
  await t.close();
  removeDir(t.dir);
});

interface Submitted {
  runId: string;
  status: string;
  workflow: string;
}

async function submit(body: unknown): Promise<Submitted> {
  const response = await t.api<Submitted>('POST', '/api/runs', { body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/** Waits until the run's recorded status is `status` (the drive goes on after the response). */
async function until(runId: string, status: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { body } = await t.api<{ run: { status: string } }>('GET', `/api/runs/${runId}`);
    if (body.run.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`run ${runId} never became ${status}`);
}

async function journal(runId: string): Promise<JournalEvent[]> {
  const { body } = await t.api<{ events: JournalEvent[] }>('GET', `/api/runs/${runId}/journal`);
  return body.events;
}

/** A body each POST route accepts, so a 401 cannot be a 400 in disguise. */
const VALID_BODIES: Record<string, unknown> = {
  submitRun: { workflow: 'approval' },
  decideApproval: { step: 'review', approved: true },
  resolveOutcome: { step: 'x', action: 'fail' },
  cancelRun: {},
  verifyRun: undefined,
};

interface OpenApi {
  paths: Record<string, Record<string, { operationId: string }>>;
}

async function operations(): Promise<Array<{ method: string; path: string; operationId: string }>> {
  const { status, body } = await t.api<OpenApi>('GET', '/openapi.json', { token: null });
  expect(status).toBe(200);
  return Object.entries(body.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      operationId: operation.operationId,
    })),
  );
}

describe('auth', () => {
  it('answers 401 on every API endpoint without a token, or with a wrong one', async () => {
    const { runId } = await submit({ workflow: 'greet', input: { name: 'Ada' } });
    const all = await operations();
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const { method, path, operationId } of all) {
      const route = path.replace('{runId}', runId);
      const body = VALID_BODIES[operationId];
      for (const token of [null, 'wrong-token-0123456789', `${TOKEN}x`]) {
        const response = await t.api<{ error: { code: string } }>(method, route, {
          token,
          ...(body === undefined ? {} : { body }),
        });
        expect(response.status, `${method} ${path} with token ${String(token)}`).toBe(401);
        expect(response.body.error.code).toBe('UNAUTHORIZED');
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
    // An unknown API path is not a way around it either.
    expect((await t.api('GET', '/api/nothing-here', { token: null })).status).toBe(401);
  });

  it('accepts the token in any case of the Bearer scheme, and refuses other schemes', async () => {
    const ok = await t.api('GET', '/api/workflows', {
      token: null,
      headers: { authorization: `bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
    const basic = await t.api<{ error: { message: string } }>('GET', '/api/workflows', {
      token: null,
      headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    expect(basic.body.error.message).toMatch(/not `Bearer <token>`/);
  });

  it('leaves the health check and the OpenAPI document public: they hold no run data', async () => {
    expect((await t.api('GET', '/healthz', { token: null })).status).toBe(200);
    const document = await t.api<{ openapi: string }>('GET', '/openapi.json', { token: null });
    expect(document.body.openapi).toBe('3.1.0');
  });
});

describe('request validation', () => {
  const cases: Array<{
    name: string;
    method: string;
    route: string;
    body?: unknown;
    headers?: Record<string, string>;
    status: number;
    code: string;
    path: string;
  }> = [
    {
      name: 'neither workflow nor spec',
      method: 'POST',
      route: '/api/runs',
      body: {},
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'workflow',
    },
    {
      name: 'workflow of the wrong type',
      method: 'POST',
      route: '/api/runs',
      body: { workflow: 3 },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'workflow',
    },
    {
      name: 'a misspelt field',
      method: 'POST',
      route: '/api/runs',
      body: { workflow: 'greet', inptu: {} },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'inptu',
    },
    {
      name: 'both workflow and spec',
      method: 'POST',
      route: '/api/runs',
      body: { workflow: 'greet', spec: { name: 'x' } },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'spec',
    },
    {
      name: 'an inline spec with a step missing its tool',
      method: 'POST',
      route: '/api/runs',
      body: { spec: { name: 'x', steps: [{ id: 'a', kind: 'tool' }] } },
      status: 400,
      code: 'SPEC_INVALID',
      path: 'spec.steps[0].tool',
    },
    {
      name: 'an inline agent step without its prompt',
      method: 'POST',
      route: '/api/runs',
      body: { spec: { name: 'x', steps: [{ id: 'a', kind: 'agent', prompt: 'p.md' }] } },
      status: 400,
      code: 'SPEC_PROMPT_NOT_FOUND',
      path: 'prompts',
    },
    {
      name: 'input that misses a required field',
      method: 'POST',
      route: '/api/runs',
      body: { workflow: 'greet', input: { nam: 'Ada' } },
      status: 400,
      code: 'INPUT_INVALID',
      path: 'input',
    },
    {
      name: 'input of the wrong type inside',
      method: 'POST',
      route: '/api/runs',
      body: { workflow: 'greet', input: { name: 7 } },
      status: 400,
      code: 'INPUT_INVALID',
      path: 'input.name',
    },
    {
      name: 'an approval without approved',
      method: 'POST',
      route: '/api/runs/RUN/approval',
      body: { step: 'review' },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'approved',
    },
    {
      name: 'an approval with an empty step',
      method: 'POST',
      route: '/api/runs/RUN/approval',
      body: { step: '', approved: true },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'step',
    },
    {
      name: 'a resolution with an unknown action',
      method: 'POST',
      route: '/api/runs/RUN/resolution',
      body: { step: 'x', action: 'redo' },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'action',
    },
    {
      name: 'a cancel reason that is not text',
      method: 'POST',
      route: '/api/runs/RUN/cancel',
      body: { reason: 5 },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'reason',
    },
    {
      name: 'a body that is not JSON',
      method: 'POST',
      route: '/api/runs',
      body: '{"workflow": ',
      status: 400,
      code: 'BODY_NOT_JSON',
      path: '',
    },
    {
      name: 'a body that is not sent as JSON',
      method: 'POST',
      route: '/api/runs',
      body: '{"workflow":"greet"}',
      headers: { 'content-type': 'text/plain' },
      status: 415,
      code: 'BODY_NOT_JSON',
      path: '',
    },
    {
      name: 'a missing body',
      method: 'POST',
      route: '/api/runs/RUN/approval',
      status: 400,
      code: 'BODY_MISSING',
      path: '',
    },
    {
      name: 'a limit of 0',
      method: 'GET',
      route: '/api/runs?limit=0',
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'limit',
    },
    {
      name: 'an unknown status',
      method: 'GET',
      route: '/api/runs?status=sleeping',
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'status',
    },
    {
      name: 'an unknown query parameter',
      method: 'GET',
      route: '/api/runs?stauts=waiting',
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'stauts',
    },
    {
      name: 'a malformed Last-Event-ID',
      method: 'GET',
      route: '/api/runs/RUN/events',
      headers: { 'last-event-id': 'abc' },
      status: 400,
      code: 'REQUEST_INVALID',
      path: 'Last-Event-ID',
    },
  ];

  let runId = '';
  beforeAll(async () => {
    runId = (await submit({ workflow: 'approval' })).runId;
    await until(runId, 'waiting');
  });

  it.each(cases)('refuses $name with $status naming `$path`', async (row) => {
    const response = await t.api<{ error: { code: string; path?: string; message: string } }>(
      row.method,
      row.route.replace('RUN', runId),
      {
        ...(row.body === undefined ? {} : { body: row.body }),
        ...(row.headers ? { headers: row.headers } : {}),
      },
    );
    expect(response.status, JSON.stringify(response.body)).toBe(row.status);
    expect(response.body.error.code).toBe(row.code);
    expect(response.body.error.path).toBe(row.path);
    expect(response.body.error.message.length).toBeGreaterThan(10);
  });

  it('lists every problem of an inline spec, each under spec.', async () => {
    const response = await t.api<{ error: { issues: Array<{ path: string; code: string }> } }>(
      'POST',
      '/api/runs',
      {
        body: {
          spec: {
            name: 'x',
            steps: [
              { id: 'a', kind: 'tool', tool: 'echo', input: {}, retry: { maxAttempts: 0 } },
              { id: 'b', kind: 'tool', tool: 'echo', input: '$.steps.nope.output' },
            ],
          },
        },
      },
    );
    expect(response.status).toBe(400);
    const paths = response.body.error.issues.map((issue) => issue.path);
    expect(paths.every((path) => path.startsWith('spec.'))).toBe(true);
    expect(paths).toContain('spec.steps[0].retry.maxAttempts');
  });

  it('names a workflow that is not registered, with the ones that are', async () => {
    const response = await t.api<{ error: { code: string; hint: string } }>('POST', '/api/runs', {
      body: { workflow: 'nope' },
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('WORKFLOW_NOT_REGISTERED');
    expect(response.body.error.hint).toContain('approval, gated, greet');
  });
});

describe('unknown runs', () => {
  it('answers 404 RUN_NOT_FOUND on every endpoint that names a run', async () => {
    const all = (await operations()).filter((operation) => operation.path.includes('{runId}'));
    expect(all.length).toBeGreaterThanOrEqual(7);
    for (const { method, path, operationId } of all) {
      const body = VALID_BODIES[operationId];
      const response = await t.api<{ error: { code: string } }>(
        method,
        path.replace('{runId}', 'run_does_not_exist'),
        body === undefined ? {} : { body },
      );
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error.code).toBe('RUN_NOT_FOUND');
    }
  });
});

describe('runs', () => {
  it('starts a registered workflow, lists it by status and workflow, and shows its steps', async () => {
    const response = await t.api<Submitted>('POST', '/api/runs', {
      body: { workflow: 'approval' },
    });
    expect(response.status).toBe(201);
    const { runId } = response.body;
    expect(response.headers.get('location')).toBe(`/api/runs/${runId}`);
    await until(runId, 'waiting');

    const waiting = await t.api<{ runs: Array<{ runId: string }> }>(
      'GET',
      '/api/runs?status=waiting&workflow=approval&limit=1000',
    );
    expect(waiting.body.runs.map((run) => run.runId)).toContain(runId);
    const completed = await t.api<{ runs: Array<{ runId: string }> }>(
      'GET',
      '/api/runs?status=completed',
    );
    expect(completed.body.runs.map((run) => run.runId)).not.toContain(runId);

    const view = await t.api<{
      steps: Array<{ path: string; status: string }>;
      pending: Array<{ path: string; kind: string }>;
    }>('GET', `/api/runs/${runId}`);
    expect(view.body.steps.map((step) => [step.path, step.status])).toEqual([
      ['prepare', 'completed'],
      ['review', 'waiting'],
    ]);
    expect(view.body.pending).toEqual([{ path: 'review', kind: 'approval', message: 'Go ahead?' }]);

    const graph = await t.api<{ nodes: Array<{ id: string }>; edges: unknown[] }>(
      'GET',
      `/api/runs/${runId}/graph`,
    );
    expect(graph.body.nodes.map((node) => node.id)).toEqual(['prepare', 'review', 'finish']);
    expect(graph.body.edges).toContainEqual({ from: 'review', to: 'finish', kind: 'dependency' });
  });

  it('approves a waiting run, which then completes and verifies', async () => {
    const { runId } = await submit({ workflow: 'approval' });
    await until(runId, 'waiting');
    const approved = await t.api<{ status: string }>('POST', `/api/runs/${runId}/approval`, {
      body: { step: 'review', approved: true, comment: 'ship it' },
    });
    expect(approved.status).toBe(202);
    await until(runId, 'completed');
    const again = await t.api<{ error: { code: string } }>('POST', `/api/runs/${runId}/approval`, {
      body: { step: 'review', approved: true },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('NOT_PENDING');
    const verified = await t.api<{ ok: boolean; decisionsChecked: number }>(
      'POST',
      `/api/runs/${runId}/verify`,
    );
    expect(verified.body.ok).toBe(true);
    expect(verified.body.decisionsChecked).toBeGreaterThan(0);
    const decision = (await journal(runId)).find((event) => event.type === 'approval-decision');
    expect(decision).toMatchObject({ approved: true, comment: 'ship it' });
  });

  it('rejects a run: the approval step fails and so does the run', async () => {
    const { runId } = await submit({ workflow: 'approval' });
    await until(runId, 'waiting');
    const rejected = await t.api('POST', `/api/runs/${runId}/approval`, {
      body: { step: 'review', approved: false },
    });
    expect(rejected.status).toBe(202);
    await until(runId, 'failed');
  });

  it('runs an inline spec with its input', async () => {
    const { runId } = await submit({
      spec: {
        name: 'inline',
        steps: [{ id: 'say', kind: 'tool', tool: 'echo', input: { said: '$.input.word' } }],
        output: '$.steps.say.output.said',
      },
      input: { word: 'hi' },
    });
    await until(runId, 'completed');
    const view = await t.api<{ output: unknown }>('GET', `/api/runs/${runId}`);
    expect(view.body.output).toBe('hi');
  });

  it('cancels a run while this server is driving it, and the journal still verifies', async () => {
    const { runId } = await submit({ workflow: 'gated', input: { tag: 'cancel' } });
    await gates.reached('cancel-s1');
    const busy = await t.api<{ error: { code: string } }>('POST', `/api/runs/${runId}/approval`, {
      body: { step: 's1', approved: true },
    });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('RUN_BUSY');

    const cancelled = await t.api<{ status: string }>('POST', `/api/runs/${runId}/cancel`, {
      body: { reason: 'changed my mind' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    gates.release('cancel-s1');
    await t.server.supervisor.idle(5000);
    const view = await t.api<{ run: { status: string } }>('GET', `/api/runs/${runId}`);
    expect(view.body.run.status).toBe('cancelled');
    const verified = await t.api<{ ok: boolean }>('POST', `/api/runs/${runId}/verify`);
    expect(verified.body.ok).toBe(true);
    const ended = await t.api<{ error: { code: string } }>('POST', `/api/runs/${runId}/cancel`);
    expect(ended.status).toBe(409);
    expect(ended.body.error.code).toBe('RUN_ENDED');
  });
});

describe('event stream', () => {
  it('resumed from a given seq, delivers exactly the events after it, then the rest live', async () => {
    const { runId } = await submit({ workflow: 'approval' });
    await until(runId, 'waiting');
    const stored = await journal(runId);
    expect(stored.length).toBeGreaterThan(5);

    for (const after of [-1, 0, 3, stored.length - 2]) {
      const messages = await readEvents(`${t.url}/api/runs/${runId}/events`, {
        lastEventId: after,
        stop: (_message, all) => journalEvents(all).at(-1)?.seq === stored.length - 1,
      });
      const events = journalEvents(messages);
      expect(events.map((event) => event.seq)).toEqual(
        stored.filter((event) => event.seq > after).map((event) => event.seq),
      );
      expect(events).toEqual(stored.slice(after + 1));
      expect(messages.map((m) => m.id).filter(Boolean)).toEqual(events.map((e) => String(e.seq)));
    }

    // From the pause on, the stream stays open: approve, and the rest arrives live, then `end`.
    const messages = await readEvents(`${t.url}/api/runs/${runId}/events`, {
      lastEventId: stored.length - 1,
      onMessage: async (message) => {
        if (message.event === 'open') {
          const approved = await t.api('POST', `/api/runs/${runId}/approval`, {
            body: { step: 'review', approved: true },
          });
          expect(approved.status).toBe(202);
        }
      },
    });
    const live = journalEvents(messages);
    const all = await journal(runId);
    expect(live).toEqual(all.slice(stored.length));
    expect(live.at(-1)?.type).toBe('run-end');
    expect(messages.at(-1)?.event).toBe('end');
  });

  it('the ?after= query works like Last-Event-ID, and an ended run ends the stream at once', async () => {
    const { runId } = await submit({ workflow: 'greet', input: { name: 'Lin' } });
    await until(runId, 'completed');
    const all = await journal(runId);
    const response = await fetch(`${t.url}/api/runs/${runId}/events?after=2`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const messages = await readEvents(`${t.url}/api/runs/${runId}/events?after=2`);
    expect(journalEvents(messages)).toEqual(all.slice(3));
    const atEnd = await readEvents(`${t.url}/api/runs/${runId}/events`, {
      lastEventId: all.length - 1,
    });
    expect(journalEvents(atEnd)).toEqual([]);
    expect(atEnd.at(-1)?.event).toBe('end');
    await response.body?.cancel();
  });

  it('never loses or repeats an event for clients that join at any moment of a live run', async () => {
    const { runId } = await submit({ workflow: 'gated', input: { tag: 'race' } });
    const streams: Array<Promise<{ after: number; events: JournalEvent[] }>> = [];
    for (let n = 1; n <= 6; n++) {
      await gates.reached(`race-s${n}`);
      const head = (await journal(runId)).length - 1;
      // Clients that resume at every seq seen so far, joining while the run is mid-append.
      for (const after of [-1, Math.floor(head / 2), head - 1, head]) {
        streams.push(
          readEvents(`${t.url}/api/runs/${runId}/events`, { lastEventId: after }).then(
            (messages) => ({ after, events: journalEvents(messages) }),
          ),
        );
      }
      gates.release(`race-s${n}`);
    }
    const results = await Promise.all(streams);
    const all = await journal(runId);
    expect(all.at(-1)?.type).toBe('run-end');
    for (const { after, events } of results) expect(events).toEqual(all.slice(after + 1));
  });
});
