// `switchyard mcp` (issue #9, server half) driven by the official SDK's Client over real transports:
// the CLI as a stdio child process, and over Streamable HTTP on loopback, killed with SIGKILL mid-run
// and restarted on the same store, where the same run is awaited to completion.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  ProgressNotificationSchema,
  type CallToolResult,
  type Progress,
} from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { openStore } from '../../src/journal/open-store.js';
import type { LoadedConfig } from '../../src/runtime/config.js';
import { connectMcpServers } from '../../src/runtime/mcp.js';
import { parseWorkflow } from '../../src/spec/parse.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { CLI, eventually, killed, ofType, ROOT } from './support.js';

const CONFIG = path.join(ROOT, 'test/mcp/fixtures/project/switchyard.config.yaml');
const TOKEN = 'test-token-0123456789abcdef';

let dir: string;
const cleanups: Array<() => Promise<unknown>> = [];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'switchyard-mcp-'));
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const store = () => `sqlite:${path.join(dir, 'journal.db')}`;

function structured(result: Awaited<ReturnType<Client['callTool']>>): Record<string, unknown> {
  return (result as CallToolResult).structuredContent as Record<string, unknown>;
}

async function stdioClient(): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--stdio', '--config', CONFIG, '--store', store()],
      env: { ...(process.env as Record<string, string>), SWITCHYARD_LOG_LEVEL: 'warn' },
      stderr: 'pipe',
    }),
  );
  cleanups.push(() => client.close());
  return client;
}

/** `switchyard mcp --http 0` as a child process; resolves with its endpoint once it listens. */
async function httpServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [CLI, 'mcp', '--http', '0', '--config', CONFIG, '--store', store()],
    {
      env: { ...process.env, SWITCHYARD_TOKEN: TOKEN, SWITCHYARD_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  cleanups.push(() => killed(child));
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no url: ${stderr}`)), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /switchyard mcp: (http:\S+)/.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${String(code)}: ${stderr}`)));
  });
  return { url, child };
}

/**
 * Records every progress notification the client receives. The SDK's client dispatches a
 * notification a microtask after it reads it but a response at once, so when the last progress
 * and the answer arrive in one read (a loaded machine) the response retires the call's
 * `onprogress` first and the progress is dropped as "unknown token" (typescript-sdk#2580). The
 * server sent it before the answer; this listens below that race, on the notification itself.
 */
function recordProgress(client: Client): Progress[] {
  const progress: Progress[] = [];
  client.setNotificationHandler(ProgressNotificationSchema, (notification) => {
    const { progressToken: _token, ...update } = notification.params;
    progress.push(update);
  });
  return progress;
}

async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  cleanups.push(() => client.close());
  return client;
}

