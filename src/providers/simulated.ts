import { sha256Hex } from '../core/hash.js';
import { isJsonObject, type JsonValue } from '../core/json.js';
import type { ModelProvider, ModelRequest, ModelResponse } from '../core/ports.js';
import type { Price } from './prices.js';

/**
 * A seeded stand-in for a language model, for demos, tests and benchmarks without a provider. It is
 * a product feature, not a test double: every response is marked `simulated: true` and named
 * `simulated:<name>`, and the CLI says so. Output is a pure function of (seed, request), so the same
 * seed gives the same run; `errorRate` makes it answer wrongly (malformed JSON, schema violations,
 * provider errors) so retries and validation do real work.
 */
export interface SimulatedModelOptions {
  name?: string;
  seed?: number;
  /** Probability that a response is wrong or fails. */
  errorRate?: number;
  /** Probability that a response is right: `1 - errorRate`, for profiles; errorRate wins if both. */
  accuracy?: number;
  /** Latency in ms: a fixed number, or a uniform range. */
  latencyMs?: number | { min: number; max: number };
  /** What this profile's tokens cost (USD per million), so budgets and cascades can be shown offline. */
  price?: Price;
}

export class SimulatedProviderError extends Error {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'SimulatedProviderError';
  }
}

/** mulberry32: tiny, fast, good enough for simulation; seeded from a hash so streams are independent. */
function rngFrom(seedText: string): () => number {
  let state = parseInt(sha256Hex(seedText).slice(0, 8), 16) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'amber',
  'brisk',
  'cobalt',
  'delta',
  'ember',
  'fjord',
  'granite',
  'harbor',
  'indigo',
  'juniper',
];

function fromSchema(
  schema: JsonValue | undefined,
  rng: () => number,
  depth = 0,
  field = 'text',
): JsonValue {
  if (!isJsonObject(schema) || depth > 6) return null;
  if ('const' in schema) return schema.const ?? null;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[Math.floor(rng() * schema.enum.length)] ?? null;
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, JsonValue> = {};
      const properties = isJsonObject(schema.properties) ? schema.properties : {};
      for (const [key, sub] of Object.entries(properties))
        out[key] = fromSchema(sub, rng, depth + 1, key);
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 3);
      const count = min + Math.floor(rng() * (max - min + 1));
      return Array.from({ length: count }, () => fromSchema(schema.items, rng, depth + 1, field));
    }
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : min + 100;
      const value = min + rng() * (max - min);
      return type === 'integer' ? Math.floor(value) : Math.round(value * 100) / 100;
    }
    case 'boolean':
      return rng() < 0.5;
    case 'string':
      return `simulated ${field} (${WORDS[Math.floor(rng() * WORDS.length)] as string})`;
    default:
      return null;
  }
}

export class SimulatedModel implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  /** The profile's price, if it has one; tokens are counted as prompt/4 and text/4 characters. */
  readonly price: Price | undefined;
  private readonly seed: number;
  private readonly errorRate: number;
  private readonly latency: { min: number; max: number };

  constructor(options: SimulatedModelOptions = {}) {
    this.name = options.name ?? 'default';
    this.seed = options.seed ?? 0;
    this.errorRate =
      options.errorRate ?? (options.accuracy === undefined ? 0 : 1 - options.accuracy);
    this.price = options.price;
    const latency = options.latencyMs ?? 0;
    this.latency = typeof latency === 'number' ? { min: latency, max: latency } : latency;
  }

  async generate(request: ModelRequest, signal: AbortSignal): Promise<ModelResponse> {
    const rng = rngFrom(
      `${this.seed}|${this.name}|${request.sampleKey}|${sha256Hex(request.prompt)}`,
    );
    const delay = this.latency.min + rng() * (this.latency.max - this.latency.min);
    if (delay > 0) await sleep(delay, signal);
    const model = `simulated:${this.name}`;
    const wrong = rng() < this.errorRate;
    const mistake = rng();
    if (wrong && mistake < 0.25)
      throw new SimulatedProviderError('simulated provider error (503 overloaded)');
    let text: string;
    if (request.outputSchema === undefined) {
      const gist = request.prompt.replace(/\s+/g, ' ').trim().slice(0, 80);
      text = wrong ? '' : `[simulated ${this.name}] reply to: ${gist}`;
    } else {
      const value = fromSchema(request.outputSchema, rng);
      if (!wrong) text = JSON.stringify(value);
      else if (mistake < 0.6)
        text = JSON.stringify(value).slice(0, -1); // truncated JSON
      else text = JSON.stringify({ unexpected: 'simulated schema violation' });
    }
    return simulatedResponse(text, model, request);
  }
}

/**
 * A simulated answer as a provider would return it: tokens counted as characters / 4, and cut at
 * `maxTokens` like a real provider's (finish reason `length`), so budgets' caps hold offline too.
 */
export function simulatedResponse(
  text: string,
  model: string,
  request: ModelRequest,
): ModelResponse {
  let answer = text;
  let finishReason = 'stop';
  if (request.maxTokens !== undefined && Math.ceil(answer.length / 4) > request.maxTokens) {
    answer = answer.slice(0, request.maxTokens * 4);
    finishReason = 'length';
  }
  return {
    text: answer,
    model,
    usage: {
      inputTokens: Math.ceil(request.prompt.length / 4),
      outputTokens: Math.ceil(answer.length / 4),
    },
    simulated: true,
    finishReason,
  };
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      },
      { once: true },
    );
  });
}
