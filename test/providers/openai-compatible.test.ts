import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../src/core/ports.js';
import {
  describeWarning,
  openAICompatibleModel,
  type ModelChunk,
  type OpenAICompatibleModelSettings,
} from '../../src/providers/ai-sdk.js';
import { ProviderError } from '../../src/providers/errors.js';
import { lookupTool, openai } from './fixtures.js';
import { loopbackOnlyFetch, startLoopback, type Loopback } from './loopback.js';

let server: Loopback;
const sdkGlobals = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
beforeAll(async () => {
  server = await startLoopback();
  // The CLI does the same: warnings go through onWarning, not the SDK's console logging.
  sdkGlobals.AI_SDK_LOG_WARNINGS = false;
});
afterAll(async () => {
  delete sdkGlobals.AI_SDK_LOG_WARNINGS;
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  server.script = [];
});

const request: ModelRequest = {
  model: 'local',
  prompt: 'Classify: "my parcel never came"',
  temperature: 0.7,
  sampleKey: 'classify#1',
};
const signal = () => new AbortController().signal;

function model(settings: Partial<OpenAICompatibleModelSettings> = {}) {
  return openAICompatibleModel({
    name: 'local',
    model: 'llama3.1:8b',
    baseURL: `${server.origin}/gateway/v1`,
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

describe('OpenAI-compatible server on a custom baseURL', () => {
  it('posts chat completions under the baseURL; no key means no Authorization header', async () => {
    server.script = [{ status: 200, json: openai.completion('delivery') }];
    const response = await model().generate(request, signal());
    expect(response).toMatchObject({
      text: 'delivery',
      model: 'openai-compatible:gpt-4o-mini-2024-07-18',
      usage: { inputTokens: 12, outputTokens: 5 },
    });
    // No shipped price for a self-hosted model, even when its id looks like a priced one.
    expect(response.costUsd).toBeUndefined();
    const [sent] = server.requests;
    expect(sent?.path).toBe('/gateway/v1/chat/completions');
    expect(sent?.headers.authorization).toBeUndefined();
    expect(sent?.body).toMatchObject({ model: 'llama3.1:8b', temperature: 0.7 });
  });

  it('sends the key as a bearer token and the configured headers; a configured price is used', async () => {
    server.script = [{ status: 200, json: openai.completion('delivery') }];
    const response = await model({
      apiKey: 'gw-key-123',
      headers: { 'X-Title': 'switchyard' },
      price: { inputPerMTok: 1, outputPerMTok: 2 },
    }).generate(request, signal());
    expect(server.requests[0]?.headers.authorization).toBe('Bearer gw-key-123');
    expect(server.requests[0]?.headers['x-title']).toBe('switchyard');
    expect(response.costUsd).toBeCloseTo((12 * 1 + 5 * 2) / 1e6, 12);
  });

  it('streams with usage (stream_options.include_usage is asked for)', async () => {
    server.script = [{ sse: openai.stream(['deliv', 'ery']) }];
    const chunks: ModelChunk[] = [];
    const response = await model({ stream: true }).generate(request, signal(), {
      onChunk: (chunk) => chunks.push(chunk),
    });
    expect(response.text).toBe('delivery');
    expect(response.usage).toEqual({ inputTokens: 9, outputTokens: 4 });
    expect(chunks.map((chunk) => chunk.text)).toEqual(['deliv', 'ery']);
    expect(server.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('structured output as json_schema by default, json_object when the server lacks it', async () => {
    const schema = { type: 'object', properties: { label: { type: 'string' } } };
    server.script = [
      { status: 200, json: openai.completion('{"label":"delivery"}') },
      { status: 200, json: openai.completion('{"label":"delivery"}') },
    ];
    const response = await model().generate({ ...request, outputSchema: schema }, signal());
    expect(response.output).toEqual({ label: 'delivery' });
    expect(server.requests[0]?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { schema } },
    });
    const warnings: string[] = [];
    await model({
      structuredOutputs: false,
      onWarning: (warning) => warnings.push(describeWarning(warning)),
    }).generate({ ...request, outputSchema: schema }, signal());
    expect(server.requests[1]?.body).toMatchObject({ response_format: { type: 'json_object' } });
    // The SDK says it dropped the schema; the warning reaches onWarning.
    expect(warnings).toEqual([
      expect.stringMatching(/^responseFormat is not supported: JSON response format schema/),
    ]);
  });

  it('400 with an OpenAI-style error body: message surfaces, not retried', async () => {
    server.script = [
      {
        status: 400,
        json: openai.error(
          'model "llama3.1:8b" not found, try pulling it first',
          'invalid_request_error',
        ),
      },
    ];
    const error = await failure(model().generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_BAD_REQUEST',
      retryable: false,
      provider: 'openai-compatible',
      providerMessage: 'model "llama3.1:8b" not found, try pulling it first',
    });
    expect(server.requests).toHaveLength(1);
  });

  it('429 with Retry-After: 1 is waited out', async () => {
    server.script = [
      {
        status: 429,
        headers: { 'retry-after': '1' },
        json: openai.error('Too many requests', 'rate_limit'),
      },
      { status: 200, json: openai.completion('ok') },
    ];
    await model().generate(request, signal());
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('500 is retried, then typed', async () => {
    const broken = {
      status: 500,
      json: { error: { message: 'internal error', type: 'server_error' } },
    };
    server.script = [broken, broken];
    const error = await failure(model({ maxRetries: 1 }).generate(request, signal()));
    expect(error).toMatchObject({
      code: 'MODEL_PROVIDER_ERROR',
      retryable: true,
      status: 500,
      providerMessage: 'internal error',
      attempts: 2,
    });
    expect(server.requests).toHaveLength(2);
  });

  it('a 502 from a gateway in front of the server is retried like a 500', async () => {
    const broken = { status: 502, json: { error: { message: 'upstream unavailable' } } };
    server.script = [broken, { status: 200, json: openai.completion('back') }];
    const response = await model({ maxRetries: 1 }).generate(request, signal());
    expect(response.text).toBe('back');
    expect(server.requests).toHaveLength(2);
  });

  it('tool calls: the tools go out as functions and the calls come back unexecuted', async () => {
    server.script = [{ status: 200, json: openai.toolCall('lookup', '{"city":"Oslo"}') }];
    const response = await model().generate(
      {
        ...request,
        tools: [lookupTool],
        toolChoice: 'required',
      },
      signal(),
    );
    expect(server.requests[0]?.path).toBe('/gateway/v1/chat/completions');
    expect(server.requests[0]?.body).toMatchObject({
      tools: [{ type: 'function', function: { name: 'lookup', description: 'Weather by city' } }],
      tool_choice: 'required',
    });
    expect(response.finishReason).toBe('tool-calls');
    expect(response.toolCalls).toEqual([
      { id: 'call_loopback1', name: 'lookup', input: { city: 'Oslo' } },
    ]);
  });

  it('a dropped connection is retried', async () => {
    server.script = [
      { drop: 'sse', partial: openai.stream(['x']).slice(0, 1).join('') },
      { sse: openai.stream(['fine']) },
    ];
    const response = await model({ stream: true }).generate(request, signal());
    expect(response).toMatchObject({ text: 'fine', attempts: 2 });
  });

  it('a 5xx whose body is not JSON still gives a typed error with the body text', async () => {
    server.script = [{ status: 503, json: 'Service Unavailable' }];
    const error = await failure(model({ maxRetries: 0 }).generate(request, signal()));
    expect(error).toMatchObject({ code: 'MODEL_PROVIDER_ERROR', retryable: true, status: 503 });
  });
});
