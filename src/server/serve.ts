import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { JournalStore, ToolDefinition } from '../core/ports.js';
import { DEFAULT_STORE_URL, openStore } from '../journal/open-store.js';
import { createLogger, logRunEvents, type Logger } from '../observability/logger.js';
import { startOtlpPipeline, type OtlpPipeline } from '../observability/otel.js';
import { JournalTelemetry, type ModelDescription } from '../observability/telemetry.js';
import { lookupPrice, priceOf, priceOfProvider } from '../providers/prices.js';
import type { ModelRegistry } from '../providers/registry.js';
import {
  buildModels,
  findConfig,
  loadConfig,
  loadToolModules,
  type LoadedConfig,
  type SwitchyardConfig,
} from '../runtime/config.js';
import { connectMcpServers, type McpServers } from '../runtime/mcp.js';
import { Runtime } from '../runtime/runtime.js';
import { createApp } from './app.js';
import { isLoopbackHost } from './auth.js';
import { ServerConfigError } from './errors.js';
import { EventHub } from './hub.js';
import { findDashboardDir } from './static.js';
import { RunSupervisor } from './supervisor.js';
import { loadWorkflows, type WorkflowRegistry } from './workflows.js';

export const DEFAULT_PORT = 7777;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServeOptions {
  /** Where relative paths (--config, --store) are read from. */
  cwd: string;
  /** --config; default: switchyard.config.yaml in `cwd`. */
  configFile?: string;
  /** --store; overrides SWITCHYARD_STORE and the config's `store`. */
  store?: string;
  host?: string;
  /** 0 picks a free port (tests). */
  port?: number;
  /** Allow running without a token, on a loopback address only. */
  insecureLocal?: boolean;
  /** Tools registered beside the config's `tools:` modules (an embedding program's own). */
  tools?: ToolDefinition[];
  /** Seed for simulated models (like the CLI's --seed). */
  seed?: number;
  /** Environment for SWITCHYARD_TOKEN, SWITCHYARD_STORE and API keys; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Where the loud --insecure-local warning goes (stderr by default). */
  warn?(text: string): void;
  /** Seconds between SSE keep-alive comments, in ms (default 15 000). */
  heartbeatMs?: number;
  /** How long close() waits for drives in progress (default 5000 ms). */
  shutdownGraceMs?: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  app: Hono;
  runtime: Runtime;
  supervisor: RunSupervisor;
  workflows: WorkflowRegistry;
  /** Runs found running at start and resumed. */
  resumed: string[];
  telemetry: OtlpPipeline | undefined;
  logger: Logger;
  close(): Promise<void>;
}

