import type * as Ai from 'ai';
import { isJsonObject, type JsonValue } from '../core/json.js';
import type {
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ModelTool,
  ModelToolCall,
} from '../core/ports.js';
import { ProviderError, type ProviderErrorCode } from './errors.js';
import { lookupPrice, priceOf, type Price } from './prices.js';
import {
  DEFAULT_RETRY_POLICY,
  retryAfterMs,
  withRetries,
  type RetryEvent,
  type RetryPolicy,
} from './retry.js';

/**
 * Real models behind the ModelProvider port, through the AI SDK (`ai` + `@ai-sdk/*`). One adapter
 * class, AiSdkModel, serves every provider; the factories below build it for OpenAI (chat
 * completions), Anthropic (messages) and any OpenAI-compatible server.
 *
 * The SDK is loaded on the first call, not when this module is imported, so a CLI whose config names
 * only simulated models does not pay ~150 ms to load it.
 */

/** An AI SDK language model object (not a gateway model-id string). */
export type LanguageModelObject = Exclude<Ai.LanguageModel, string>;

export type ProviderKind = 'openai' | 'anthropic' | 'openai-compatible';

/** One piece of streamed text. After a retry, chunks start again from the beginning (`attempt`). */
export interface ModelChunk {
  /** The registry name of the model (`AiSdkModel.name`). */
  model: string;
  text: string;
  /** HTTP attempt this chunk belongs to (1-based). */
  attempt: number;
}

/** Per-call hooks, passed as generate()'s optional third argument or set once in the options. */
export interface CallHooks {
  onChunk?: (chunk: ModelChunk) => void;
  onRetry?: (event: RetryEvent & { model: string }) => void;
}

export interface AiSdkModelOptions extends CallHooks {
  /** Registry name (`fast`, `default`): names the model in chunks and retry events. */
  name: string;
  /** Provider kind, for errors and `ModelResponse.model` (`openai:gpt-4o-mini-2024-07-18`). */
  provider: string;
  /** The provider's model id. */
  modelId: string;
  /** The SDK model, or a loader for it (called once, on the first call). */
  model: LanguageModelObject | (() => Promise<LanguageModelObject>);
  /** streamText and collect the chunks, instead of generateText. */
  stream?: boolean;
  /** HTTP-level retries; defaults in DEFAULT_RETRY_POLICY. */
  retry?: Partial<RetryPolicy>;
  /** Per-attempt limit; an attempt that takes longer fails with a retryable MODEL_TIMEOUT. */
  timeoutMs?: number;
  /** USD per million tokens; defaults to the shipped table's row for `modelId`. */
  price?: Price;
  /** Look `modelId` up in the shipped price table when no price is given (default true). */
  shippedPrice?: boolean;
  /** Passed to the SDK as `providerOptions` (e.g. `{ openai: { strictJsonSchema: true } }`). */
  providerOptions?: Record<string, Record<string, JsonValue>>;
  /** SDK warnings (an unsupported setting was dropped, …); by default they are ignored. */
  onWarning?: (warning: unknown) => void;
  /** Injectable for tests: backoff jitter source and sleep. */
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What AiSdkModel returns: the port's ModelResponse plus what the engine may want next. */
export interface AiSdkModelResponse extends ModelResponse {
  /** stop, length, content-filter, tool-calls, error, other. */
  finishReason: string;
  /** HTTP attempts made, retries included. */
  attempts: number;
  /** The text parsed as JSON, when the request had an outputSchema and the text parses. */
  output?: JsonValue;
  /** USD, when the model has a price. */
  costUsd?: number;
}

let aiModule: Promise<typeof Ai> | undefined;
function loadAi(): Promise<typeof Ai> {
  aiModule ??= import('ai');
  return aiModule;
}

export class AiSdkModel implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly provider: string;
  readonly modelId: string;
  readonly price: Price | undefined;
  readonly stream: boolean;
  private readonly policy: RetryPolicy;
  private modelPromise: Promise<LanguageModelObject> | undefined;

  constructor(private readonly options: AiSdkModelOptions) {
    this.name = options.name;
    this.provider = options.provider;
    this.modelId = options.modelId;
    this.price =
      options.price ?? (options.shippedPrice === false ? undefined : lookupPrice(options.modelId));
    this.stream = options.stream ?? false;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  }

  private model(): Promise<LanguageModelObject> {
    const source = this.options.model;
    this.modelPromise ??= typeof source === 'function' ? source() : Promise.resolve(source);
    return this.modelPromise;
  }

