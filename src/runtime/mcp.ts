import path from 'node:path';
import type { Clock, ToolDefinition } from '../core/ports.js';
import type { McpServerConnection, McpServerOptions } from '../tools/mcp/client.js';
import { McpEnvMissingError } from '../tools/mcp/errors.js';
import { systemClock } from './clock.js';
import type { LoadedConfig, McpServerConfig } from './config.js';
import type { Runtime } from './runtime.js';

export interface McpServersOptions {
  /** Where `${VAR}` in env and headers values is read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Schedules reconnects (the system clock by default). */
  clock?: Clock;
  onWarning?(message: string): void;
  /** The fetch of http servers (tests count requests with it). */
  fetch?: typeof globalThis.fetch;
}

/** The connected MCP servers of a Runtime; close() ends them (stdio children included). */
export class McpServers {
  constructor(readonly connections: McpServerConnection[]) {}

  get(name: string): McpServerConnection | undefined {
    return this.connections.find((connection) => connection.name === name);
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((connection) => connection.close()));
  }
}

/**
 * Connects the config's `mcpServers` and registers their tools in the Runtime's registry as
 * `<server>.<tool>`, keeping both in step: a changed tool list re-registers, a server that stays down
 * opens its tools' breakers in the Runtime's health table (so route steps go around them without
 * calling), and one that comes back closes them. A server that cannot be connected, or lists no
 * tools, fails the whole call (typed, naming the server) after closing the ones already connected
 * and unregistering their tools.
 */
export async function connectMcpServers(
  runtime: Runtime,
  loaded: LoadedConfig,
  options: McpServersOptions = {},
): Promise<McpServers> {
  const servers = loaded.config.mcpServers ?? {};
  if (Object.keys(servers).length === 0) return new McpServers([]);
  // Loaded only when a server is configured: every CLI command composes a Runtime, and most
  // configs name no MCP server.
  const { McpServerConnection } = await import('../tools/mcp/client.js');
  const clock = options.clock ?? systemClock;
  const env = options.env ?? process.env;
  const connections: McpServerConnection[] = [];
  const registered = new Map<string, Set<string>>();

  /**
   * Replaces a server's tools in the registry. At connect a clash with a registered tool
   * (TOOL_DUPLICATE) stops the start; later, from a list_changed notification, it is reported and
   * that tool skipped: a notification handler must not take the process down.
   */
  const sync = (server: string, tools: ToolDefinition[], strict: boolean): void => {
    for (const name of registered.get(server) ?? []) runtime.tools.unregister(name);
    // Recorded before registering: a clash part-way through still leaves every tool registered so
    // far on record, for the caller's cleanup to remove.
    const now = new Set<string>();
    registered.set(server, now);
    for (const tool of tools) {
      try {
        runtime.tools.register(tool);
        now.add(tool.name);
      } catch (error) {
        if (strict) throw error;
        options.onWarning?.(
          `MCP server '${server}': tool ${tool.name} cannot be registered: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  };

  try {
    for (const [name, config] of Object.entries(servers)) {
      const connection = new McpServerConnection(
        serverOptions(name, config, loaded, env, options),
        {
          clock,
          onToolsChanged: (server, tools) => {
            sync(server, tools, false);
            options.onWarning?.(
              `MCP server '${server}' changed its tools; now: ${tools.map((tool) => tool.name).join(', ')}`,
            );
          },
          onAvailability: (_server, tools, up) => {
            for (const tool of tools) {
              // Health is advice: a failed write is reported by the table itself.
              if (up) void runtime.health.markUp(tool);
              else void runtime.health.markDown(tool, clock.now());
            }
          },
          onWarning: (message) => options.onWarning?.(message),
        },
      );
      connections.push(connection);
      sync(name, await connection.connect(), true);
    }
  } catch (error) {
    // All or nothing: a caller that handles the error keeps a registry without tools of servers
    // that are now closed.
    for (const names of registered.values())
      for (const tool of names) runtime.tools.unregister(tool);
    await Promise.all(connections.map((connection) => connection.close()));
    throw error;
  }
  return new McpServers(connections);
}

function serverOptions(
  name: string,
  config: McpServerConfig,
  loaded: LoadedConfig,
  env: Readonly<Record<string, string | undefined>>,
  options: McpServersOptions,
): McpServerOptions {
  const expand = (record: Record<string, string> | undefined, field: string) =>
    record === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(record).map(([key, value]) => [
            key,
            value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, variable: string) => {
              const found = env[variable];
              if (found === undefined)
                throw new McpEnvMissingError(name, `mcpServers.${name}.${field}.${key}`, variable);
              return found;
            }),
          ]),
        );
  const transport = config.transport ?? (config.url !== undefined ? 'http' : 'stdio');
  const common = {
    name,
    ...(config.retry ? { retry: config.retry } : {}),
    ...(config.callTimeoutMs ? { callTimeoutMs: config.callTimeoutMs } : {}),
    ...(config.connectTimeoutMs ? { connectTimeoutMs: config.connectTimeoutMs } : {}),
    ...(config.pingIntervalMs === undefined ? {} : { pingIntervalMs: config.pingIntervalMs }),
    ...(config.reconnect ? { reconnect: config.reconnect } : {}),
  };
  if (transport === 'http') {
    const headers = expand(config.headers, 'headers');
    return {
      ...common,
      transport: {
        kind: 'http',
        url: config.url as string,
        ...(headers ? { headers } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      },
    };
  }
  const serverEnv = expand(config.env, 'env');
  return {
    ...common,
    transport: {
      kind: 'stdio',
      command: config.command as string,
      ...(config.args ? { args: config.args } : {}),
      ...(serverEnv ? { env: serverEnv } : {}),
      // Relative to the config file, like its tools modules, so a command works from any directory.
      cwd: path.resolve(loaded.dir, config.cwd ?? '.'),
    },
  };
}
