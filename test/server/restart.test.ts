// `switchyard serve` as a user runs it (the built CLI in a child process): refusing to start without
// a token, --insecure-local, and runs in flight surviving a SIGKILL of the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import { cli, cliPath } from '../support/cli.js';
import { removeDir, TOKEN } from './support.js';

const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-serve-'));
const calls = path.join(dir, 'calls.log');
/** While this file exists, the `middle` calls hold (in flight); the test removes it after the kill. */
const hold = path.join(dir, 'hold');
afterAll(() => removeDir(dir));

writeFileSync(
  path.join(dir, 'tools.mjs'),
  `import { appendFileSync, existsSync } from 'node:fs';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const record = (name, context) => appendFileSync(${JSON.stringify(calls)}, name + ' ' + context.idempotencyKey + '\\n');
const held = async (input) => { while (input.hold && existsSync(${JSON.stringify(hold)})) await sleep(10); };
export const slow = { name: 'slow', retry: 'safe', execute: async (input, context) => { record('slow', context); await held(input); return { ok: true }; } };
export const charge = { name: 'charge', retry: 'unsafe', execute: async (input, context) => { record('charge', context); await held(input); return { charged: true }; } };
`,
);
const chain = (name: string, tool: string) => ({
  name,
  steps: [
    { id: 'first', kind: 'tool', tool: 'slow', input: {} },
    { id: 'middle', kind: 'tool', tool, input: { hold: true }, after: ['first'] },
    { id: 'last', kind: 'tool', tool: 'slow', input: {}, after: ['middle'] },
  ],
});
writeFileSync(path.join(dir, 'safe.json'), JSON.stringify(chain('safe', 'slow')));
writeFileSync(path.join(dir, 'unsafe.json'), JSON.stringify(chain('unsafe', 'charge')));
const config = path.join(dir, 'switchyard.config.json');
writeFileSync(
  config,
  JSON.stringify({
    store: 'sqlite:journal.db',
    tools: './tools.mjs',
    workflows: ['safe.json', 'unsafe.json'],
  }),
);

interface Served {
  child: ChildProcess;
  url: string;
  resumed: number;
  stderr: () => string;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** Starts `switchyard serve` and waits for its `listening` log line. */
function serve(
  args: string[],
  env: Record<string, string> = { SWITCHYARD_TOKEN: TOKEN },
): Promise<Served> {
  const child = spawn(
    process.execPath,
    [cliPath, 'serve', '--port', '0', '--config', config, ...args],
    {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', SWITCHYARD_TOKEN: '', ...env },
    },
  );
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const entry = JSON.parse(line) as { url: string; resumed: number };
        resolve({ child, url: entry.url, resumed: entry.resumed, stderr: () => stderr });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

async function call<T>(
  url: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition never held');
}

const journal = (url: string, runId: string) =>
  call<{ events: JournalEvent[] }>(`${url}/api/runs/${runId}/journal`, 'GET').then(
    (r) => r.body.events,
  );
const status = (url: string, runId: string) =>
  call<{ run: { status: string } }>(`${url}/api/runs/${runId}`, 'GET').then(
    (r) => r.body.run.status,
  );

describe('switchyard serve', () => {
  it('refuses to start without a token, naming how to set one (exit 2)', () => {
    const result = cli(['serve', '--port', '0', '--config', config], {
      env: { SWITCHYARD_TOKEN: '' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error\[SERVER_TOKEN_MISSING\]/);
    expect(result.stderr).toMatch(/SWITCHYARD_TOKEN/);
  });

  it('refuses --insecure-local on an address other machines can reach (exit 2)', () => {
    const result = cli(
      ['serve', '--port', '0', '--config', config, '--insecure-local', '--host', '0.0.0.0'],
      {
        env: { SWITCHYARD_TOKEN: '' },
      },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error\[SERVER_INSECURE_NOT_LOOPBACK\]/);
  });

  it('refuses a token shorter than 16 characters (exit 2)', () => {
    const result = cli(['serve', '--port', '0', '--config', config], {
      env: { SWITCHYARD_TOKEN: 'short' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error\[SERVER_TOKEN_WEAK\]/);
  });

  it('with --insecure-local on loopback, warns loudly and serves without a token to loopback hosts only', async () => {
    const served = await serve(['--insecure-local'], { SWITCHYARD_TOKEN: '' });
    expect(served.stderr()).toMatch(/WARNING: --insecure-local: .* WITHOUT A TOKEN/);
    const open = await fetch(`${served.url}/api/workflows`);
    expect(open.status).toBe(200);
    // A page whose DNS name was rebound to 127.0.0.1 still sends its own name as Host.
    const rebound = await new Promise<number>((resolve, reject) => {
      const target = new URL(`${served.url}/api/workflows`);
      request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          headers: { host: 'evil.example' },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);
    served.child.kill('SIGTERM');
    expect(await new Promise((resolve) => served.child.on('exit', resolve))).toBe(0);
  });

  it('resumes runs in flight after a SIGKILL: a safe tool is called again, an unsafe one waits for a decision', async () => {
    writeFileSync(calls, '');
    writeFileSync(hold, '');
    const first = await serve([]);
    const safe = await call<{ runId: string }>(`${first.url}/api/runs`, 'POST', {
      workflow: 'safe',
    });
    const unsafe = await call<{ runId: string }>(`${first.url}/api/runs`, 'POST', {
      workflow: 'unsafe',
    });
    expect([safe.status, unsafe.status]).toEqual([201, 201]);
    // Kill the server while both middle calls are in flight (their start is durable).
    for (const run of [safe.body.runId, unsafe.body.runId]) {
      await eventually(
        () => journal(first.url, run),
        (events) =>
          events.some((event) => event.type === 'tool-call-start' && event.path === 'middle'),
      );
    }
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.on('exit', resolve));

    rmSync(hold);
    const second = await serve([]);
    expect(second.resumed).toBe(2);

    const unsafeStatus = await eventually(
      () => status(second.url, unsafe.body.runId),
      (value) => value !== 'running',
    );
    expect(unsafeStatus).toBe('outcome-unknown');
    const view = await call<{ pending: Array<{ path: string; kind: string }> }>(
      `${second.url}/api/runs/${unsafe.body.runId}`,
      'GET',
    );
    expect(view.body.pending).toEqual([
      expect.objectContaining({ path: 'middle', kind: 'outcome-unknown' }),
    ]);
    const resolved = await call(`${second.url}/api/runs/${unsafe.body.runId}/resolution`, 'POST', {
      step: 'middle',
      action: 'complete',
      value: { charged: true },
    });
    expect(resolved.status).toBe(202);
    await eventually(
      () => status(second.url, unsafe.body.runId),
      (value) => value === 'completed',
    );

    const events = await journal(second.url, safe.body.runId);
    expect(
      events.some((event) => event.type === 'tool-call-interrupted' && event.path === 'middle'),
    ).toBe(true);

    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    // The unsafe tool ran once; the safe one was called again with the same idempotency key.
    const charges = lines.filter((line) => line.startsWith('charge '));
    expect(charges).toHaveLength(1);
    const slowMiddle = lines
      .filter((line) => line.startsWith('slow '))
      .map((line) => line.split(' ')[1]);
    const repeated = slowMiddle.filter((key, index) => slowMiddle.indexOf(key) !== index);
    expect(repeated).toHaveLength(1);

    for (const run of [safe.body.runId, unsafe.body.runId]) {
      const verified = await call<{ ok: boolean }>(`${second.url}/api/runs/${run}/verify`, 'POST');
      expect(verified.body.ok).toBe(true);
    }
  }, 120_000);
});
