// The MCP client (issue #9): tools of real MCP servers, over real transports, as Switchyard tools —
// `tool` steps and route nodes — with the journal showing every call, failure, retry and reroute.
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { connectMcpServers, type McpServers } from '../../src/runtime/mcp.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { McpServerConnection } from '../../src/tools/mcp/client.js';
import { ManualClock } from '../support/manual-clock.js';
import {
  configOf,
  eventually,
  everythingStdio,
  FIXTURE,
  killed,
  ofType,
  spec,
  startEverythingHttp,
} from './support.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function runtimeWithLog(): { runtime: Runtime; log: Map<string, JournalEvent[]> } {
  const log = new Map<string, JournalEvent[]>();
  const runtime = new Runtime({
    store: new MemoryJournalStore(),
    onEvents: (runId, events) => log.set(runId, [...(log.get(runId) ?? []), ...events]),
  });
  return { runtime, log };
}

/** Start → Primary (cheap) or Backup (dearer) → Done: a route that reroutes when Primary fails. */
function failoverRoute(name: string, primaryTool: string, input: Record<string, unknown>) {
  return spec({
    name,
    steps: [
      {
        id: 'route',
        kind: 'route',
        graph: {
          nodes: [
            { id: 'Start' },
            { id: 'Primary', tool: primaryTool },
            { id: 'Backup', tool: 'backup.echo' },
            { id: 'Done', tool: 'backup.get-sum' },
          ],
          edges: [
            { from: 'Start', to: 'Primary', cost: 0.1 },
            { from: 'Start', to: 'Backup', cost: 0.5 },
            { from: 'Primary', to: 'Done', cost: 0.1 },
            { from: 'Backup', to: 'Done', cost: 0.1 },
          ],
        },
        start: 'Start',
        goal: 'Done',
        input,
      },
    ],
  });
}

async function connect(
  runtime: Runtime,
  servers: Parameters<typeof configOf>[0],
): Promise<McpServers> {
  const connected = await connectMcpServers(runtime, configOf(servers));
  cleanups.push(() => connected.close());
  return connected;
}

