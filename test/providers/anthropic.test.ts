import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failureFrom } from '../../src/core/errors.js';
import type { ModelRequest } from '../../src/core/ports.js';
import {
  anthropicModel,
  type ModelChunk,
  type ProviderModelSettings,
} from '../../src/providers/ai-sdk.js';
import { ProviderError } from '../../src/providers/errors.js';
import { anthropic } from './fixtures.js';
import { loopbackOnlyFetch, startLoopback, type Loopback } from './loopback.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.script = [];
});

const KEY = 'sk-ant-loopback-0123456789';
const request: ModelRequest = {
  model: 'careful',
  prompt: 'Summarise the ticket.',
  temperature: 0,
  maxTokens: 256,
  sampleKey: 'summary#1',
};
const signal = () => new AbortController().signal;

function model(settings: Partial<ProviderModelSettings> = {}) {
  return anthropicModel({
    name: 'careful',
    model: 'claude-sonnet-4-5',
    apiKey: KEY,
    baseURL: `${server.origin}/v1`,
    fetch: loopbackOnlyFetch,
    retry: { initialDelayMs: 5, maxDelayMs: 20 },
    ...settings,
  });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('Anthropic messages over loopback', () => {
  it('sends the documented request (x-api-key, anthropic-version) and maps the message', async () => {
    server.script = [{ status: 200, json: anthropic.text('The ticket asks for a refund.') }];
    const response = await model().generate(request, signal());
    expect(response).toMatchObject({
      text: 'The ticket asks for a refund.',
      model: 'anthropic:claude-sonnet-4-5-20250929',
      usage: { inputTokens: 21, outputTokens: 7 },
      finishReason: 'stop',
      attempts: 1,
    });
    // claude-sonnet-4-5: $3 in, $15 out per million tokens
    expect(response.costUsd).toBeCloseTo((21 * 3 + 7 * 15) / 1e6, 12);
    const [sent] = server.requests;
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe(KEY);
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.body).toMatchObject({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      temperature: 0,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Summarise the ticket.' }] }],
    });
  });

  it('streams message_start … content_block_delta … message_delta … message_stop', async () => {
    server.script = [
      { sse: anthropic.stream(['The ticket', ' asks for', ' a refund.']), gapMs: 5 },
    ];
    const chunks: ModelChunk[] = [];
    const response = await model({ stream: true, onChunk: (chunk) => chunks.push(chunk) }).generate(
      request,
      signal(),
    );
    expect(response.text).toBe('The ticket asks for a refund.');
    // input from message_start, output from message_delta
    expect(response.usage).toEqual({ inputTokens: 25, outputTokens: 11 });
    expect(response.finishReason).toBe('stop');
    expect(chunks.map((chunk) => chunk.text)).toEqual(['The ticket', ' asks for', ' a refund.']);
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
  });

  it('400 invalid_request_error: the message surfaces, not retried', async () => {
    server.script = [
      {
        status: 400,
        json: anthropic.error(
          'invalid_request_error',
          'max_tokens: 999999 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-5',
        ),
      },
    ];
    const error = await failure(model().generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_BAD_REQUEST',
      retryable: false,
      status: 400,
      provider: 'anthropic',
      providerErrorType: 'invalid_request_error',
    });
    expect(error.providerMessage).toMatch(/^max_tokens: 999999 > 64000/);
    expect(error.message).toContain('max_tokens: 999999 > 64000');
    expect(server.requests).toHaveLength(1);
    expect(failureFrom(error, true).retryable).toBe(false);
  });

  it('400 while streaming is typed the same way', async () => {
    server.script = [
      {
        status: 400,
        json: anthropic.error(
          'invalid_request_error',
          'messages: at least one message is required',
        ),
      },
    ];
    const error = await failure(model({ stream: true }).generate(request, signal()));
    expect(error).toMatchObject({ code: 'MODEL_BAD_REQUEST', retryable: false });
    expect(error.providerMessage).toBe('messages: at least one message is required');
  });

  it('429 rate_limit_error with retry-after: 1 waits, then succeeds', async () => {
    server.script = [
      {
        status: 429,
        headers: { 'retry-after': '1' },
        json: anthropic.error(
          'rate_limit_error',
          'Number of request tokens has exceeded your per-minute rate limit',
        ),
      },
      { status: 200, json: anthropic.text('ok') },
    ];
    const response = await model().generate(request, signal());
    expect(response.text).toBe('ok');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('429 exhausted keeps the provider message and error type', async () => {
    const limited = {
      status: 429,
      headers: { 'retry-after': '0' },
      json: anthropic.error('rate_limit_error', 'This request would exceed the rate limit'),
    };
    server.script = [limited, limited];
    const error = await failure(model({ maxRetries: 1 }).generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 0,
      providerErrorType: 'rate_limit_error',
      providerMessage: 'This request would exceed the rate limit',
      attempts: 2,
    });
  });

  it('529 overloaded_error and 500 api_error are retried, then typed when retries run out', async () => {
    server.script = [
      { status: 529, json: anthropic.error('overloaded_error', 'Overloaded') },
      { status: 500, json: anthropic.error('api_error', 'Internal server error') },
      { status: 529, json: anthropic.error('overloaded_error', 'Overloaded') },
    ];
    const error = await failure(model({ maxRetries: 2 }).generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_PROVIDER_ERROR',
      retryable: true,
      status: 529,
      providerErrorType: 'overloaded_error',
      attempts: 3,
    });
    expect(server.requests).toHaveLength(3);
  });

  it('500 then success recovers', async () => {
    server.script = [
      { status: 500, json: anthropic.error('api_error', 'Internal server error') },
      { sse: anthropic.stream(['fine']) },
    ];
    const response = await model({ stream: true }).generate(request, signal());
    expect(response).toMatchObject({ text: 'fine', attempts: 2 });
  });

  it('a stream dropped after message_start is retried; typed when retries run out', async () => {
    const events = anthropic.stream(['half', ' and half']);
    server.script = [{ drop: 'sse', partial: events.slice(0, 4).join('') }, { sse: events }];
    const response = await model({ stream: true }).generate(request, signal());
    expect(response).toMatchObject({ text: 'half and half', attempts: 2 });

    server.requests.length = 0;
    server.script = [
      { drop: 'sse', partial: events.slice(0, 2).join('') },
      { drop: 'json', partial: '{"id":"msg_' },
    ];
    const error = await failure(model({ stream: true, maxRetries: 1 }).generate(request, signal()));
    expect(error).toMatchObject({ code: 'MODEL_CONNECTION_FAILED', retryable: true, attempts: 2 });
  });

  it('structured output on a model with native support: output_config.format json_schema', async () => {
    const schema = {
      type: 'object',
      properties: { intent: { type: 'string', enum: ['refund', 'other'] } },
      required: ['intent'],
    };
    server.script = [{ status: 200, json: anthropic.text('{"intent":"refund"}') }];
    const response = await model().generate({ ...request, outputSchema: schema }, signal());
    expect(response.output).toEqual({ intent: 'refund' });
    expect(server.requests[0]?.body).toMatchObject({
      output_config: {
        format: {
          type: 'json_schema',
          schema: { type: 'object', properties: { intent: { enum: ['refund', 'other'] } } },
        },
      },
    });
  });

  it('structured output on an older model: a forced JSON tool, whose input is the answer', async () => {
    const schema = { type: 'object', properties: { intent: { type: 'string' } } };
    server.script = [
      {
        status: 200,
        json: anthropic.message(
          [{ type: 'tool_use', id: 'toolu_1', name: 'json', input: { intent: 'refund' } }],
          { input_tokens: 40, output_tokens: 12 },
          'tool_use',
        ),
      },
    ];
    const response = await model({ model: 'claude-3-haiku-20240307' }).generate(
      { ...request, outputSchema: schema },
      signal(),
    );
    expect(response.output).toEqual({ intent: 'refund' });
    expect(JSON.parse(response.text)).toEqual({ intent: 'refund' });
    expect(response.usage).toEqual({ inputTokens: 40, outputTokens: 12 });
    expect(server.requests[0]?.body).toMatchObject({
      tools: [{ name: 'json', input_schema: { type: 'object' } }],
      tool_choice: { type: 'any' },
    });
  });

  it('abort ends a hanging stream with MODEL_ABORTED', async () => {
    server.script = [{ hang: true }];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await failure(model({ stream: true }).generate(request, controller.signal));
    expect(error).toMatchObject({ code: 'MODEL_ABORTED', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('abort in the middle of a slow stream stops it', async () => {
    server.script = [
      { sse: anthropic.stream(Array.from({ length: 50 }, () => 'tick ')), gapMs: 40 },
    ];
    const controller = new AbortController();
    const chunks: string[] = [];
    const pending = model({
      stream: true,
      onChunk: (chunk) => {
        chunks.push(chunk.text);
        if (chunks.length === 3) controller.abort();
      },
    }).generate(request, controller.signal);
    const error = await failure(pending);
    expect(error.code).toBe('MODEL_ABORTED');
    expect(chunks.length).toBeLessThan(10);
  });

  it('tool calls: sends tools with input_schema and maps a tool_use block to a tool call', async () => {
    server.script = [
      {
        status: 200,
        json: anthropic.message(
          [{ type: 'tool_use', id: 'toolu_loopback1', name: 'lookup', input: { city: 'Oslo' } }],
          { input_tokens: 30, output_tokens: 12 },
          'tool_use',
        ),
      },
    ];
    const response = await model().generate(
      {
        ...request,
        tools: [
          {
            name: 'lookup',
            inputSchema: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            },
          },
        ],
      },
      new AbortController().signal,
    );
    expect(server.requests[0]?.body).toMatchObject({
      tools: [{ name: 'lookup', input_schema: { properties: { city: { type: 'string' } } } }],
    });
    expect(response.finishReason).toBe('tool-calls');
    expect(response.toolCalls).toEqual([
      { id: 'toolu_loopback1', name: 'lookup', input: { city: 'Oslo' } },
    ]);
  });
});
