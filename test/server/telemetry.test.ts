// switchyard serve with `telemetry:` in its config exports the spans of the runs it drives to an
// OTLP/HTTP collector, and logs each request and each run's lifecycle with run and step ids.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { attribute, Receiver } from '../observability/receiver.js';
import { removeDir, startTestServer, type TestServer } from './support.js';

const receiver = new Receiver();
const lines: Array<Record<string, unknown>> = [];
let t: TestServer;

beforeAll(async () => {
  await receiver.start();
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  t = await startTestServer({
    tools: [
      { name: 'fails', retry: 'safe', execute: () => Promise.reject(new Error('no such order')) },
    ],
    config: {
      telemetry: {
        serviceName: 'switchyard-api-test',
        otlp: { endpoint: receiver.url, headers: { 'x-team': 'ops' } },
      },
    },
    logger: createLogger({ level: 'info', destination }),
  });
});

afterAll(async () => {
  await t.close();
  await receiver.stop();
  removeDir(t.dir);
});

async function settle(runId: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const { body } = await t.api<{ run: { status: string } }>('GET', `/api/runs/${runId}`);
    if (body.run.status !== 'running') return body.run.status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the run never settled');
}

describe('server telemetry and logs', () => {
  it('exports the span tree of a run it drives, with GenAI attributes on the model call', async () => {
    const { body } = await t.api<{ runId: string }>('POST', '/api/runs', {
      body: {
        spec: {
          name: 'ask',
          steps: [{ id: 'answer', kind: 'agent', prompt: 'ask.md', input: { q: 'why?' } }],
        },
        prompts: { 'ask.md': 'Answer {{ q }}' },
      },
    });
    expect(await settle(body.runId)).toBe('completed');
    await t.server.telemetry?.flush();

    const spans = receiver.spans();
    const run = spans.find((span) => attribute(span, 'switchyard.run.id') === body.runId);
    expect(run?.name).toBe('run ask');
    const step = spans.find((span) => span.name === 'step answer');
    expect(step?.parentSpanId).toBe(run?.spanId);
    const chat = spans.find((span) => span.parentSpanId === step?.spanId);
    expect(chat?.name).toBe('chat simulated:default');
    expect(chat && attribute(chat, 'gen_ai.provider.name')).toBe('switchyard.simulated');
    expect(chat && attribute(chat, 'gen_ai.usage.output_tokens')).toBeGreaterThan(0);
    expect(receiver.headers.every((headers) => headers['x-team'] === 'ops')).toBe(true);
  });

  it('logs requests and run lifecycles as JSON lines with the run id and the step path', async () => {
    const { body } = await t.api<{ runId: string }>('POST', '/api/runs', {
      body: {
        spec: { name: 'broken', steps: [{ id: 'call', kind: 'tool', tool: 'fails', input: {} }] },
      },
    });
    expect(await settle(body.runId)).toBe('failed');
    const mine = lines.filter((line) => line.runId === body.runId);
    expect(mine.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['run started', 'step failed', 'run failed', 'request']),
    );
    expect(mine.find((line) => line.msg === 'step failed')).toMatchObject({
      level: 'warn',
      stepPath: 'call',
      error: { message: 'no such order' },
    });
    expect(mine.find((line) => line.msg === 'request')).toMatchObject({
      method: 'GET',
      status: 200,
    });
    // No payloads in logs: the tool's input and the run's spec stay in the journal.
    expect(JSON.stringify(mine)).not.toContain('"steps"');
  });
});
