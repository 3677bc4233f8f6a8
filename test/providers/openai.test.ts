import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failureFrom } from '../../src/core/errors.js';
import type { ModelRequest } from '../../src/core/ports.js';
import {
  openAIModel,
  type ModelChunk,
  type OpenAIModelSettings,
} from '../../src/providers/ai-sdk.js';
import { ProviderError } from '../../src/providers/errors.js';
import { lookupTool, openai } from './fixtures.js';
import { loopbackOnlyFetch, sse, startLoopback, type Loopback } from './loopback.js';

let server: Loopback;
beforeAll(async () => {
  server = await startLoopback();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.script = [];
});

const KEY = 'sk-loopback-openai-0123456789';
const request: ModelRequest = {
  model: 'fast',
  prompt: 'Say hello.',
  temperature: 0.2,
  maxTokens: 64,
  sampleKey: 'polish#1',
};

function model(settings: Partial<OpenAIModelSettings> = {}) {
  return openAIModel({
    name: 'fast',
    model: 'gpt-4o-mini',
    apiKey: KEY,
    baseURL: `${server.origin}/v1`,
    fetch: loopbackOnlyFetch,
    retry: { initialDelayMs: 5, maxDelayMs: 20 },
    ...settings,
  });
}

const signal = () => new AbortController().signal;

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('OpenAI chat completions over loopback', () => {
  it('sends the documented request and maps text, model, usage and cost', async () => {
    server.script = [{ status: 200, json: openai.completion('Hello there.') }];
    const response = await model().generate(request, signal());
    expect(response).toMatchObject({
      text: 'Hello there.',
      model: 'openai:gpt-4o-mini-2024-07-18',
      usage: { inputTokens: 12, outputTokens: 5 },
      finishReason: 'stop',
      attempts: 1,
    });
    // gpt-4o-mini: $0.15 in, $0.60 out per million tokens
    expect(response.costUsd).toBeCloseTo((12 * 0.15 + 5 * 0.6) / 1e6, 12);
    expect(response.simulated).toBeUndefined();
    const [sent] = server.requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.2,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(sent?.body).not.toHaveProperty('stream');
  });

  it('streams: collects data: chunks up to [DONE], hands each to onChunk, reads usage', async () => {
    server.script = [{ sse: openai.stream(['Hel', 'lo', ' world']), gapMs: 5 }];
    const chunks: ModelChunk[] = [];
    const response = await model({ stream: true, onChunk: (chunk) => chunks.push(chunk) }).generate(
      request,
      signal(),
    );
    expect(response.text).toBe('Hello world');
    expect(response.usage).toEqual({ inputTokens: 9, outputTokens: 4 });
    expect(chunks.map((chunk) => chunk.text)).toEqual(['Hel', 'lo', ' world']);
    expect(chunks.every((chunk) => chunk.model === 'fast' && chunk.attempt === 1)).toBe(true);
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('per-call hooks override the model-wide onChunk', async () => {
    server.script = [{ sse: openai.stream(['a', 'b']) }];
    const modelWide: string[] = [];
    const perCall: string[] = [];
    await model({ stream: true, onChunk: (chunk) => modelWide.push(chunk.text) }).generate(
      request,
      signal(),
      { onChunk: (chunk) => perCall.push(chunk.text) },
    );
    expect(perCall).toEqual(['a', 'b']);
    expect(modelWide).toEqual([]);
  });

  it('400: the provider message surfaces in a typed, non-retryable error, sent once', async () => {
    server.script = [
      {
        status: 400,
        json: openai.error(
          "Invalid value for 'temperature': must be at most 2.",
          'invalid_request_error',
          'invalid_value',
          'temperature',
        ),
      },
    ];
    const error = await failure(model().generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_BAD_REQUEST',
      retryable: false,
      status: 400,
      provider: 'openai',
      model: 'gpt-4o-mini',
      providerMessage: "Invalid value for 'temperature': must be at most 2.",
      providerErrorType: 'invalid_request_error',
      attempts: 1,
    });
    expect(error.message).toContain("Invalid value for 'temperature'");
    expect(error.message).toMatch(/^\[MODEL_BAD_REQUEST\]/);
    expect(server.requests).toHaveLength(1);
    // What the engine journals: retryable false, so the step does not retry a bad request.
    expect(failureFrom(error, true)).toEqual({
      type: 'ProviderError',
      message: error.message,
      retryable: false,
    });
  });

  it('401: MODEL_AUTH_FAILED, not retried, and the key is not in the error', async () => {
    server.script = [
      {
        status: 401,
        json: openai.error(
          'Incorrect API key provided.',
          'invalid_request_error',
          'invalid_api_key',
        ),
      },
    ];
    const error = await failure(model().generate(request, signal()));
    expect(error).toMatchObject({ code: 'MODEL_AUTH_FAILED', retryable: false, status: 401 });
    expect(server.requests).toHaveLength(1);
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(failureFrom(error, true))).not.toContain(KEY);
  });

  it('429 with Retry-After: 1 waits a second, then succeeds on the second request', async () => {
    server.script = [
      {
        status: 429,
        headers: { 'retry-after': '1' },
        json: openai.error(
          'Rate limit reached for gpt-4o-mini.',
          'requests',
          'rate_limit_exceeded',
        ),
      },
      { status: 200, json: openai.completion('after the wait') },
    ];
    const retries: number[] = [];
    const response = await model({ onRetry: (event) => retries.push(event.delayMs) }).generate(
      request,
      signal(),
    );
    expect(response.text).toBe('after the wait');
    expect(response.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
    const waited = server.requests[1]!.at - server.requests[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(990);
    expect(waited).toBeLessThan(2500);
    expect(retries).toEqual([1000]);
  });

  it('429 with retry-after-ms is honoured in milliseconds (and wins over Retry-After)', async () => {
    server.script = [
      {
        status: 429,
        headers: { 'retry-after-ms': '250', 'retry-after': '30' },
        json: openai.error('Rate limit reached.', 'requests', 'rate_limit_exceeded'),
      },
      { status: 200, json: openai.completion('ok') },
    ];
    const started = performance.now();
    await model().generate(request, signal());
    const waited = server.requests[1]!.at - server.requests[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(240);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('429 exhausted: typed MODEL_RATE_LIMITED, retryable for the engine', async () => {
    const limited = {
      status: 429,
      headers: { 'retry-after-ms': '10' },
      json: openai.error('Rate limit reached.', 'requests', 'rate_limit_exceeded'),
    };
    server.script = [limited, limited];
    const error = await failure(model({ maxRetries: 1 }).generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_RATE_LIMITED',
      retryable: true,
      status: 429,
      retryAfterMs: 10,
      attempts: 2,
      providerMessage: 'Rate limit reached.',
    });
    expect(server.requests).toHaveLength(2);
    expect(failureFrom(error, false).retryable).toBe(true);
  });

  it('a Retry-After beyond the cap is not waited out: the call gives up at once', async () => {
    server.script = [
      {
        status: 429,
        headers: { 'retry-after': '3600' },
        json: openai.error('Quota exceeded, try in an hour.', 'requests', 'rate_limit_exceeded'),
      },
    ];
    const started = performance.now();
    const error = await failure(model().generate(request, signal()));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toMatchObject({
      code: 'MODEL_RATE_LIMITED',
      retryable: true,
      retryAfterMs: 3_600_000,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('500: retried with backoff, then a typed retryable error when retries run out', async () => {
    const broken = { status: 500, json: openai.error('The server had an error.', 'server_error') };
    server.script = [broken, broken, broken];
    const error = await failure(model({ maxRetries: 2 }).generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_PROVIDER_ERROR',
      retryable: true,
      status: 500,
      attempts: 3,
      providerMessage: 'The server had an error.',
    });
    expect(error.message).toContain('gave up after 3 attempts');
    expect(server.requests).toHaveLength(3);
  });

  it('500 then success: the retry recovers', async () => {
    server.script = [
      { status: 503, json: openai.error('Service unavailable.', 'server_error') },
      { status: 200, json: openai.completion('recovered') },
    ];
    const response = await model().generate(request, signal());
    expect(response).toMatchObject({ text: 'recovered', attempts: 2 });
  });

  it('a connection dropped mid-response is retried, and typed when it keeps happening', async () => {
    server.script = [
      { drop: 'json', partial: '{"id":"chatcmpl-1","object":"chat.comp' },
      { status: 200, json: openai.completion('second time lucky') },
    ];
    expect((await model().generate(request, signal())).text).toBe('second time lucky');
    expect(server.requests).toHaveLength(2);

    server.requests.length = 0;
    server.script = [{ drop: 'json', partial: '{"id":' }];
    const error = await failure(model({ maxRetries: 0 }).generate(request, signal()));
    expect(error).toMatchObject({ code: 'MODEL_CONNECTION_FAILED', retryable: true });
    expect(error.status).toBeUndefined();
  });

  it('a stream dropped midway restarts: chunks of the new attempt are marked as such', async () => {
    const events = openai.stream(['one ', 'two ', 'three']);
    server.script = [{ drop: 'sse', partial: events.slice(0, 3).join('') }, { sse: events }];
    const chunks: ModelChunk[] = [];
    const response = await model({ stream: true, onChunk: (chunk) => chunks.push(chunk) }).generate(
      request,
      signal(),
    );
    expect(response.text).toBe('one two three');
    expect(response.attempts).toBe(2);
    expect(chunks.filter((chunk) => chunk.attempt === 1).map((chunk) => chunk.text)).toEqual([
      'one ',
      'two ',
    ]);
    expect(chunks.filter((chunk) => chunk.attempt === 2).map((chunk) => chunk.text)).toEqual([
      'one ',
      'two ',
      'three',
    ]);
  });

  it('a connection refused is MODEL_CONNECTION_FAILED', async () => {
    const closed = await startLoopback();
    const origin = closed.origin;
    await closed.close();
    const error = await failure(
      model({ baseURL: `${origin}/v1`, maxRetries: 1 }).generate(request, signal()),
    );
    expect(error).toMatchObject({ code: 'MODEL_CONNECTION_FAILED', retryable: true, attempts: 2 });
  });

  it('structured output: the schema goes out as response_format json_schema; the answer is parsed', async () => {
    const schema = {
      type: 'object',
      title: 'greeting',
      properties: { greeting: { type: 'string' } },
      required: ['greeting'],
    };
    server.script = [{ status: 200, json: openai.completion('{"greeting":"Hi!"}') }];
    const response = await model().generate({ ...request, outputSchema: schema }, signal());
    expect(response.text).toBe('{"greeting":"Hi!"}');
    expect(response.output).toEqual({ greeting: 'Hi!' });
    expect(server.requests[0]?.body).toMatchObject({
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'greeting',
          strict: false,
          schema: { type: 'object', properties: { greeting: { type: 'string' } } },
        },
      },
    });
  });

  it('strictJsonSchema: true asks OpenAI for strict structured outputs', async () => {
    server.script = [{ status: 200, json: openai.completion('{"a":1}') }];
    await model({ strictJsonSchema: true }).generate(
      { ...request, outputSchema: { type: 'object', properties: { a: { type: 'number' } } } },
      signal(),
    );
    expect(server.requests[0]?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { strict: true } },
    });
  });

  it('output that is not JSON is handed back as text for the engine to judge, not thrown', async () => {
    server.script = [{ status: 200, json: openai.completion('Sorry, I cannot do JSON today.') }];
    const response = await model().generate(
      { ...request, outputSchema: { type: 'object', properties: {} } },
      signal(),
    );
    expect(response.text).toBe('Sorry, I cannot do JSON today.');
    expect(response.output).toBeUndefined();
    expect(response.usage).toEqual({ inputTokens: 12, outputTokens: 5 });
  });

  it('a non-object schema asks for JSON mode without a schema', async () => {
    server.script = [{ status: 200, json: openai.completion('["a","b"]') }];
    const response = await model().generate(
      { ...request, outputSchema: { type: 'array', items: { type: 'string' } } },
      signal(),
    );
    expect(response.output).toEqual(['a', 'b']);
    expect(server.requests[0]?.body).toMatchObject({ response_format: { type: 'json_object' } });
  });

  it('abort: the caller signal ends a hanging call with MODEL_ABORTED, not retried', async () => {
    server.script = [{ hang: true }];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const error = await failure(model().generate(request, controller.signal));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'MODEL_ABORTED', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('abort during a Retry-After wait stops the wait', async () => {
    server.script = [
      {
        status: 429,
        headers: { 'retry-after': '30' },
        json: openai.error('Slow down.', 'requests', 'rate_limit_exceeded'),
      },
    ];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const started = performance.now();
    const error = await failure(model().generate(request, controller.signal));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({ code: 'MODEL_ABORTED', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(model().generate(request, controller.signal));
    expect(error.code).toBe('MODEL_ABORTED');
    expect(server.requests).toHaveLength(0);
  });

  it('timeoutMs bounds each attempt: MODEL_TIMEOUT, retryable, retried', async () => {
    server.script = [{ hang: true }, { hang: true }];
    const error = await failure(
      model({ timeoutMs: 100, maxRetries: 1 }).generate(request, signal()),
    );
    expect(error).toMatchObject({ code: 'MODEL_TIMEOUT', retryable: true, attempts: 2 });
    expect(server.requests).toHaveLength(2);
  });

  it('headers from the config are sent', async () => {
    server.script = [{ status: 200, json: openai.completion('ok') }];
    await model({ headers: { 'OpenAI-Project': 'proj_loopback' } }).generate(request, signal());
    expect(server.requests[0]?.headers['openai-project']).toBe('proj_loopback');
  });

  it('tool calls: offers the tools as functions and returns the calls the model asked for, unexecuted', async () => {
    server.script = [{ status: 200, json: openai.toolCall('lookup', '{"city":"Paris"}') }];
    const response = await model().generate(
      {
        ...request,
        tools: [lookupTool],
        toolChoice: 'required',
      },
      signal(),
    );
    expect(server.requests[0]?.body).toMatchObject({
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            description: 'Weather by city',
            parameters: { properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ],
      tool_choice: 'required',
    });
    expect(response.finishReason).toBe('tool-calls');
    expect(response.toolCalls).toEqual([
      { id: 'call_loopback1', name: 'lookup', input: { city: 'Paris' } },
    ]);
  });

  it('tool calls while streaming: the call’s name and argument pieces are put back together', async () => {
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      sse({
        id: 'chatcmpl-loopback3',
        object: 'chat.completion.chunk',
        created: 1_760_000_000,
        model: 'gpt-4o-mini-2024-07-18',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    const call = (fn: Record<string, unknown>, first: boolean) => ({
      tool_calls: [
        { index: 0, ...(first ? { id: 'call_s1', type: 'function' } : {}), function: fn },
      ],
    });
    server.script = [
      {
        sse: [
          chunk({ role: 'assistant', content: null }),
          chunk(call({ name: 'lookup', arguments: '' }, true)),
          chunk(call({ arguments: '{"city":' }, false)),
          chunk(call({ arguments: '"Rome"}' }, false)),
          chunk({}, 'tool_calls'),
          sse('[DONE]'),
        ],
      },
    ];
    const response = await model({ stream: true }).generate(
      {
        ...request,
        tools: [
          {
            name: 'lookup',
            inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ],
      },
      signal(),
    );
    expect(response.finishReason).toBe('tool-calls');
    expect(response.toolCalls).toEqual([
      { id: 'call_s1', name: 'lookup', input: { city: 'Rome' } },
    ]);
  });
});