/**
 * `switchyard serve`: loads the config (tools, models, workflows, telemetry), opens the store,
 * refuses to start without a token unless `insecureLocal` on loopback, listens, then resumes every
 * run the store records as running (the previous server stopped while driving it).
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger({ level: logLevel(env.SWITCHYARD_LOG_LEVEL) });
  const config = await readConfig(options);
  const host = options.host ?? config.config.server?.host ?? DEFAULT_HOST;
  const port = options.port ?? config.config.server?.port ?? DEFAULT_PORT;
  const token = resolveToken(config, env, host, options.insecureLocal === true);

  const store = await openConfiguredStore(config, options, env);
  let telemetry: OtlpPipeline | undefined;
  let mcpServers: McpServers | undefined;
  try {
    const modules = await loadToolModules(config);
    const tools = [...modules.tools, ...(options.tools ?? [])];
    const models = buildModels(config.config, options.seed, {
      ...(config.file ? { file: config.file } : {}),
      env,
      onWarning: (message) => logger.warn(message),
    });
    const workflows = await loadWorkflows(config);
    const version = packageVersion();
    telemetry = config.config.telemetry
      ? startOtlpPipeline({
          serviceName: config.config.telemetry.serviceName ?? 'switchyard',
          serviceVersion: version,
          endpoint: config.config.telemetry.otlp.endpoint,
          ...(config.config.telemetry.otlp.headers
            ? { headers: config.config.telemetry.otlp.headers }
            : {}),
          ...(config.config.telemetry.otlp.metricsIntervalMs
            ? { metricsIntervalMs: config.config.telemetry.otlp.metricsIntervalMs }
            : {}),
        })
      : undefined;
    const costOf = modelCost(models);
    const journalTelemetry = telemetry
      ? new JournalTelemetry({
          tracer: telemetry.tracer,
          meter: telemetry.meter,
          describeModel: describeModels(config.config),
          costOf,
        })
      : undefined;

    const hub = new EventHub();
    const runtime = new Runtime({
      store,
      tools,
      // Vote steps name their parsers and checks; they come from the same tool modules.
      voteFunctions: modules.voteFunctions,
      models,
      onEvents: (runId, events) => {
        hub.publish(runId, events);
        journalTelemetry?.observe(runId, events);
        logRunEvents(logger, runId, events);
      },
      origin: {
        ...(config.file ? { config: config.file } : {}),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      },
      onWarning: (message) => logger.warn(message),
    });
    // Before resuming anything: a resumed run needs its MCP tools registered.
    mcpServers = await connectMcpServers(runtime, config, {
      env,
      onWarning: (message) => logger.warn(message),
    });
    const supervisor = new RunSupervisor(runtime, hub, logger);
    const { app } = createApp({
      runtime,
      supervisor,
      hub,
      workflows,
      logger,
      token,
      version,
      dashboardDir: findDashboardDir(),
      costOf,
      ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    });

    const server = createAdaptorServer({
      fetch: app.fetch,
      overrideGlobalObjects: false,
      // Idle keep-alive connections outlive the clients' own idle timeouts (undici 4 s, browsers and
      // load balancers 60 s), so a client never reuses a socket the server is closing that instant.
      serverOptions: { keepAliveTimeout: 65_000, headersTimeout: 66_000 },
    });
    const address = await listen(server, host, port);
    const shownHost = address.address.includes(':') ? `[${address.address}]` : address.address;
    const url = `http://${shownHost}:${address.port}`;
    if (token === undefined) {
      const warning =
        `WARNING: --insecure-local: the API at ${url} accepts requests WITHOUT A TOKEN.\n` +
        'Any process on this machine can start, approve and cancel runs. Set server.token or\n' +
        'SWITCHYARD_TOKEN instead on any machine someone else can log in to.\n';
      (options.warn ?? ((text) => process.stderr.write(text)))(warning);
      logger.warn({ url }, 'serving without a token (--insecure-local)');
    }
    const resumed = await supervisor.resumeInFlight();
    logger.info(
      {
        url,
        store: store.kind,
        workflows: workflows.names(),
        auth: token === undefined ? 'none' : 'bearer',
        telemetry: telemetry ? config.config.telemetry?.otlp.endpoint : 'off',
        resumed: resumed.length,
      },
      'listening',
    );

    let closed: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closed ??= (async () => {
        supervisor.close();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
        const idle = await supervisor.idle(options.shutdownGraceMs ?? 5000);
        if (!idle)
          logger.warn(
            { drives: supervisor.activeDrives },
            'stopping with drives in progress; they resume at the next start',
          );
        await stopped;
        await mcpServers?.close();
        await telemetry?.shutdown();
        await store.close();
        logger.info('stopped');
      })());
    return {
      url,
      host,
      port: address.port,
      app,
      runtime,
      supervisor,
      workflows,
      resumed,
      telemetry,
      logger,
      close,
    };
  } catch (error) {
    await mcpServers?.close();
    await telemetry?.shutdown();
    await store.close();
    throw error;
  }
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** SWITCHYARD_LOG_LEVEL (default info); anything else is refused rather than ignored. */
export function logLevel(text: string | undefined): (typeof LEVELS)[number] {
  if (text === undefined || text === '') return 'info';
  const level = LEVELS.find((candidate) => candidate === text);
  if (!level) {
    throw new ServerConfigError(
      'SERVER_LOG_LEVEL_INVALID',
      `SWITCHYARD_LOG_LEVEL=${text} is not a log level`,
      { hint: `use one of ${LEVELS.join(', ')}` },
    );
  }
  return level;
}