describe('MCP tools as tool steps (reference everything server, stdio)', () => {
  it('registers the server tools as <server>.<tool> and a tool step calls one, output journaled', async () => {
    const { runtime } = runtimeWithLog();
    await connect(runtime, { everything: everythingStdio() });
    expect(runtime.tools.names()).toContain('everything.get-sum');
    expect(runtime.tools.get('everything.get-sum')?.retry).toBe('safe'); // annotated idempotent

    const outcome = await runtime.start({
      spec: spec({
        name: 'sum',
        steps: [{ id: 'sum', kind: 'tool', tool: 'everything.get-sum', input: { a: 2, b: 3 } }],
      }),
    });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toMatchObject({ text: 'The sum of 2 and 3 is 5.' });
    const events = await runtime.events(outcome.runId);
    const start = ofType(events, 'run-start')[0];
    expect(start?.tools['everything.get-sum']?.version).toMatch(/^mcp-[0-9a-f]{12}$/);
    expect((await runtime.verify(outcome.runId)).ok).toBe(true);
  });

  it('a server killed mid-call fails the attempt, is respawned, and the step retry succeeds', async () => {
    const { runtime, log } = runtimeWithLog();
    const servers = await connect(runtime, { everything: everythingStdio() });
    const firstPid = servers.get('everything')?.pid;
    const running = runtime.start({
      spec: spec({
        name: 'slow',
        steps: [
          {
            id: 'slow',
            kind: 'tool',
            tool: 'everything.trigger-long-running-operation',
            input: { duration: 0.6, steps: 2 },
            retry: { maxAttempts: 3, backoff: { initialMs: 300, jitter: false } },
          },
        ],
      }),
    });
    await eventually(
      () => [...log.values()].some((events) => ofType(events, 'tool-call-start').length > 0),
      'the first tool-call-start',
    );
    process.kill(firstPid as number, 'SIGKILL');
    const outcome = await running;

    expect(outcome.status).toBe('completed');
    const events = await runtime.events(outcome.runId);
    const errors = ofType(events, 'tool-call-error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toMatchObject({ type: 'mcp-connection-lost', retryable: true });
    expect(ofType(events, 'tool-call-start').map((e) => e.attempt)).toEqual([1, 2]);
    expect(ofType(events, 'tool-call-end')[0]?.output).toMatchObject({
      text: expect.stringContaining('Long running operation completed') as unknown,
    });
    expect(servers.get('everything')?.pid).not.toBe(firstPid);
    expect((await runtime.verify(outcome.runId)).ok).toBe(true);
  });

  it('a route reroutes to another server when the preferred server is killed mid-call', async () => {
    const { runtime, log } = runtimeWithLog();
    const servers = await connect(runtime, {
      primary: everythingStdio(),
      backup: everythingStdio(),
    });
    const running = runtime.start({
      spec: failoverRoute('routed', 'primary.trigger-long-running-operation', {
        duration: 0.6,
        steps: 2,
        message: 'refund',
        a: 1,
        b: 2,
      }),
    });
    await eventually(
      () => [...log.values()].some((events) => ofType(events, 'tool-call-start').length > 0),
      'the call to Primary',
    );
    process.kill(servers.get('primary')?.pid as number, 'SIGKILL');
    const outcome = await running;

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toMatchObject({ status: 'reached', path: ['Start', 'Backup', 'Done'] });
    const events = await runtime.events(outcome.runId);
    const reroutes = ofType(events, 'route-reroute');
    expect(reroutes).toHaveLength(1);
    expect(reroutes[0]).toMatchObject({ node: 'Primary', cause: 'tool-failed' });
    expect(JSON.stringify(reroutes[0])).toContain('connection to the MCP server was lost');
    expect((await runtime.verify(outcome.runId)).ok).toBe(true);
  });
});

describe('MCP tools over Streamable HTTP (reference everything server)', () => {
  it('a server that stays down is marked unhealthy and the next route goes around it uncalled', async () => {
    const primary = await startEverythingHttp();
    const backup = await startEverythingHttp();
    cleanups.push(
      () => killed(primary.child),
      () => killed(backup.child),
    );
    const { runtime } = runtimeWithLog();
    await connect(runtime, {
      primary: { url: primary.url, reconnect: { initialMs: 20, maxMs: 50, downAfter: 2 } },
      backup: { url: backup.url },
    });
    const refund = failoverRoute('refund', 'primary.echo', { message: 'refund', a: 1, b: 2 });

    await killed(primary.child);
    const first = await runtime.start({ spec: refund });
    expect(first.status).toBe('completed');
    const firstEvents = await runtime.events(first.runId);
    expect(ofType(firstEvents, 'route-reroute')[0]).toMatchObject({
      node: 'Primary',
      cause: 'tool-failed',
    });

    // The client keeps reconnecting; after `downAfter` failures the tools' breakers open.
    await eventually(
      () => runtime.health.down(['primary.echo'], Date.now()).length === 1,
      'primary.echo marked down',
    );
    const second = await runtime.start({ spec: refund });
    expect(second.status).toBe('completed');
    const secondEvents = await runtime.events(second.runId);
    expect(ofType(secondEvents, 'route-reroute')[0]).toMatchObject({
      node: 'Primary',
      cause: 'tool-down',
    });
    const called = ofType(secondEvents, 'tool-call-start').map((event) => event.tool);
    expect(called).not.toContain('primary.echo');
    expect(called).toEqual(['backup.echo', 'backup.get-sum']);
  });
});

describe('MCP tools over Streamable HTTP, server killed mid-call', () => {
  it('the route reroutes when the HTTP server dies during the call, and the journal shows it', async () => {
    const primary = await startEverythingHttp();
    const backup = await startEverythingHttp();
    cleanups.push(
      () => killed(primary.child),
      () => killed(backup.child),
    );
    const { runtime, log } = runtimeWithLog();
    await connect(runtime, {
      // No scheduled ping: the broken response stream itself must fail the call in flight.
      primary: {
        url: primary.url,
        pingIntervalMs: 0,
        reconnect: { initialMs: 20, maxMs: 50, downAfter: 2 },
      },
      backup: { url: backup.url },
    });
    const running = runtime.start({
      // Long enough that only a noticed disconnect ends the call within the test's time.
      spec: failoverRoute('routed-http', 'primary.trigger-long-running-operation', {
        duration: 60,
        steps: 4,
        message: 'refund',
        a: 1,
        b: 2,
      }),
    });
    await eventually(
      () => [...log.values()].some((events) => ofType(events, 'tool-call-start').length > 0),
      'the call to Primary',
    );
    await killed(primary.child);
    const outcome = await running;

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toMatchObject({ status: 'reached', path: ['Start', 'Backup', 'Done'] });
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'tool-call-start').map((event) => event.tool)).toEqual([
      'primary.trigger-long-running-operation',
      'backup.echo',
      'backup.get-sum',
    ]);
    expect(ofType(events, 'tool-call-error')).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({ type: 'mcp-connection-lost' }) as unknown,
      }),
    ]);
    expect(ofType(events, 'route-reroute')).toEqual([
      expect.objectContaining({ node: 'Primary', cause: 'tool-failed' }),
    ]);
    expect((await runtime.verify(outcome.runId)).ok).toBe(true);
  });
});

