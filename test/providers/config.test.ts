import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildModels,
  ConfigError,
  findConfig,
  loadConfig,
  loadDataConfig,
  ModelKeyMissingError,
  type BuildModelsOptions,
} from '../../src/cli/config.js';
import { AiSdkModel } from '../../src/providers/ai-sdk.js';
import { ProviderError } from '../../src/providers/errors.js';
import { PRICES, priceOfProvider } from '../../src/providers/prices.js';
import { SimulatedModel } from '../../src/providers/simulated.js';
import { openai } from './fixtures.js';
import { loopbackOnlyFetch, startLoopback, type Loopback } from './loopback.js';

const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sdkGlobals = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
afterEach(() => {
  delete sdkGlobals.AI_SDK_LOG_WARNINGS;
});

let counter = 0;
function configFile(text: string): string {
  const file = path.join(dir, `switchyard.${++counter}.config.yaml`);
  writeFileSync(file, text);
  return file;
}

function build(text: string, options: BuildModelsOptions = {}) {
  const file = configFile(text);
  return buildModels(loadDataConfig(file, dir).config, undefined, { file, ...options });
}

function configError(text: string): ConfigError {
  try {
    loadDataConfig(configFile(text), dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a config error');
}

const SECRET = 'sk-proj-THIS-IS-A-SECRET-0123456789';

describe('models: provider entries', () => {
  it('parses every provider kind with every field', () => {
    const registry = build(
      `
models:
  fast:
    provider: openai
    model: gpt-4o-mini
    stream: true
    maxRetries: 4
    timeoutMs: 30000
    strictJsonSchema: true
    headers: { OpenAI-Project: proj_1 }
  careful:
    provider: anthropic
    model: claude-sonnet-4-5-20250929
    apiKeyEnv: TEAM_ANTHROPIC_KEY
    baseURL: https://anthropic.example.test/v1
    price: { inputPerMTok: 2.5, outputPerMTok: 12 }
  local:
    provider: openai-compatible
    model: llama3.1:8b
    baseURL: http://127.0.0.1:11434/v1
    structuredOutputs: false
  cheap:
    provider: simulated
    accuracy: 0.8
    price: { inputPerMTok: 0.15, outputPerMTok: 0.15 }
    latencyMs: { min: 5, max: 20 }
`,
      { env: { OPENAI_API_KEY: SECRET, TEAM_ANTHROPIC_KEY: 'sk-ant-x' } },
    );
    expect(registry.names()).toEqual(['careful', 'cheap', 'default', 'fast', 'local']);
    const fast = registry.get('fast') as AiSdkModel;
    expect(fast).toBeInstanceOf(AiSdkModel);
    expect(fast).toMatchObject({ provider: 'openai', modelId: 'gpt-4o-mini', stream: true });
    expect(fast.price).toBe(PRICES['gpt-4o-mini']);
    const careful = registry.get('careful') as AiSdkModel;
    expect(careful).toMatchObject({ provider: 'anthropic', stream: false });
    expect(careful.price).toEqual({ inputPerMTok: 2.5, outputPerMTok: 12 });
    const local = registry.get('local') as AiSdkModel;
    expect(local).toMatchObject({ provider: 'openai-compatible', modelId: 'llama3.1:8b' });
    expect(local.price).toBeUndefined();
    const cheap = registry.get('cheap');
    expect(cheap).toBeInstanceOf(SimulatedModel);
    expect(priceOfProvider(cheap)).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.15 });
    // No default configured: the simulated default is still there.
    expect(registry.get('default')).toBeInstanceOf(SimulatedModel);
  });

  it('a price in config overrides the shipped table', () => {
    const registry = build(
      'models:\n  fast: { provider: openai, model: gpt-4o, price: { inputPerMTok: 1, outputPerMTok: 2 } }\n',
      { env: { OPENAI_API_KEY: SECRET } },
    );
    expect(priceOfProvider(registry.get('fast'))).toEqual({ inputPerMTok: 1, outputPerMTok: 2 });
  });

  it('rejects what it does not understand, naming the fields it expected', () => {
    expect(
      configError('models:\n  a: { provider: openai, model: x, tempreature: 1 }\n').message,
    ).toBe(
      'models.a: unknown field(s) tempreature (expected provider, model, apiKeyEnv, baseURL, headers, stream, maxRetries, timeoutMs, price, strictJsonSchema)',
    );
    expect(configError('models:\n  a: { provider: azure, model: x }\n').message).toBe(
      'models.a.provider: expected provider: simulated | openai | anthropic | openai-compatible',
    );
    expect(configError('models:\n  a: { provider: openai }\n').path).toBe('models.a.model');
    expect(
      configError('models:\n  a: { provider: openai-compatible, model: x }\n').message,
    ).toMatch(/models\.a\.baseURL: openai-compatible needs baseURL/);
    expect(
      configError('models:\n  a: { provider: openai, model: x, baseURL: "ftp://x" }\n').message,
    ).toBe('models.a.baseURL: expected an http(s) URL');
    expect(
      configError('models:\n  a: { provider: simulated, accuracy: 0.9, errorRate: 0.1 }\n').message,
    ).toMatch(/errorRate or accuracy, not both/);
    expect(configError('models:\n  a: { provider: simulated, accuracy: 1.5 }\n').path).toBe(
      'models.a.accuracy',
    );
  });

  it('a key pasted where the variable name goes is refused without echoing it', () => {
    const error = configError(
      `models:\n  a: { provider: openai, model: x, apiKeyEnv: ${SECRET} }\n`,
    );
    expect(error.message).toBe(
      'models.a.apiKeyEnv: expected an environment variable name, not a key',
    );
    expect(inspect(error)).not.toContain(SECRET);
  });
});