describe('switchyard mcp over stdio', () => {
  it('lists workflows as tools, runs one with progress, takes an approval and returns the output', async () => {
    const client = await stdioClient();
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'review',
        'slow',
        'switchyard_start_run',
        'switchyard_get_run',
        'switchyard_await_run',
        'switchyard_decide_approval',
        'switchyard_verify_run',
      ]),
    );
    // The workflow's own input schema is the tool's.
    expect(tools.find((tool) => tool.name === 'review')?.inputSchema).toMatchObject({
      type: 'object',
      required: ['text'],
    });

    const progress = recordProgress(client);
    const paused = structured(
      await client.callTool({ name: 'review', arguments: { text: 'hello' } }, undefined, {
        onprogress: () => undefined,
      }),
    );
    expect(paused).toMatchObject({
      status: 'waiting',
      pending: [{ path: 'review', kind: 'approval' }],
    });
    const messages = progress.map((update) => update.message);
    // From the run's first batch on (run-start and the first call, decided together).
    expect(messages[0]).toBe('step draft: calling everything.echo (attempt 1)');
    expect(messages).toContain('step review waits for approval');
    // Progress counts journal positions: it only goes up.
    const values = progress.map((update) => update.progress);
    expect([...values].sort((a, b) => a - b)).toEqual(values);

    const runId = paused.runId as string;
    const decided = structured(
      await client.callTool({
        name: 'switchyard_decide_approval',
        arguments: { runId, step: 'review', approved: true, comment: 'ship it' },
      }),
    );
    expect(decided).toMatchObject({ runId });
    const done = structured(
      await client.callTool({ name: 'switchyard_await_run', arguments: { runId } }),
    );
    expect(done).toMatchObject({
      status: 'completed',
      output: { published: 'ECHO: HELLO', comment: 'ship it' },
    });
    const verified = structured(
      await client.callTool({ name: 'switchyard_verify_run', arguments: { runId } }),
    );
    expect(verified).toMatchObject({ ok: true });
  });

  it('a rejection over MCP fails the approval step with the comment, and a second decision is refused', async () => {
    const client = await stdioClient();
    const started = structured(
      await client.callTool({
        name: 'switchyard_start_run',
        arguments: { workflow: 'review', input: { text: 'draft' } },
      }),
    );
    const runId = started.runId as string;
    const waiting = structured(
      await client.callTool({ name: 'switchyard_await_run', arguments: { runId } }),
    );
    expect(waiting).toMatchObject({ status: 'waiting', pending: [{ path: 'review' }] });

    await client.callTool({
      name: 'switchyard_decide_approval',
      arguments: { runId, step: 'review', approved: false, comment: 'not on brand' },
    });
    const done = structured(
      await client.callTool({ name: 'switchyard_await_run', arguments: { runId } }),
    );
    expect(done).toMatchObject({
      runId,
      status: 'failed',
      error: { type: 'rejected', message: 'not on brand' },
    });
    // publish never ran: the rejection stopped the run at the approval.
    const steps = (done.steps as Array<{ path: string; status: string }>).map((s) => s.path);
    expect(steps).toEqual(['draft', 'review']);

    const again = (await client.callTool({
      name: 'switchyard_decide_approval',
      arguments: { runId, step: 'review', approved: true },
    })) as CallToolResult;
    expect(again.isError).toBe(true);
    expect(again.structuredContent).toMatchObject({
      error: { code: 'NOT_PENDING', path: 'review' },
    });
    const verified = structured(
      await client.callTool({ name: 'switchyard_verify_run', arguments: { runId } }),
    );
    expect(verified).toMatchObject({ ok: true });
  });

  it('the desktop-client config in docs/mcp.md starts the server as written, paths substituted', async () => {
    const docs = readFileSync(path.join(ROOT, 'docs/mcp.md'), 'utf8');
    const block = /### A desktop client[\s\S]*?```json\n([\s\S]*?)```/.exec(docs)?.[1];
    const entry = (
      JSON.parse(block ?? '{}') as {
        mcpServers: Record<string, { command: string; args: string[]; env: object }>;
      }
    ).mcpServers.switchyard;
    expect(entry?.command).toBe('node');
    const project = '/Users/me/project';
    const args = (entry?.args ?? []).map((arg) =>
      arg
        .replace(`${project}/node_modules/switchyard/dist/cli/main.js`, CLI)
        .replace(`${project}/switchyard.config.yaml`, CONFIG)
        .replace(`sqlite:${project}/.switchyard/journal.db`, store()),
    );
    expect(args.join(' ')).not.toContain(project);
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args, stderr: 'pipe' }),
    );
    cleanups.push(() => client.close());
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('review');
  });

  it('answers bad input and unknown runs with typed tool errors', async () => {
    const client = await stdioClient();
    const bad = (await client.callTool({
      name: 'review',
      arguments: { text: 3 },
    })) as CallToolResult;
    expect(bad.isError).toBe(true);
    expect(bad.structuredContent).toMatchObject({ error: { code: 'INPUT_INVALID' } });
    const missing = (await client.callTool({
      name: 'switchyard_get_run',
      arguments: { runId: 'run_nope' },
    })) as CallToolResult;
    expect(missing.structuredContent).toMatchObject({ error: { code: 'RUN_NOT_FOUND' } });
    const wrong = (await client.callTool({
      name: 'switchyard_await_run',
      arguments: { runId: 'x', timeoutMs: -1 },
    })) as CallToolResult;
    expect(wrong.structuredContent).toMatchObject({
      error: { code: 'MCP_ARGUMENTS_INVALID', path: 'timeoutMs' },
    });
  });
});

