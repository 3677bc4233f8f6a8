import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SwitchyardError } from '../core/errors.js';
import type { ModelProvider, ToolDefinition } from '../core/ports.js';
import { createProviderModel, describeWarning, type ProviderKind } from '../providers/ai-sdk.js';
import { ModelRegistry } from '../providers/registry.js';
import { QuizSimulatedModel } from '../providers/quiz.js';
import { SimulatedModel } from '../providers/simulated.js';
import { isVoteFunction, type VoteFunctionDefinition } from '../voting/functions.js';
import { HanoiSimulatedModel } from '../voting/hanoi/provider.js';

/** switchyard.config.yaml: where the journal lives, which tools exist, which models steps may name. */
const PriceConfig = z.strictObject({
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
});

const LatencyConfig = z.union([
  z.number().min(0),
  z.strictObject({ min: z.number().min(0), max: z.number().min(0) }),
]);

/** A simulated model, optionally with a profile (accuracy or errorRate, price, latency). */
const SimulatedModelConfig = z
  .strictObject({
    provider: z.literal('simulated'),
    seed: z.number().int().optional(),
    errorRate: z.number().min(0).max(1).optional(),
    accuracy: z.number().min(0).max(1).optional(),
    latencyMs: LatencyConfig.optional(),
    price: PriceConfig.optional(),
    /**
     * hanoi: answers Towers of Hanoi prompts as simulateHanoiModel does (docs/voting.md); quiz:
     * answers arithmetic questions, erring more on harder ones (docs/models.md#the-quiz-profile).
     */
    profile: z.enum(['hanoi', 'quiz']).optional(),
  })
  .refine((model) => model.errorRate === undefined || model.accuracy === undefined, {
    message: 'give errorRate or accuracy, not both (accuracy is 1 - errorRate)',
  });

/** Fields every real provider takes. */
const providerFields = {
  /** The provider's model id. */
  model: z.string().min(1),
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name, not a key')
    .optional(),
  baseURL: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  stream: z.boolean().optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  timeoutMs: z.number().int().positive().optional(),
  price: PriceConfig.optional(),
};

const OpenAIModelConfig = z.strictObject({
  provider: z.literal('openai'),
  ...providerFields,
  strictJsonSchema: z.boolean().optional(),
});
const AnthropicModelConfig = z.strictObject({
  provider: z.literal('anthropic'),
  ...providerFields,
});
const OpenAICompatibleModelConfig = z.strictObject({
  provider: z.literal('openai-compatible'),
  ...providerFields,
  baseURL: z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined
        ? 'openai-compatible needs baseURL, the server API root (e.g. http://localhost:11434/v1)'
        : 'expected an http(s) URL',
  }),
  structuredOutputs: z.boolean().optional(),
});

export const PROVIDERS = ['simulated', 'openai', 'anthropic', 'openai-compatible'] as const;

const ModelConfig = z.discriminatedUnion(
  'provider',
  [SimulatedModelConfig, OpenAIModelConfig, AnthropicModelConfig, OpenAICompatibleModelConfig],
  { error: `expected provider: ${PROVIDERS.join(' | ')}` },
);
export type ModelConfig = z.output<typeof ModelConfig>;

/** The environment variable a provider's key is read from when `apiKeyEnv` is not given. */
export const DEFAULT_API_KEY_ENV: Record<ProviderKind, string | undefined> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  // Local servers (Ollama, vLLM, LM Studio) usually need no key: send one only when named.
  'openai-compatible': undefined,
};

/** `switchyard serve`: where it listens and the bearer token its API requires (docs/server.md). */
const ServerConfig = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  /** SWITCHYARD_TOKEN, when set, takes precedence; either way it is never printed. */
  token: z
    .string()
    .min(16, 'expected a token of at least 16 characters (e.g. `openssl rand -hex 32`)')
    .optional(),
});