  async generate(
    request: ModelRequest,
    signal: AbortSignal,
    hooks: CallHooks = {},
  ): Promise<AiSdkModelResponse> {
    const [ai, model] = await Promise.all([loadAi(), this.model()]);
    const onRetry = hooks.onRetry ?? this.options.onRetry;
    let attempts = 0;
    const response = await withRetries(
      (attempt) => {
        attempts = attempt;
        return this.attempt(ai, model, request, signal, attempt, hooks);
      },
      {
        policy: this.policy,
        signal,
        classify: (error) => this.classify(error, signal),
        ...(onRetry ? { onRetry: (event) => onRetry({ ...event, model: this.name }) } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
        ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      },
    );
    const cost = this.price ? priceOf(this.price, response.usage) : undefined;
    return {
      ...response,
      attempts,
      ...(cost ? { costUsd: cost.totalUsd } : {}),
    };
  }

  /** One HTTP attempt under its own timeout, tied to the caller's signal. */
  private async attempt(
    ai: typeof Ai,
    model: LanguageModelObject,
    request: ModelRequest,
    signal: AbortSignal,
    attempt: number,
    hooks: CallHooks,
  ): Promise<Omit<AiSdkModelResponse, 'attempts'>> {
    if (signal.aborted) throw this.error('MODEL_ABORTED', false, { cause: signal.reason });
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = this.options.timeoutMs;
    const timeout = new Error(`timed out after ${timeoutMs ?? 0} ms`);
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(timeout), timeoutMs);
    try {
      const settings = this.settings(ai, model, request, controller.signal);
      return this.stream
        ? await this.streamed(ai, settings, request, attempt, hooks)
        : await this.generated(ai, settings, request);
    } catch (error) {
      if (abortedBy(controller.signal, timeout))
        throw this.error('MODEL_TIMEOUT', true, { cause: error });
      if (abortedBy(signal)) throw this.error('MODEL_ABORTED', false, { cause: error });
      throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private settings(
    ai: typeof Ai,
    model: LanguageModelObject,
    request: ModelRequest,
    abortSignal: AbortSignal,
  ) {
    return {
      model,
      prompt: request.prompt,
      temperature: request.temperature,
      ...(request.maxTokens === undefined ? {} : { maxOutputTokens: request.maxTokens }),
      // The retry loop is ours (withRetries): the SDK's would retry without honouring our cap.
      maxRetries: 0,
      abortSignal,
      ...(request.outputSchema === undefined
        ? {}
        : { output: structuredOutput(ai, request.outputSchema) }),
      ...(request.tools === undefined || request.tools.length === 0
        ? {}
        : {
            tools: toolSet(ai, request.tools),
            ...(request.toolChoice === undefined ? {} : { toolChoice: request.toolChoice }),
          }),
      ...(this.options.providerOptions
        ? { providerOptions: this.options.providerOptions as Ai.ProviderMetadata }
        : {}),
    };
  }

  private async generated(
    ai: typeof Ai,
    settings: ReturnType<AiSdkModel['settings']>,
    request: ModelRequest,
  ): Promise<Omit<AiSdkModelResponse, 'attempts'>> {
    try {
      const result = await ai.generateText(settings);
      this.warn(result.warnings);
      return this.response(
        result.text,
        result.totalUsage,
        result.finishReason,
        result.response.modelId,
        request,
        result.toolCalls.map(toolCallOf),
      );
    } catch (error) {
      // With an output schema the SDK parses the text and throws when it is not JSON. Whether the
      // output is acceptable is the engine's call (it validates, journals and retries), so hand the
      // text back as it came.
      if (ai.NoObjectGeneratedError.isInstance(error)) {
        return this.response(
          error.text ?? '',
          error.usage,
          error.finishReason ?? 'other',
          error.response?.modelId,
          request,
        );
      }
      throw error;
    }
  }

  private async streamed(
    ai: typeof Ai,
    settings: ReturnType<AiSdkModel['settings']>,
    request: ModelRequest,
    attempt: number,
    hooks: CallHooks,
  ): Promise<Omit<AiSdkModelResponse, 'attempts'>> {
    const onChunk = hooks.onChunk ?? this.options.onChunk;
    // Errors arrive as `error` parts of the stream; the default onError would print them.
    const result = ai.streamText({ ...settings, onError: () => undefined });
    let text = '';
    let usage: Ai.LanguageModelUsage | undefined;
    let finishReason = 'other';
    let modelId: string | undefined;
    const toolCalls: ModelToolCall[] = [];
    for await (const part of result.fullStream) {
      switch (part.type) {
        case 'tool-call':
          toolCalls.push(toolCallOf(part));
          break;
        case 'text-delta':
          text += part.text;
          onChunk?.({ model: this.name, text: part.text, attempt });
          break;
        case 'start-step':
          this.warn(part.warnings);
          break;
        case 'finish-step':
          modelId = part.response.modelId;
          break;
        case 'finish':
          usage = part.totalUsage;
          finishReason = part.finishReason;
          break;
        case 'error':
          throw part.error;
        case 'abort':
          throw this.error('MODEL_ABORTED', false, {});
        default:
          break;
      }
    }
    return this.response(text, usage, finishReason, modelId, request, toolCalls);
  }

  private response(
    text: string,
    usage: Ai.LanguageModelUsage | undefined,
    finishReason: string,
    modelId: string | undefined,
    request: ModelRequest,
    toolCalls: ModelToolCall[] = [],
  ): Omit<AiSdkModelResponse, 'attempts'> {
    let output: JsonValue | undefined;
    if (request.outputSchema !== undefined) {
      try {
        output = JSON.parse(text) as JsonValue;
      } catch {
        output = undefined; // the engine reports unparseable output against the step's schema
      }
    }
    return {
      text,
      model: `${this.provider}:${modelId ?? this.modelId}`,
      usage: { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0 },
      finishReason,
      ...(output === undefined ? {} : { output }),
      ...(toolCalls.length === 0 ? {} : { toolCalls }),
    };
  }

  private warn(warnings: readonly unknown[] | undefined): void {
    if (!warnings || !this.options.onWarning) return;
    for (const warning of warnings) this.options.onWarning(warning);
  }

  private error(
    code: ProviderErrorCode,
    retryable: boolean,
    details: { status?: number; cause?: unknown },
  ): ProviderError {
    return new ProviderError(code, retryable, {
      provider: this.provider,
      model: this.modelId,
      ...details,
    });
  }

  /** Maps whatever one attempt threw onto a typed ProviderError. */
  classify(error: unknown, signal: AbortSignal): ProviderError {
    if (error instanceof ProviderError) return error;
    if (signal.aborted) return this.error('MODEL_ABORTED', false, { cause: error });
    const base = { provider: this.provider, model: this.modelId, cause: error };
    const api = apiCallError(error);
    if (api?.statusCode !== undefined) {
      const status = api.statusCode;
      const body = providerErrorBody(api.data, api.responseBody);
      const details = {
        ...base,
        status,
        providerMessage: body.message ?? api.message,
        ...(body.type === undefined ? {} : { providerErrorType: body.type }),
      };
      const wait = retryAfterMs(api.responseHeaders);
      const withWait = wait === undefined ? details : { ...details, retryAfterMs: wait };
      if (status === 429) return new ProviderError('MODEL_RATE_LIMITED', true, withWait);
      if (status === 401 || status === 403)
        return new ProviderError('MODEL_AUTH_FAILED', false, details);
      if (status >= 500 || status === 408 || status === 409)
        return new ProviderError('MODEL_PROVIDER_ERROR', true, withWait);
      if (status >= 400) return new ProviderError('MODEL_BAD_REQUEST', false, details);
      // A 2xx whose body could not be read or parsed: a dropped connection, else a bad response.
      return isConnectionError(error)
        ? new ProviderError('MODEL_CONNECTION_FAILED', true, {
            ...base,
            providerMessage: causeMessage(error),
          })
        : new ProviderError('MODEL_PROVIDER_ERROR', true, details);
    }
    if (api || isConnectionError(error)) {
      return new ProviderError('MODEL_CONNECTION_FAILED', true, {
        ...base,
        providerMessage: causeMessage(error),
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new ProviderError('MODEL_PROVIDER_ERROR', true, { ...base, providerMessage: message });
  }
}

/**
 * An SDK warning (a setting the provider does not support and dropped, a compatibility mode) as one
 * line. The SDK prints these to the console itself unless `globalThis.AI_SDK_LOG_WARNINGS` is false;
 * the CLI turns that off and prints them through `onWarning` instead.
 */
export function describeWarning(warning: unknown): string {
  if (typeof warning !== 'object' || warning === null) return String(warning);
  const { type, feature, details, message } = warning as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  if (type === 'other') return text(message);
  const what =
    type === 'unsupported'
      ? `${text(feature)} is not supported`
      : type === 'compatibility'
        ? `${text(feature)} runs in a compatibility mode`
        : JSON.stringify(warning);
  return details ? `${what}: ${text(details)}` : what;
}

/** Whether `signal` has aborted (with `reason`, when given). A function, so TS does not narrow. */
function abortedBy(signal: AbortSignal, reason?: unknown): boolean {
  return signal.aborted && (reason === undefined || signal.reason === reason);
}

/**
 * The SDK output setting for a step's JSON Schema: an object schema goes to the provider as a schema
 * (OpenAI `response_format: json_schema`, Anthropic `output_config.format` or a forced JSON tool);
 * anything else asks for JSON without a schema, since providers accept only object roots. The SDK
 * does not validate against it (jsonSchema() without `validate`); the engine does.
 */
/**
 * The request's tools as an AI SDK tool set: described by their JSON Schema and given no `execute`,
 * so the SDK hands the model's calls back instead of running anything (the engine owns effects).
 */
function toolSet(ai: typeof Ai, tools: readonly ModelTool[]): Ai.ToolSet {
  const set: Ai.ToolSet = {};
  for (const spec of tools)
    set[spec.name] = ai.tool({
      ...(spec.description === undefined ? {} : { description: spec.description }),
      inputSchema: ai.jsonSchema(spec.inputSchema as Parameters<typeof Ai.jsonSchema>[0]),
    });
  return set;
}

function toolCallOf(call: { toolCallId: string; toolName: string; input: unknown }): ModelToolCall {
  return { id: call.toolCallId, name: call.toolName, input: (call.input ?? null) as JsonValue };
}

function structuredOutput(ai: typeof Ai, schema: JsonValue) {
  const objectRoot =
    isJsonObject(schema) &&
    (schema.type === 'object' || (schema.type === undefined && isJsonObject(schema.properties)));
  if (!objectRoot) return ai.Output.json();
  const title = typeof schema.title === 'string' ? schema.title : undefined;
  return ai.Output.object({
    schema: ai.jsonSchema(schema as Parameters<typeof Ai.jsonSchema>[0]),
    ...(title && /^[A-Za-z0-9_-]{1,64}$/.test(title) ? { name: title } : {}),
  });
}

interface ApiCallErrorLike {
  message: string;
  statusCode?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  data?: unknown;
}

/** The SDK's APICallError, recognised by its name so this module need not load the SDK to check. */
function apiCallError(error: unknown): ApiCallErrorLike | undefined {
  if (!(error instanceof Error) || error.name !== 'AI_APICallError') return undefined;
  return error;
}

/** `{error: {message, type|code}}` (OpenAI) or `{type: 'error', error: {type, message}}` (Anthropic). */
function providerErrorBody(
  data: unknown,
  responseBody: string | undefined,
): { message?: string; type?: string } {
  let parsed = data;
  if (parsed === undefined && responseBody) {
    try {
      parsed = JSON.parse(responseBody) as unknown;
    } catch {
      return { message: responseBody.slice(0, 500) };
    }
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const inner = (parsed as { error?: unknown }).error;
  const source = (typeof inner === 'object' && inner !== null ? inner : parsed) as Record<
    string,
    unknown
  >;
  const message = typeof source.message === 'string' ? source.message : undefined;
  const type =
    typeof source.type === 'string'
      ? source.type
      : typeof source.code === 'string'
        ? source.code
        : undefined;
  return {
    ...(message === undefined ? {} : { message }),
    ...(type === undefined ? {} : { type }),
  };
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** A network failure anywhere in the cause chain (undici: `TypeError: terminated` ← SocketError). */
function isConnectionError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current);) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (current.name === 'TypeError' && /^(terminated|fetch failed)$/i.test(current.message))
      return true;
    current = current.cause;
  }
  return false;
}

function causeMessage(error: unknown): string {
  const messages: string[] = [];
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current);) {
    seen.add(current);
    if (current.message && !messages.includes(current.message)) messages.push(current.message);
    current = current.cause;
  }
  return messages.join(': ') || String(error);
}

// ─── Factories ─────────────────────────────────────────────────────────────────────────────────

export interface ProviderModelSettings extends CallHooks {
  /** Registry name. */
  name: string;
  /** The provider's model id (`gpt-4o-mini`, `claude-sonnet-4-5`, `llama3.1:8b`). */
  model: string;
  /** The key itself (the config loader reads it from the environment variable). */
  apiKey?: string;
  /** API root including the version: `https://api.openai.com/v1`, `https://api.anthropic.com/v1`. */
  baseURL?: string;
  headers?: Record<string, string>;
  stream?: boolean;
  /** HTTP retries after the first attempt (default 2). */
  maxRetries?: number;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  price?: Price;
  onWarning?: (warning: unknown) => void;
  /** The fetch the SDK uses (tests pass one that refuses anything off loopback). */
  fetch?: typeof globalThis.fetch;
}

export interface OpenAIModelSettings extends ProviderModelSettings {
  /**
   * OpenAI strict structured outputs. Off by default: strict mode rejects schemas without
   * `additionalProperties: false` and all-required properties, and the engine validates anyway.
   */
  strictJsonSchema?: boolean;
}

export interface OpenAICompatibleModelSettings extends ProviderModelSettings {
  baseURL: string;
  /** Send the output schema as `response_format: json_schema` (default) rather than `json_object`. */
  structuredOutputs?: boolean;
}

function retryOf(settings: ProviderModelSettings): Partial<RetryPolicy> {
  return {
    ...settings.retry,
    ...(settings.maxRetries === undefined ? {} : { maxRetries: settings.maxRetries }),
  };
}

function common(settings: ProviderModelSettings) {
  return {
    name: settings.name,
    modelId: settings.model,
    retry: retryOf(settings),
    ...(settings.stream === undefined ? {} : { stream: settings.stream }),
    ...(settings.timeoutMs === undefined ? {} : { timeoutMs: settings.timeoutMs }),
    ...(settings.price === undefined ? {} : { price: settings.price }),
    ...(settings.onChunk ? { onChunk: settings.onChunk } : {}),
    ...(settings.onRetry ? { onRetry: settings.onRetry } : {}),
    ...(settings.onWarning ? { onWarning: settings.onWarning } : {}),
  };
}

function connection(settings: ProviderModelSettings) {
  return {
    ...(settings.apiKey === undefined ? {} : { apiKey: settings.apiKey }),
    ...(settings.baseURL === undefined ? {} : { baseURL: settings.baseURL }),
    ...(settings.headers === undefined ? {} : { headers: settings.headers }),
    ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
  };
}

/** OpenAI through the Chat Completions API (`POST {baseURL}/chat/completions`). */
export function openAIModel(settings: OpenAIModelSettings): AiSdkModel {
  return new AiSdkModel({
    ...common(settings),
    provider: 'openai',
    model: async () => {
      const { createOpenAI } = await import('@ai-sdk/openai');
      return createOpenAI(connection(settings)).chat(settings.model);
    },
    providerOptions: { openai: { strictJsonSchema: settings.strictJsonSchema ?? false } },
  });
}

/** Anthropic through the Messages API (`POST {baseURL}/messages`). */
export function anthropicModel(settings: ProviderModelSettings): AiSdkModel {
  return new AiSdkModel({
    ...common(settings),
    provider: 'anthropic',
    model: async () => {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      return createAnthropic(connection(settings)).messages(settings.model);
    },
  });
}

/** Any server speaking OpenAI chat completions at `baseURL` (vLLM, Ollama, LM Studio, a gateway). */
export function openAICompatibleModel(settings: OpenAICompatibleModelSettings): AiSdkModel {
  return new AiSdkModel({
    ...common(settings),
    // No shipped price: the same model id costs different amounts on different hosts.
    shippedPrice: false,
    provider: 'openai-compatible',
    model: async () => {
      const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: settings.baseURL,
        ...connection(settings),
        includeUsage: true,
        supportsStructuredOutputs: settings.structuredOutputs ?? true,
      }).chatModel(settings.model);
    },
  });
}

export type ProviderModelConfig =
  | ({ provider: 'openai' } & OpenAIModelSettings)
  | ({ provider: 'anthropic' } & ProviderModelSettings)
  | ({ provider: 'openai-compatible' } & OpenAICompatibleModelSettings);

/** The factory for a provider kind. */
export function createProviderModel(config: ProviderModelConfig): AiSdkModel {
  switch (config.provider) {
    case 'openai':
      return openAIModel(config);
    case 'anthropic':
      return anthropicModel(config);
    case 'openai-compatible':
      return openAICompatibleModel(config);
  }
}