describe('switchyard mcp over Streamable HTTP', () => {
  it('refuses a request without the bearer token', async () => {
    const { url } = await httpServer();
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('a Switchyard client reaches it with the configured header: served workflows become tool steps', async () => {
    const { url } = await httpServer();
    const runtime = new Runtime({ store: new MemoryJournalStore() });
    const config = (headers?: Record<string, string>): LoadedConfig => ({
      file: undefined,
      dir,
      config: { mcpServers: { upstream: { url, ...(headers ? { headers } : {}) } } },
    });
    // Without the header the handshake is refused, and the error says by whom.
    await expect(connectMcpServers(runtime, config())).rejects.toMatchObject({
      code: 'MCP_CONNECT_FAILED',
      server: 'upstream',
    });

    const servers = await connectMcpServers(
      runtime,
      config({ authorization: 'Bearer ${UPSTREAM_TOKEN}' }),
      { env: { UPSTREAM_TOKEN: TOKEN } },
    );
    cleanups.push(() => servers.close());
    expect(runtime.tools.get('upstream.slow')).toBeDefined();
    const outcome = await runtime.start({
      spec: parseWorkflow({
        name: 'nested',
        steps: [{ id: 'remote', kind: 'tool', tool: 'upstream.slow', input: { ms: 10 } }],
        output: '$.steps.remote.output',
      }),
    });
    expect(outcome).toMatchObject({ status: 'completed' });
    expect(JSON.stringify(outcome.output)).toContain('DONE');
  });

  it('a run started over MCP survives SIGKILL of the server and is awaited after restart', async () => {
    const first = await httpServer();
    const client = await httpClient(first.url);
    const started = structured(
      await client.callTool({
        name: 'switchyard_start_run',
        arguments: { workflow: 'slow', input: { ms: 2500 } },
      }),
    );
    const runId = started.runId as string;
    expect(started).toMatchObject({ status: 'running', workflow: 'slow' });
    // Kill it while the slow tool is in flight: its tool-call-start is durable.
    await eventually(async () => {
      const run = structured(
        await client.callTool({ name: 'switchyard_get_run', arguments: { runId } }),
      );
      const steps = run.steps as Array<{ path: string; status: string }>;
      return steps.some((step) => step.path === 'wait' && step.status === 'running');
    }, 'the slow step to be running');
    await killed(first.child);

    const second = await httpServer();
    const again = await httpClient(second.url);
    const progress = recordProgress(again);
    const done = structured(
      await again.callTool(
        { name: 'switchyard_await_run', arguments: { runId, timeoutMs: 20_000 } },
        undefined,
        { onprogress: () => undefined, timeout: 30_000 },
      ),
    );
    expect(done).toMatchObject({ runId, status: 'completed', output: 'DONE' });
    expect(progress.length).toBeGreaterThan(0);

    await killed(second.child);
    const journal = await openStore(store(), { cwd: dir });
    try {
      const events = await new Runtime({ store: journal }).events(runId);
      // The in-flight call was interrupted by the crash and, the tool being safe, called again
      // with the same idempotency key.
      // On failure, the journal's shape says which process did what.
      const trail = events.map((event) => `${event.seq}:${event.type}`).join(' ');
      expect(ofType(events, 'tool-call-interrupted'), trail).toHaveLength(1);
      const calls = ofType(events, 'tool-call-start').filter((event) => event.path === 'wait');
      expect(calls, trail).toHaveLength(2);
      expect(calls[0]?.key).toBe(calls[1]?.key);
      expect(ofType(events, 'run-end')[0]).toMatchObject({ status: 'completed' });
    } finally {
      await journal.close();
    }
  });
});