describe('MCP health of an idle HTTP server', () => {
  it('notices by ping that an idle server went away and marks its tools down before any call', async () => {
    const server = await startEverythingHttp();
    cleanups.push(() => killed(server.child));
    const { runtime } = runtimeWithLog();
    const servers = await connect(runtime, {
      remote: {
        url: server.url,
        pingIntervalMs: 50,
        reconnect: { initialMs: 20, maxMs: 50, downAfter: 2 },
      },
    });
    expect(runtime.health.down(['remote.echo'], Date.now())).toEqual([]);
    await killed(server.child);
    await eventually(
      () => runtime.health.down(['remote.echo', 'remote.get-sum'], Date.now()).length === 2,
      'the idle server to be marked down',
    );
    expect(servers.get('remote')?.state).toBe('reconnecting');
  });
});

describe('MCP client behaviour (fixture server built on the SDK, stdio)', () => {
  const fixture = (env: Record<string, string> = {}) => ({
    command: process.execPath,
    args: [FIXTURE],
    env,
  });

  it('passes the step idempotency key in _meta', async () => {
    const { runtime } = runtimeWithLog();
    await connect(runtime, { fx: fixture() });
    const outcome = await runtime.start({
      spec: spec({
        name: 'meta',
        steps: [{ id: 'who', kind: 'tool', tool: 'fx.whoami', input: {} }],
      }),
    });
    const key = ofType(await runtime.events(outcome.runId), 'tool-call-start')[0]?.key;
    expect(key).toBeTruthy();
    expect(outcome.output).toEqual({
      meta: {
        'switchyard/idempotencyKey': key,
        'switchyard/runId': outcome.runId,
        'switchyard/stepPath': 'who',
        'switchyard/attempt': 1,
      },
    });
  });

  it('an isError result is a journaled tool failure, retried per the step policy', async () => {
    const { runtime } = runtimeWithLog();
    await connect(runtime, { fx: fixture({ FIXTURE_FAILS: '1' }) });
    const outcome = await runtime.start({
      spec: spec({
        name: 'flaky',
        steps: [
          {
            id: 'call',
            kind: 'tool',
            tool: 'fx.flaky',
            input: {},
            retry: { maxAttempts: 2, backoff: { initialMs: 1, jitter: false } },
          },
        ],
      }),
    });
    expect(outcome.status).toBe('completed');
    const errors = ofType(await runtime.events(outcome.runId), 'tool-call-error');
    expect(errors.map((e) => e.error)).toEqual([
      {
        type: 'mcp-tool-error',
        message: 'tool fx.flaky reported an error: upstream said no',
        retryable: true,
      },
    ]);
  });

  it('an unsafe tool whose server dies mid-call is not called again: the failure is not retryable', async () => {
    const { runtime, log } = runtimeWithLog();
    const servers = await connect(runtime, {
      fx: { ...fixture(), reconnect: { initialMs: 20, maxMs: 50, downAfter: 5 } },
    });
    expect(runtime.tools.get('fx.hang')?.retry).toBe('unsafe');
    const running = runtime.start({
      spec: spec({
        name: 'hang',
        steps: [
          {
            id: 'charge',
            kind: 'tool',
            tool: 'fx.hang',
            input: {},
            retry: { maxAttempts: 3, backoff: { initialMs: 1, jitter: false } },
          },
        ],
      }),
    });
    await eventually(
      () => [...log.values()].some((events) => ofType(events, 'tool-call-start').length > 0),
      'the call to be out',
    );
    process.kill(servers.get('fx')?.pid as number, 'SIGKILL');
    const outcome = await running;
    expect(outcome.status).toBe('failed');
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'tool-call-start')).toHaveLength(1);
    expect(ofType(events, 'tool-call-error')[0]?.error).toMatchObject({
      type: 'mcp-connection-lost',
      retryable: false,
    });
  });

  it('input failing the tool JSON Schema is a typed error before anything is sent', async () => {
    const { runtime } = runtimeWithLog();
    const servers = await connect(runtime, { fx: fixture() });
    const connection = servers.get('fx') as McpServerConnection;
    await expect(connection.callTool('add', { a: 1, b: 'two' })).rejects.toMatchObject({
      code: 'MCP_INPUT_INVALID',
      server: 'fx',
      path: '#/b',
    });
    const outcome = await runtime.start({
      spec: spec({
        name: 'bad',
        steps: [{ id: 'add', kind: 'tool', tool: 'fx.add', input: { a: 1 } }],
      }),
    });
    expect(outcome.status).toBe('failed');
    const error = ofType(await runtime.events(outcome.runId), 'tool-call-error')[0]?.error;
    expect(error).toMatchObject({ type: 'invalid-input', retryable: false });
    // Neither call reached the server: the next one is its first.
    expect(await connection.callTool('calls', {})).toEqual({ calls: 1 });
  });

  it('refreshes the cached tool list on tools/list_changed and registers the new tool', async () => {
    const { runtime } = runtimeWithLog();
    await connect(runtime, { fx: fixture() });
    expect(runtime.tools.get('fx.extra')).toBeUndefined();
    await runtime.start({
      spec: spec({
        name: 'grow',
        steps: [{ id: 'grow', kind: 'tool', tool: 'fx.grow', input: {} }],
      }),
    });
    await eventually(() => runtime.tools.get('fx.extra'), 'fx.extra to be registered', 5000);
    const outcome = await runtime.start({
      spec: spec({ name: 'x', steps: [{ id: 'x', kind: 'tool', tool: 'fx.extra', input: {} }] }),
    });
    expect(outcome.status).toBe('completed');
  });

  it('an empty tool listing is an error naming the server, not "no tools"', async () => {
    const { runtime } = runtimeWithLog();
    await expect(
      connectMcpServers(runtime, configOf({ quiet: fixture({ FIXTURE_TOOLS: 'none' }) })),
    ).rejects.toMatchObject({ code: 'MCP_NO_TOOLS', server: 'quiet' });
  });

  it('a tools/list that fails is MCP_LIST_FAILED with the server reason, not "no tools"', async () => {
    const { runtime } = runtimeWithLog();
    const failure = connectMcpServers(
      runtime,
      configOf({
        healthy: fixture(),
        broken: fixture({ FIXTURE_TOOLS: 'fail' }),
      }),
    );
    await expect(failure).rejects.toMatchObject({ code: 'MCP_LIST_FAILED', server: 'broken' });
    await expect(failure).rejects.toThrow(/tool catalogue unavailable/);
    // Nothing half-registered: the healthy server's tools are not left behind.
    expect(runtime.tools.get('healthy.add')).toBeUndefined();
  });

  it("a tool name clash stops the connect and leaves none of that server's tools behind", async () => {
    const { runtime } = runtimeWithLog();
    const own = { name: 'fx.add', retry: 'safe' as const, execute: () => ({ mine: true }) };
    runtime.tools.register(own);
    await expect(connectMcpServers(runtime, configOf({ fx: fixture() }))).rejects.toMatchObject({
      code: 'TOOL_DUPLICATE',
    });
    // fx.whoami, fx.calls and fx.flaky were listed (and registered) before fx.add clashed.
    expect(runtime.tools.get('fx.whoami')).toBeUndefined();
    expect(runtime.tools.get('fx.flaky')).toBeUndefined();
    expect(runtime.tools.get('fx.add')).toBe(own);
  });

  it('a command that does not start is MCP_CONNECT_FAILED naming the server', async () => {
    const { runtime } = runtimeWithLog();
    await expect(
      connectMcpServers(
        runtime,
        configOf({ ghost: { command: process.execPath, args: ['-e', 'process.exit(3)'] } }),
      ),
    ).rejects.toMatchObject({ code: 'MCP_CONNECT_FAILED', server: 'ghost' });
  });

  it('reconnects with backoff on the given clock after the server dies', async () => {
    const clock = new ManualClock();
    const connection = new McpServerConnection(
      {
        name: 'fx',
        transport: { kind: 'stdio', command: process.execPath, args: [FIXTURE] },
        reconnect: { initialMs: 1000, maxMs: 4000, downAfter: 2 },
      },
      { clock },
    );
    cleanups.push(() => connection.close());
    await connection.connect();
    const pid = connection.pid as number;
    process.kill(pid, 'SIGKILL');
    await eventually(() => connection.state === 'reconnecting', 'the loss to be noticed');
    expect(clock.pendingTimers).toBe(1);
    // Nothing happens until the backoff has passed on the clock.
    clock.advance(999);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connection.state).toBe('reconnecting');
    await expect(connection.callTool('calls', {})).rejects.toMatchObject({
      name: 'mcp-unavailable',
      retryable: true,
    });
    clock.advance(1);
    await eventually(() => connection.state === 'connected', 'the reconnect');
    expect(connection.pid).not.toBe(pid);
    expect(await connection.callTool('calls', {})).toEqual({ calls: 1 });
  });
});