/** OpenTelemetry export over OTLP/HTTP (docs/server.md#telemetry). */
const TelemetryConfig = z.strictObject({
  serviceName: z.string().min(1).optional(),
  otlp: z.strictObject({
    /** The collector's base URL; /v1/traces and /v1/metrics are appended. */
    endpoint: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
    headers: z.record(z.string(), z.string()).optional(),
    /** How often metrics are exported (default 60 000 ms). */
    metricsIntervalMs: z.number().int().min(100).optional(),
  }),
});
export type TelemetryConfig = z.output<typeof TelemetryConfig>;

/**
 * An MCP server whose tools steps may call as `<name>.<tool>` (docs/mcp.md). The transport is
 * `stdio` (a command Switchyard starts) or `http` (Streamable HTTP at a URL); when `transport` is
 * left out it follows from `command` or `url`. `${VAR}` in env and headers values is read from the
 * environment when the server is connected, so secrets need not be in the file.
 */
const McpServerConfig = z
  .strictObject({
    transport: z
      .enum(['stdio', 'http'], {
        error: (issue) =>
          `unknown transport ${JSON.stringify(issue.input)} (expected stdio | http)`,
      })
      .optional(),
    command: z.string().min(1, 'expected the command that starts the server').optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    retry: z.enum(['safe', 'unsafe'], { error: 'expected safe | unsafe' }).optional(),
    callTimeoutMs: z.number().int().positive().optional(),
    connectTimeoutMs: z.number().int().positive().optional(),
    pingIntervalMs: z.number().int().min(0).optional(),
    reconnect: z
      .strictObject({
        initialMs: z.number().int().min(1).optional(),
        maxMs: z.number().int().min(1).optional(),
        downAfter: z.number().int().min(1).optional(),
      })
      .optional(),
  })
  .superRefine((server, context) => {
    const transport = server.transport ?? (server.url !== undefined ? 'http' : 'stdio');
    if (transport === 'stdio') {
      if (server.command === undefined)
        context.addIssue({
          code: 'custom',
          path: ['command'],
          message:
            server.transport === undefined
              ? 'expected command (a stdio server Switchyard starts) or url (a Streamable HTTP server)'
              : 'a stdio server needs the command that starts it',
        });
      for (const field of ['url', 'headers'] as const)
        if (server[field] !== undefined)
          context.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} is for http servers; this one is stdio`,
          });
    } else {
      if (server.url === undefined)
        context.addIssue({
          code: 'custom',
          path: ['url'],
          message: 'an http server needs its url',
        });
      for (const field of ['command', 'args', 'env', 'cwd'] as const)
        if (server[field] !== undefined)
          context.addIssue({
            code: 'custom',
            path: [field],
            message: `${field} is for stdio servers; this one is http`,
          });
    }
  });
export type McpServerConfig = z.output<typeof McpServerConfig>;

export const ConfigSchema = z.strictObject({
  store: z.string().optional(),
  tools: z
    .union([z.string(), z.array(z.string())], {
      error: 'expected a module path or a list of module paths',
    })
    .optional(),
  models: z.record(z.string(), ModelConfig).optional(),
  /** Workflow files (or directories of them) the server runs by name, relative to this file. */
  workflows: z
    .union([z.string(), z.array(z.string())], {
      error: 'expected a workflow file or directory, or a list of them',
    })
    .optional(),
  server: ServerConfig.optional(),
  telemetry: TelemetryConfig.optional(),
  /** MCP servers whose tools steps may call as `<server>.<tool>` (docs/mcp.md). */
  mcpServers: z
    .record(z.string(), McpServerConfig)
    .superRefine((servers, context) => {
      for (const name of Object.keys(servers))
        if (!/^[A-Za-z0-9_-]+$/.test(name))
          context.addIssue({
            code: 'custom',
            path: [name],
            message: `the MCP server name ${JSON.stringify(name)} may hold only letters, digits, _ and - (its tools are named <server>.<tool>)`,
          });
    })
    .optional(),
});
export type SwitchyardConfig = z.output<typeof ConfigSchema>;
/** What a config file may say (defaults not yet applied): the type `defineConfig` checks. */
export type SwitchyardConfigInput = z.input<typeof ConfigSchema>;

export interface LoadedConfig {
  file: string | undefined;
  dir: string;
  config: SwitchyardConfig;
}

/** Looked for in this order in each directory. */
const NAMES = [
  'switchyard.config.yaml',
  'switchyard.config.yml',
  'switchyard.config.json',
  'switchyard.config.ts',
  'switchyard.config.mts',
  'switchyard.config.js',
  'switchyard.config.mjs',
];

/** A config written as a module: its default export is the config (docs/models.md#configuration). */
const CODE_CONFIG = /\.[cm]?[jt]s$/;

export class ConfigError extends SwitchyardError {
  constructor(file: string, message: string, details: { path?: string; hint?: string } = {}) {
    super('CONFIG_INVALID', message, { file, ...details });
  }
}

/**
 * A model's API key is not in the environment. Names the model and the variable, never a value:
 * keys live only in the environment and are handed straight to the provider.
 */
export class ModelKeyMissingError extends SwitchyardError {
  readonly model: string;
  readonly variable: string;
  constructor(file: string | undefined, model: string, provider: string, variable: string) {
    super(
      'CONFIG_KEY_MISSING',
      `model '${model}' (${provider}) reads its API key from the environment variable ${variable}, which is not set`,
      {
        ...(file === undefined ? {} : { file }),
        path: `models.${model}.apiKeyEnv`,
        hint: `export ${variable}=… before running, or set models.${model}.apiKeyEnv to the variable that holds the key`,
      },
    );
    this.model = model;
    this.variable = variable;
  }
}

function configIn(dir: string): string | undefined {
  for (const name of NAMES) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Looks for a config next to the spec, then in its parents up to the working directory, then in
 * the working directory itself (a spec outside it still gets the project's config).
 */
export function findConfig(startDir: string, stopDir: string): string | undefined {
  const stop = path.resolve(stopDir);
  const inside = (dir: string): boolean => dir === stop || dir.startsWith(stop + path.sep);
  for (let dir = path.resolve(startDir); inside(dir); dir = path.dirname(dir)) {
    const found = configIn(dir);
    if (found) return found;
    if (dir === stop) return undefined;
  }
  return configIn(stop);
}

/**
 * Reads and checks a config file: YAML or JSON as data, a .ts/.mts (through tsx) or .js/.mjs module
 * by its default export (a config object, or a function returning one or a promise of one).
 */
export async function loadConfig(file: string | undefined, cwd: string): Promise<LoadedConfig> {
  if (!file || !CODE_CONFIG.test(file)) return loadDataConfig(file, cwd);
  return { file, dir: path.dirname(file), config: checkConfig(file, await importConfig(file)) };
}

/** loadConfig for a YAML or JSON file, synchronously (a module config needs loadConfig). */
export function loadDataConfig(file: string | undefined, cwd: string): LoadedConfig {
  if (!file) return { file: undefined, dir: cwd, config: {} };
  if (CODE_CONFIG.test(file))
    throw new ConfigError(file, 'is a module; it is loaded with loadConfig, not loadDataConfig');
  return { file, dir: path.dirname(file), config: checkConfig(file, readDataConfig(file)) };
}

function readDataConfig(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(file, 'cannot be read', { hint: 'check the --config path' });
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(file, `is not valid YAML: ${(error as Error).message}`);
  }
}

async function importConfig(file: string): Promise<unknown> {
  if (!existsSync(file))
    throw new ConfigError(file, 'cannot be read', { hint: 'check the --config path' });
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(file);
  } catch (error) {
    throw new ConfigError(file, `failed to load: ${(error as Error).message}`, {
      hint: 'run it with `npx tsx <file>` to see the error in full',
    });
  }
  // A .ts file outside an ESM package is compiled to CommonJS: its exports arrive as the
  // namespace's default, marked __esModule, with the real default export inside.
  let exports: Record<string, unknown> = namespace;
  const wrapped = namespace.default;
  if (typeof wrapped === 'object' && wrapped !== null && '__esModule' in wrapped) exports = wrapped;
  if (!('default' in exports))
    throw new ConfigError(file, 'has no default export', {
      hint: "end it with `export default defineConfig({ ... })` (defineConfig from 'switchyard')",
    });
  let value = exports.default;
  if (typeof value === 'function') {
    try {
      value = await (value as () => unknown)();
    } catch (error) {
      throw new ConfigError(file, `its default export threw: ${(error as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(
      file,
      `default export is ${Array.isArray(value) ? 'an array' : typeof value}, expected a config object`,
      {
        hint: 'export default defineConfig({ store: ..., models: { ... } })',
      },
    );
  return value;
}

/** Imports a module, TypeScript through tsx (a dependency: no build step for configs or tools). */
async function importModule(file: string): Promise<Record<string, unknown>> {
  if (/\.[cm]?tsx?$/.test(file)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function checkConfig(file: string, raw: unknown): SwitchyardConfig {
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.join('.');
      const what =
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.join(', ')} (expected ${expectedFields(raw, issue.path)})`
          : issue.message;
      return where ? `${where}: ${what}` : what;
    });
    throw new ConfigError(file, problems.join('; '), {
      path: parsed.error.issues[0]?.path.join('.') ?? '',
      hint: 'see the Configuration section of the README',
    });
  }
  return parsed.data;
}

function isTool(value: unknown): value is ToolDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ToolDefinition).name === 'string' &&
    typeof (value as ToolDefinition).execute === 'function'
  );
}

/** Imports the tool modules a config names (.ts through tsx) and collects every exported tool. */
export async function loadTools(loaded: LoadedConfig): Promise<ToolDefinition[]> {
  return (await loadToolModules(loaded)).tools;
}

/**
 * Imports the tool modules a config names and collects every exported tool and every exported vote
 * parser or check (defineVoteParser / defineVoteCheck).
 */
export async function loadToolModules(
  loaded: LoadedConfig,
): Promise<{ tools: ToolDefinition[]; voteFunctions: VoteFunctionDefinition[] }> {
  const modules = loaded.config.tools === undefined ? [] : [loaded.config.tools].flat();
  const tools: ToolDefinition[] = [];
  const voteFunctions: VoteFunctionDefinition[] = [];
  for (const relative of modules) {
    const file = path.resolve(loaded.dir, relative);
    if (!existsSync(file)) {
      throw new ConfigError(loaded.file ?? 'config', `tools module ${relative} does not exist`, {
        path: 'tools',
      });
    }
    let namespace: Record<string, unknown>;
    try {
      namespace = await importModule(file);
    } catch (error) {
      throw new ConfigError(
        loaded.file ?? 'config',
        `tools module ${relative} failed to load: ${(error as Error).message}`,
        {
          path: 'tools',
        },
      );
    }
    for (const value of Object.values(namespace)) {
      const candidates = Array.isArray(value)
        ? value
        : isTool(value) || isVoteFunction(value)
          ? [value]
          : typeof value === 'object' && value
            ? Object.values(value)
            : [];
      for (const candidate of candidates) {
        if (isTool(candidate) && !tools.includes(candidate)) tools.push(candidate);
        if (isVoteFunction(candidate) && !voteFunctions.includes(candidate))
          voteFunctions.push(candidate);
      }
    }
  }
  return { tools, voteFunctions };
}

const MODEL_SCHEMAS = {
  simulated: SimulatedModelConfig,
  openai: OpenAIModelConfig,
  anthropic: AnthropicModelConfig,
  'openai-compatible': OpenAICompatibleModelConfig,
};

/** The fields allowed where an unknown one was found, for the error message. */
function expectedFields(raw: unknown, at: ReadonlyArray<PropertyKey>): string {
  if (at.length === 0) return 'store, tools, models, workflows, server, telemetry, mcpServers';
  if (at[0] === 'mcpServers') return Object.keys(McpServerConfig.shape).join(', ');
  if (at[0] === 'server') return Object.keys(ServerConfig.shape).join(', ');
  if (at[0] === 'telemetry')
    return at.length === 1
      ? Object.keys(TelemetryConfig.shape).join(', ')
      : Object.keys(TelemetryConfig.shape.otlp.shape).join(', ');
  if (at.length === 2 && at[0] === 'models') {
    const models = (raw as { models?: Record<string, { provider?: unknown } | null> }).models;
    const provider = models?.[String(at[1])]?.provider;
    if (typeof provider === 'string' && provider in MODEL_SCHEMAS)
      return Object.keys(MODEL_SCHEMAS[provider as keyof typeof MODEL_SCHEMAS].shape).join(', ');
  }
  return 'see docs/models.md';
}

export interface BuildModelsOptions {
  /** Where API keys are read from; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The config file, for errors. */
  file?: string;
  /** The fetch real providers use (tests keep it on loopback). */
  fetch?: typeof globalThis.fetch;
  /**
   * Where provider warnings go (a setting the provider dropped). When given, the AI SDK's own
   * console logging is turned off (`AI_SDK_LOG_WARNINGS = false`) so nothing reaches stdout.
   */
  onWarning?: (message: string) => void;
}

/**
 * The models a config names, by name. Every real provider's key is read now, so a missing key is a
 * CONFIG_KEY_MISSING before the run starts rather than a failed step later.
 */
export function buildModels(
  config: SwitchyardConfig,
  seed: number | undefined,
  options: BuildModelsOptions = {},
): ModelRegistry {
  const env = options.env ?? process.env;
  const registry = new ModelRegistry();
  for (const [name, model] of Object.entries(config.models ?? {}))
    registry.register(name, buildModel(name, model, seed, env, options));
  if (!registry.get('default'))
    registry.register('default', new SimulatedModel({ name: 'default', seed: seed ?? 0 }));
  return registry;
}

function buildModel(
  name: string,
  model: ModelConfig,
  seed: number | undefined,
  env: Readonly<Record<string, string | undefined>>,
  options: BuildModelsOptions,
): ModelProvider {
  if (model.provider === 'simulated' && model.profile === 'hanoi') {
    return new HanoiSimulatedModel({
      name,
      seed: seed ?? model.seed ?? 0,
      p: model.accuracy ?? 1 - (model.errorRate ?? 0),
    });
  }
  if (model.provider === 'simulated' && model.profile === 'quiz') {
    return new QuizSimulatedModel({
      name,
      seed: seed ?? model.seed ?? 0,
      errorRate: model.errorRate ?? 1 - (model.accuracy ?? 1),
      ...(model.latencyMs === undefined ? {} : { latencyMs: model.latencyMs }),
      ...(model.price === undefined ? {} : { price: model.price }),
    });
  }
  if (model.provider === 'simulated') {
    return new SimulatedModel({
      name,
      seed: seed ?? model.seed ?? 0,
      ...(model.errorRate === undefined ? {} : { errorRate: model.errorRate }),
      ...(model.accuracy === undefined ? {} : { accuracy: model.accuracy }),
      ...(model.latencyMs === undefined ? {} : { latencyMs: model.latencyMs }),
      ...(model.price === undefined ? {} : { price: model.price }),
    });
  }
  const variable = model.apiKeyEnv ?? DEFAULT_API_KEY_ENV[model.provider];
  let apiKey: string | undefined;
  if (variable !== undefined) {
    apiKey = env[variable];
    if (apiKey === undefined || apiKey.trim() === '')
      throw new ModelKeyMissingError(options.file, name, model.provider, variable);
  }
  const { apiKeyEnv: _apiKeyEnv, ...settings } = model;
  const onWarning = options.onWarning;
  if (onWarning) (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = false;
  return createProviderModel({
    ...settings,
    name,
    ...(apiKey === undefined ? {} : { apiKey }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(onWarning
      ? {
          onWarning: (warning: unknown) =>
            onWarning(`model '${name}': ${describeWarning(warning)}`),
        }
      : {}),
  });
}