describe('API keys come from the environment', () => {
  it('a missing variable is a typed error naming the model and the variable', () => {
    let error: unknown;
    try {
      build('models:\n  fast: { provider: openai, model: gpt-4o-mini }\n', { env: {} });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ModelKeyMissingError);
    expect(error).toMatchObject({
      code: 'CONFIG_KEY_MISSING',
      model: 'fast',
      variable: 'OPENAI_API_KEY',
      path: 'models.fast.apiKeyEnv',
    });
    expect((error as Error).message).toBe(
      "model 'fast' (openai) reads its API key from the environment variable OPENAI_API_KEY, which is not set",
    );
  });

  it('defaults: OPENAI_API_KEY, ANTHROPIC_API_KEY; apiKeyEnv names another; empty counts as unset', () => {
    expect(() =>
      build('models:\n  c: { provider: anthropic, model: claude-haiku-4-5 }\n', {
        env: { OPENAI_API_KEY: SECRET },
      }),
    ).toThrow(/ANTHROPIC_API_KEY/);
    expect(() =>
      build('models:\n  c: { provider: anthropic, model: claude-haiku-4-5, apiKeyEnv: MY_KEY }\n', {
        env: { ANTHROPIC_API_KEY: SECRET, MY_KEY: '  ' },
      }),
    ).toThrow(/environment variable MY_KEY, which is not set/);
    expect(
      build('models:\n  c: { provider: anthropic, model: claude-haiku-4-5, apiKeyEnv: MY_KEY }\n', {
        env: { MY_KEY: SECRET },
      }).get('c'),
    ).toBeInstanceOf(AiSdkModel);
  });

  it('openai-compatible needs a key only when apiKeyEnv names one', () => {
    const url = 'http://127.0.0.1:1/v1';
    expect(
      build(`models:\n  l: { provider: openai-compatible, model: m, baseURL: "${url}" }\n`, {
        env: {},
      }).get('l'),
    ).toBeInstanceOf(AiSdkModel);
    expect(() =>
      build(
        `models:\n  l: { provider: openai-compatible, model: m, baseURL: "${url}", apiKeyEnv: GW_KEY }\n`,
        { env: {} },
      ),
    ).toThrow(ModelKeyMissingError);
  });

  describe('the key is never printed', () => {
    let server: Loopback;
    beforeAll(async () => {
      server = await startLoopback();
    });
    afterAll(() => server.close());

    it('not by the model object, nor by a provider error, nor by what the engine journals', async () => {
      const registry = build(
        `models:\n  fast: { provider: openai, model: gpt-4o-mini, baseURL: "${server.origin}/v1", maxRetries: 0 }\n`,
        { env: { OPENAI_API_KEY: SECRET }, fetch: loopbackOnlyFetch },
      );
      const fast = registry.get('fast') as AiSdkModel;
      expect(JSON.stringify(fast)).not.toContain(SECRET);
      expect(inspect(fast, { depth: 10 })).not.toContain(SECRET);

      server.script = [
        {
          status: 401,
          json: openai.error(
            'Incorrect API key provided: sk-proj-****6789.',
            'invalid_request_error',
            'invalid_api_key',
          ),
        },
      ];
      const error = await fast
        .generate(
          { model: 'fast', prompt: 'hi', temperature: 0, sampleKey: 'k' },
          new AbortController().signal,
        )
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(ProviderError);
      // The key did reach the server, as a bearer token…
      expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
      // …and nowhere else.
      expect((error as Error).message).not.toContain(SECRET);
      expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
      expect(inspect(fast, { depth: 10 })).not.toContain(SECRET);
    });

    it('not by the missing-key error', () => {
      let error: unknown;
      try {
        build('models:\n  fast: { provider: openai, model: gpt-4o-mini, apiKeyEnv: OTHER }\n', {
          env: { OPENAI_API_KEY: SECRET },
        });
      } catch (thrown) {
        error = thrown;
      }
      expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
    });
  });

  it('onWarning turns the SDK console warnings off', () => {
    build('models:\n  fast: { provider: openai, model: gpt-4o-mini }\n', {
      env: { OPENAI_API_KEY: SECRET },
      onWarning: () => undefined,
    });
    expect(sdkGlobals.AI_SDK_LOG_WARNINGS).toBe(false);
  });
});

