// Shared pieces of the MCP tests: where the servers are, a Runtime with configured MCP servers, and
// short bounded waits for real processes (the engine's clock is not involved in these waits).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JournalEvent } from '../../src/core/events.js';
import { parseWorkflow } from '../../src/spec/parse.js';
import type { WorkflowSpec } from '../../src/core/spec.js';
import type { McpServerConfig, LoadedConfig } from '../../src/runtime/config.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The reference "everything" server, a devDependency: a real third-party MCP server. */
export const EVERYTHING = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
export const FIXTURE = path.join(ROOT, 'test/mcp/fixtures/fixture-server.mjs');
export const CLI = path.join(ROOT, 'dist/cli/main.js');

export function configOf(mcpServers: Record<string, McpServerConfig>): LoadedConfig {
  return { file: undefined, dir: ROOT, config: { mcpServers } };
}

export function everythingStdio(extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    command: process.execPath,
    args: [EVERYTHING, 'stdio'],
    reconnect: { initialMs: 50, maxMs: 200, downAfter: 2 },
    ...extra,
  };
}

export function spec(raw: unknown): WorkflowSpec {
  return parseWorkflow(raw);
}

/** Polls `check` every 20 ms until it holds, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function ofType<T extends JournalEvent['type']>(
  events: readonly JournalEvent[],
  type: T,
): Array<Extract<JournalEvent, { type: T }>> {
  return events.filter((event): event is Extract<JournalEvent, { type: T }> => event.type === type);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Starts the everything server on Streamable HTTP and resolves once it listens. */
export async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`everything server did not start: ${stderr}`)),
      15_000,
    );
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`everything server exited ${String(code)}: ${stderr}`));
    });
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

export function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
