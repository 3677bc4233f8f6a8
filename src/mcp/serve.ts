import type { Readable, Writable } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { Hono } from 'hono';
import { SwitchyardError } from '../core/errors.js';
import type { ToolDefinition } from '../core/ports.js';
import { createLogger, logRunEvents, type Logger } from '../observability/logger.js';
import { buildModels, loadToolModules } from '../runtime/config.js';
import { connectMcpServers, type McpServers } from '../runtime/mcp.js';
import { Runtime } from '../runtime/runtime.js';
import {
  apiAuth,
  EventHub,
  listen,
  loadWorkflows,
  logLevel,
  openConfiguredStore,
  packageVersion,
  readConfig,
  resolveToken,
  RunSupervisor,
  ServerError,
  statusFor,
  type WorkflowRegistry,
} from '../server/index.js';
import { buildWorkflowTools, createMcpServer, type McpToolsContext } from './tools.js';

export const DEFAULT_MCP_HOST = '127.0.0.1';

export interface McpServeOptions {
  cwd: string;
  configFile?: string;
  store?: string;
  seed?: number;
  /** stdio (the default, for desktop clients that start the server) or Streamable HTTP. */
  transport:
    | { kind: 'stdio'; stdin?: Readable; stdout?: Writable }
    | { kind: 'http'; port: number; host?: string; insecureLocal?: boolean };
  /** How long a workflow's tool waits for the run before answering "still running" (50 s). */
  waitMs?: number;
  tools?: ToolDefinition[];
  env?: Readonly<Record<string, string | undefined>>;
  /** JSON log lines; to stderr by default (stdout carries the protocol in stdio mode). */
  logger?: Logger;
  warn?(text: string): void;
  shutdownGraceMs?: number;
}

export interface RunningMcpServer {
  /** The Streamable HTTP endpoint (`http://host:port/mcp`); undefined in stdio mode. */
  url: string | undefined;
  runtime: Runtime;
  supervisor: RunSupervisor;
  workflows: WorkflowRegistry;
  /** Runs found running at start and resumed in the background. */
  resumed: string[];
  /** Resolves when the stdio client hung up (never for HTTP: stop it with close()). */
  disconnected: Promise<void>;
  close(): Promise<void>;
}

/**
 * `switchyard mcp`: the registered workflows and the run tools over MCP. It drives runs exactly as
 * `serve` does (the same Runtime, RunSupervisor and journal), so a run started over MCP survives a
 * crash of this process: at start every top-level run the store records as running is resumed, and
 * a client can await it again by its runId.
 */