describe('simulated profiles', () => {
  const request = { model: 'm', prompt: 'q', temperature: 0, sampleKey: 'k' };
  const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };

  /** Whether the text is JSON with the schema's required string field. */
  const satisfies = (text: string): boolean => {
    try {
      return typeof (JSON.parse(text) as { a?: unknown }).a === 'string';
    } catch {
      return false;
    }
  };

  it('accuracy sets how often the simulated model is right; the answer stays labelled simulated', async () => {
    const registry = build(
      'models:\n  perfect: { provider: simulated, accuracy: 1 }\n  hopeless: { provider: simulated, accuracy: 0 }\n',
    );
    const signal = new AbortController().signal;
    for (let i = 0; i < 20; i += 1) {
      const good = await registry
        .get('perfect')!
        .generate({ ...request, sampleKey: `k${i}`, outputSchema: schema }, signal);
      expect(good.simulated).toBe(true);
      expect(good.model).toBe('simulated:perfect');
      expect(satisfies(good.text), good.text).toBe(true);
      const bad = await registry
        .get('hopeless')!
        .generate({ ...request, sampleKey: `k${i}`, outputSchema: schema }, signal)
        .then(
          (response) => response.text,
          () => 'provider error',
        );
      expect(satisfies(bad), bad).toBe(false);
    }
  });
});

describe('a config written in TypeScript', () => {
  let counter = 0;
  function tsConfig(text: string, name = 'switchyard.config.ts'): string {
    const sub = path.join(dir, `ts-${++counter}`);
    mkdirSync(sub);
    const file = path.join(sub, name);
    writeFileSync(file, text);
    return file;
  }
  async function refusal(file: string): Promise<ConfigError> {
    const error = await loadConfig(file, dir).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it('loads the default export through tsx and checks it like YAML', async () => {
    const file = tsConfig(`
      type Price = { inputPerMTok: number; outputPerMTok: number };
      const cheap: Price = { inputPerMTok: 0.15, outputPerMTok: 0.15 };
      export default {
        store: 'sqlite:./here.db',
        models: { fast: { provider: 'simulated' as const, seed: 3, price: cheap } },
      };
    `);
    const loaded = await loadConfig(file, dir);
    expect(loaded.dir).toBe(path.dirname(file));
    expect(loaded.config).toMatchObject({
      store: 'sqlite:./here.db',
      models: { fast: { provider: 'simulated', seed: 3, price: { inputPerMTok: 0.15 } } },
    });
    expect(findConfig(path.dirname(file), path.dirname(file))).toBe(file);
  });

  it('takes a default export that is an async function (secrets fetched at start, say)', async () => {
    const file = tsConfig(
      'export default async () => ({ models: { m: { provider: "simulated", seed: 1 } } });',
      'switchyard.config.mts',
    );
    expect((await loadConfig(file, dir)).config.models?.m).toMatchObject({ seed: 1 });
  });

  it('a value the schema refuses is CONFIG_INVALID at the field, as in YAML', async () => {
    const error = await refusal(
      tsConfig('export default { models: { x: { provider: "simulated", accuracy: 2 } } };'),
    );
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', path: 'models.x.accuracy' });
  });

  it('no default export, a syntax error and a throwing module are each named', async () => {
    expect(await refusal(tsConfig('export const config = {};'))).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('has no default export') as unknown,
    });
    expect(await refusal(tsConfig('export default {'))).toMatchObject({
      message: expect.stringContaining('failed to load') as unknown,
    });
    expect(
      await refusal(tsConfig('export default () => { throw new Error("vault sealed"); };')),
    ).toMatchObject({ message: expect.stringContaining('vault sealed') as unknown });
    expect(await refusal(tsConfig('export default [1];'))).toMatchObject({
      message: expect.stringContaining('an array, expected a config object') as unknown,
    });
  });
});
