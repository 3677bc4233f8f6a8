import type { Command } from 'commander';
import { SwitchyardError } from '../core/errors.js';

interface McpFlags {
  stdio?: boolean;
  http?: string;
  host?: string;
  insecureLocal?: boolean;
  waitMs?: string;
}

interface GlobalFlags {
  store?: string;
  config?: string;
  seed?: number;
}

/**
 * `switchyard mcp [--stdio | --http PORT]`: registered workflows and durable runs as MCP tools
 * (docs/mcp.md), until the stdio client hangs up or SIGINT/SIGTERM. Refusing to start is exit 2.
 */
export function registerMcp(program: Command, cwd: string, exit: { code: number }): void {
  program
    .command('mcp')
    .description(
      'serve workflows and runs as MCP tools over stdio or Streamable HTTP (docs/mcp.md)',
    )
    .option('--stdio', 'speak MCP on stdin/stdout (the default; for desktop clients)')
    .option('--http <port>', 'serve Streamable HTTP at http://<host>:<port>/mcp (0 picks a port)')
    .option('--host <host>', 'address to bind with --http (default 127.0.0.1)')
    .option('--insecure-local', 'with --http: no token; loopback only, and says so loudly')
    .option(
      '--wait-ms <ms>',
      "how long a workflow's tool waits before answering 'running'",
      '50000',
    )
    .action(async (flags: McpFlags) => {
      const globals = program.opts<GlobalFlags>();
      if (flags.stdio === true && flags.http !== undefined)
        throw new SwitchyardError('USAGE', 'choose one of --stdio and --http');
      if (flags.http === undefined && (flags.host !== undefined || flags.insecureLocal === true))
        throw new SwitchyardError('USAGE', '--host and --insecure-local apply only with --http');
      // Loaded on use: the MCP SDK's server half is no cost to every other command's start-up.
      const { startMcpServer } = await import('../mcp/index.js');
      const running = await startMcpServer({
        cwd,
        ...(globals.config === undefined ? {} : { configFile: globals.config }),
        ...(globals.store === undefined ? {} : { store: globals.store }),
        ...(globals.seed === undefined ? {} : { seed: globals.seed }),
        waitMs: whole(flags.waitMs ?? '50000', '--wait-ms', 0, 600_000),
        transport:
          flags.http === undefined
            ? { kind: 'stdio' }
            : {
                kind: 'http',
                port: whole(flags.http, '--http', 0, 65535),
                ...(flags.host === undefined ? {} : { host: flags.host }),
                insecureLocal: flags.insecureLocal === true,
              },
      });
      if (running.url !== undefined) process.stderr.write(`switchyard mcp: ${running.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
        void running.disconnected.then(resolve);
      });
      await running.close();
      exit.code = 0;
    });
}

function whole(text: string, option: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SwitchyardError(
      'USAGE',
      `${option} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