export async function startMcpServer(options: McpServeOptions): Promise<RunningMcpServer> {
  const env = options.env ?? process.env;
  const logger =
    options.logger ??
    createLogger({ level: logLevel(env.SWITCHYARD_LOG_LEVEL), destination: process.stderr });
  const config = await readConfig(options);
  const http = options.transport.kind === 'http' ? options.transport : undefined;
  const host = http?.host ?? DEFAULT_MCP_HOST;
  const token = http
    ? resolveToken(config, env, host, http.insecureLocal === true, 'switchyard mcp --http')
    : undefined;

  const store = await openConfiguredStore(config, options, env);
  let mcpServers: McpServers | undefined;
  try {
    const modules = await loadToolModules(config);
    const models = buildModels(config.config, options.seed, {
      ...(config.file ? { file: config.file } : {}),
      env,
      onWarning: (message) => logger.warn(message),
    });
    const workflows = await loadWorkflows(config);
    const hub = new EventHub();
    const runtime = new Runtime({
      store,
      tools: [...modules.tools, ...(options.tools ?? [])],
      voteFunctions: modules.voteFunctions,
      models,
      onEvents: (runId, events) => {
        hub.publish(runId, events);
        logRunEvents(logger, runId, events);
      },
      origin: {
        ...(config.file ? { config: config.file } : {}),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      },
      onWarning: (message) => logger.warn(message),
    });
    mcpServers = await connectMcpServers(runtime, config, {
      env,
      onWarning: (message) => logger.warn(message),
    });
    const supervisor = new RunSupervisor(runtime, hub, logger);
    const context: McpToolsContext = {
      runtime,
      supervisor,
      hub,
      workflows,
      version: packageVersion(),
      ...(options.waitMs === undefined ? {} : { waitMs: options.waitMs }),
    };
    // Checked once, up front: a name clash stops the start instead of hiding a workflow.
    const workflowTools = buildWorkflowTools(context);

    let disconnect: () => void = () => undefined;
    const disconnected = new Promise<void>((resolve) => (disconnect = resolve));
    let stopListening: () => Promise<void> = async () => undefined;
    let url: string | undefined;

    if (options.transport.kind === 'stdio') {
      const server = createMcpServer(context, workflowTools);
      server.server.onclose = () => disconnect();
      const transport = new StdioServerTransport(options.transport.stdin, options.transport.stdout);
      // The SDK's stdio transport does not notice the client hanging up; stdin ending says so.
      (options.transport.stdin ?? process.stdin).once('end', () => disconnect());
      await server.connect(transport);
      stopListening = () => server.close();
    } else {
      const app = mcpHttpApp(context, workflowTools, token, logger);
      const listener = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false });
      const address = await listen(listener, host, options.transport.port, '--http <port>');
      const shown = address.address.includes(':') ? `[${address.address}]` : address.address;
      url = `http://${shown}:${address.port}/mcp`;
      if (token === undefined) {
        (options.warn ?? ((text) => process.stderr.write(text)))(
          `WARNING: --insecure-local: the MCP endpoint ${url} accepts requests WITHOUT A TOKEN.\n` +
            'Any process on this machine can start, approve and cancel runs.\n',
        );
      }
      stopListening = () =>
        new Promise<void>((resolve) => {
          listener.close(() => resolve());
          if ('closeAllConnections' in listener) listener.closeAllConnections();
        });
    }
    const resumed = await supervisor.resumeInFlight();
    logger.info(
      {
        transport: options.transport.kind,
        ...(url === undefined ? {} : { url }),
        store: store.kind,
        workflows: workflows.names(),
        mcpServers: mcpServers.connections.map((connection) => connection.name),
        auth: http ? (token === undefined ? 'none' : 'bearer') : 'stdio',
        resumed: resumed.length,
      },
      'mcp server listening',
    );

    let closed: Promise<void> | undefined;
    const servers = mcpServers;
    const close = (): Promise<void> =>
      (closed ??= (async () => {
        supervisor.close();
        await stopListening().catch(() => undefined);
        const idle = await supervisor.idle(options.shutdownGraceMs ?? 5000);
        if (!idle)
          logger.warn(
            { drives: supervisor.activeDrives },
            'stopping with drives in progress; they resume at the next start',
          );
        await servers.close();
        await store.close();
        logger.info('mcp server stopped');
      })());
    return { url, runtime, supervisor, workflows, resumed, disconnected, close };
  } catch (error) {
    await mcpServers?.close();
    await store.close();
    throw error;
  }
}

/**
 * Streamable HTTP at /mcp, stateless: a server and transport per POST (every answer comes from the
 * journal, so there is no session to keep), behind the same bearer auth as `serve`. GET and DELETE
 * answer 405, as the transport spec allows for a server that keeps no sessions.
 */
function mcpHttpApp(
  context: McpToolsContext,
  workflowTools: ReturnType<typeof buildWorkflowTools>,
  token: string | undefined,
  logger: Logger,
): Hono {
  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof SwitchyardError) {
      const status = error instanceof ServerError ? error.status : statusFor(error);
      return c.json(
        {
          error: {
            code: error.code,
            message: error.message,
            ...(error.hint ? { hint: error.hint } : {}),
          },
        },
        status as 400,
      );
    }
    logger.error({ err: error }, 'mcp request failed');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.use('/mcp', apiAuth(token));
  app.post('/mcp', async (c) => {
    const server = createMcpServer(context, workflowTools);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
    });
    await server.connect(transport);
    return transport.handleRequest(c.req.raw);
  });
  app.on(['GET', 'DELETE'], '/mcp', (c) =>
    c.json(
      {
        jsonrpc: '2.0',
        error: { code: -32000, message: 'this server keeps no sessions: POST requests only' },
        id: null,
      },
      405,
      { allow: 'POST' },
    ),
  );
  return app;
}
