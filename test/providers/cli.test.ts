import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cli, cliPath, repoRoot, type CliResult } from '../support/cli.js';
import { openai } from './fixtures.js';
import { startLoopback, type Loopback } from './loopback.js';

/**
 * The whole path through the built CLI: switchyard.config.yaml → buildModels → Runtime → driver →
 * AiSdkModel → a loopback server speaking OpenAI chat completions. The server runs in this process,
 * so the CLI is spawned asynchronously (support/cli.ts blocks the event loop).
 */
function cliAsync(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status, signal) =>
      resolve({ status: status ?? -1, stdout, stderr, signal }),
    );
  });
}

const SECRET = 'sk-loopback-cli-SECRET-0123456789';
const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-provider-cli-'));
let server: Loopback;

beforeAll(async () => {
  server = await startLoopback();
  mkdirSync(path.join(dir, 'prompts'), { recursive: true });
  writeFileSync(
    path.join(dir, 'prompts', 'greet.md'),
    'Greet {{ name }} warmly. Answer with JSON.\n',
  );
  writeFileSync(
    path.join(dir, 'greet.yaml'),
    `name: greet
input:
  schema: { type: object, properties: { name: { type: string } }, required: [name] }
steps:
  - id: greet
    kind: agent
    model: fast
    prompt: prompts/greet.md
    input: { name: $.input.name }
    output:
      schema:
        type: object
        properties: { greeting: { type: string } }
        required: [greeting]
output:
  greeting: $.steps.greet.output.greeting
`,
  );
  writeFileSync(
    path.join(dir, 'switchyard.config.yaml'),
    `models:
  fast:
    provider: openai-compatible
    model: loopback-model
    baseURL: ${server.origin}/v1
    apiKeyEnv: LOOPBACK_KEY
    maxRetries: 0
    price: { inputPerMTok: 2, outputPerMTok: 8 }
`,
  );
  writeFileSync(
    path.join(dir, 'budgeted.yaml'),
    `name: budgeted
budget: { usd: 0.01 }
steps:
  - id: first
    kind: agent
    model: fast
    prompt: prompts/greet.md
    input: { name: Ada }
    maxTokens: 100
  - id: second
    kind: agent
    model: fast
    prompt: prompts/greet.md
    input: { name: Grace }
    maxTokens: 100000
    after: [first]
`,
  );
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.length = 0;
});

const store = `--store=sqlite:${path.join(dir, 'j.db')}`;
const run = (env: Record<string, string>) =>
  cliAsync(['run', 'greet.yaml', '--input', '{"name":"Ada"}', store], env, dir);

describe('the CLI with a real provider configured', () => {
  it('runs an agent step against the provider and journals its answer and usage', async () => {
    server.script = [{ status: 200, json: openai.completion('{"greeting":"Hello, Ada!"}') }];
    const result = await run({ LOOPBACK_KEY: SECRET });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Hello, Ada!');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(server.requests[0]?.body).toMatchObject({
      model: 'loopback-model',
      response_format: { type: 'json_schema' },
    });
    expect(JSON.stringify(server.requests[0]?.body)).toContain('Greet Ada warmly.');
    expect(result.stdout).not.toContain(SECRET);
    const runId = /run_[A-Za-z0-9_-]+/.exec(result.stdout)?.[0];
    const events = cli(['runs', 'events', runId!, store, '--json'], { cwd: repoRoot });
    const end = (JSON.parse(events.stdout) as Array<Record<string, unknown>>).find(
      (event) => event.type === 'model-call-end',
    );
    expect(end).toMatchObject({
      model: 'openai-compatible:gpt-4o-mini-2024-07-18',
      text: '{"greeting":"Hello, Ada!"}',
      usage: { inputTokens: 12, outputTokens: 5 },
    });
    expect(end).not.toHaveProperty('simulated');
  });

  it('a 400 fails the step without retrying, with the provider message, and no key anywhere', async () => {
    server.script = [
      {
        status: 400,
        json: openai.error('This model does not support temperature 0.2.', 'invalid_request_error'),
      },
      {
        status: 400,
        json: openai.error('This model does not support temperature 0.2.', 'invalid_request_error'),
      },
    ];
    const result = await run({ LOOPBACK_KEY: SECRET });
    expect(result.status).toBe(1);
    expect(server.requests).toHaveLength(1);
    const runId = /run_[A-Za-z0-9_-]+/.exec(result.stdout + result.stderr)?.[0];
    expect(runId).toBeDefined();
    const events = cli(['runs', 'events', runId!, store, '--json'], { cwd: repoRoot });
    expect(events.stdout).toContain('This model does not support temperature 0.2.');
    expect(events.stdout).toContain('"retryable": false');
    expect(events.stdout + result.stdout + result.stderr).not.toContain(SECRET);
  });

  it('meters each call, refuses a call over budget before sending it, and replay makes no HTTP request', async () => {
    server.script = [
      { status: 200, json: openai.completion('{"greeting":"Hello, Ada!"}') },
      { status: 200, json: openai.completion('{"greeting":"Hello, Grace!"}') },
    ];
    const result = await cliAsync(['run', 'budgeted.yaml', store], { LOOPBACK_KEY: SECRET }, dir);
    expect(result.status).toBe(1);
    // The second step's worst case (100 000 output tokens at $8/M = $0.8) is over the $0.01 budget.
    expect(server.requests).toHaveLength(1);
    const runId = /run_[A-Za-z0-9_-]+/.exec(result.stdout + result.stderr)?.[0];
    const listed = cli(['runs', 'events', runId!, store, '--json'], { cwd: repoRoot });
    const events = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    const end = events.find((event) => event.type === 'model-call-end');
    // 12 input tokens × $2/M + 5 output tokens × $8/M, as the fixture's usage says.
    expect(end).toMatchObject({
      finishReason: 'stop',
      usage: { inputTokens: 12, outputTokens: 5 },
    });
    expect(end?.costUsd).toBeCloseTo(0.000064, 12);
    expect(events.find((event) => event.type === 'escalation')).toMatchObject({
      path: 'second',
      reason: 'budget-exceeded',
      phase: 'before-call',
      exceeded: 'usd',
      limit: { usd: 0.01 },
    });
    server.requests.length = 0;
    const replay = await cliAsync(['replay', runId!, '--verify', store], {}, dir);
    expect(replay.stderr).toBe('');
    expect(replay.status).toBe(0);
    expect(server.requests).toHaveLength(0);
  });

  it('a missing key stops the run before it starts: CONFIG_KEY_MISSING names model and variable', async () => {
    const result = await run({});
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'error[CONFIG_KEY_MISSING]: ' +
        path.join(dir, 'switchyard.config.yaml') +
        ": model 'fast' (openai-compatible) reads its API key from the environment variable LOOPBACK_KEY, which is not set",
    );
    expect(result.stderr).toContain('hint: export LOOPBACK_KEY=');
    expect(server.requests).toHaveLength(0);
  });
});