export async function readConfig(
  options: Pick<ServeOptions, 'cwd' | 'configFile'>,
): Promise<LoadedConfig> {
  const file = options.configFile
    ? path.resolve(options.cwd, options.configFile)
    : findConfig(options.cwd, options.cwd);
  return loadConfig(file, options.cwd);
}

/**
 * SWITCHYARD_TOKEN, else `server.token`. No token is only allowed with --insecure-local, and that
 * only on a loopback address: anything else is refused before the port is opened.
 */
export function resolveToken(
  config: LoadedConfig,
  env: Readonly<Record<string, string | undefined>>,
  host: string,
  insecureLocal: boolean,
  command = 'switchyard serve',
): string | undefined {
  const fromEnv = env.SWITCHYARD_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '' && fromEnv.trim().length < 16) {
    throw new ServerConfigError(
      'SERVER_TOKEN_WEAK',
      'SWITCHYARD_TOKEN is shorter than 16 characters',
      { hint: 'use a long random token, e.g. `export SWITCHYARD_TOKEN=$(openssl rand -hex 32)`' },
    );
  }
  const token =
    fromEnv !== undefined && fromEnv !== '' ? fromEnv.trim() : config.config.server?.token;
  if (token !== undefined) return token;
  if (!insecureLocal) {
    throw new ServerConfigError(
      'SERVER_TOKEN_MISSING',
      `${command} needs a bearer token for its API, and none is configured`,
      {
        hint:
          'export SWITCHYARD_TOKEN=$(openssl rand -hex 32), or set server.token in switchyard.config.yaml; ' +
          'for a local try-out only, --insecure-local serves without one on 127.0.0.1',
      },
    );
  }
  if (!isLoopbackHost(host)) {
    throw new ServerConfigError(
      'SERVER_INSECURE_NOT_LOOPBACK',
      `--insecure-local serves without a token, so it binds only to a loopback address, not ${host}`,
      { hint: 'use --host 127.0.0.1 (the default), or configure a token to listen elsewhere' },
    );
  }
  return undefined;
}

export async function openConfiguredStore(
  config: LoadedConfig,
  options: Pick<ServeOptions, 'cwd' | 'store'>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<JournalStore> {
  const explicit = options.store ?? env.SWITCHYARD_STORE;
  const fromConfig = explicit === undefined ? config.config.store : undefined;
  // As in the CLI: a relative sqlite path in a config file is next to that file.
  const cwd = fromConfig !== undefined ? config.dir : options.cwd;
  return openStore(explicit ?? fromConfig ?? DEFAULT_STORE_URL, { cwd });
}

/** Listens, or fails with SERVER_LISTEN_FAILED naming the address; `portFlag` is the command's flag. */
export function listen(
  server: ReturnType<typeof createAdaptorServer>,
  host: string,
  port: number,
  portFlag = '--port',
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new ServerConfigError(
          'SERVER_LISTEN_FAILED',
          `cannot listen on ${host}:${port}: ${error.code ?? error.message}`,
          {
            hint:
              error.code === 'EADDRINUSE'
                ? `another process uses that port: pick another with ${portFlag}`
                : `check --host and ${portFlag}`,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** gen_ai.provider.name and the provider's model id for each configured model name. */
function describeModels(config: SwitchyardConfig): (name: string) => ModelDescription {
  return (name) => {
    const model = config.models?.[name];
    if (!model || model.provider === 'simulated')
      return { provider: 'switchyard.simulated', model: `simulated:${name}` };
    return { provider: model.provider, model: model.model };
  };
}

/** USD for a call: the configured model's own price, else the price table's for the model id. */
function modelCost(
  models: ModelRegistry,
): (
  name: string,
  model: string,
  usage: { inputTokens: number; outputTokens: number },
) => number | undefined {
  return (name, model, usage) => {
    const price = priceOfProvider(models.get(name)) ?? lookupPrice(model);
    return price ? priceOf(price, usage)?.totalUsd : undefined;
  };
}

export function packageVersion(): string {
  try {
    const file = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
