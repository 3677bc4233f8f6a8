import type { Command } from 'commander';
import { SwitchyardError } from '../core/errors.js';
import { startServer } from '../server/index.js';

interface ServeFlags {
  port?: string;
  host?: string;
  insecureLocal?: boolean;
}

interface GlobalFlags {
  store?: string;
  config?: string;
  seed?: number;
}

/**
 * `switchyard serve [--port N] [--host H] [--insecure-local]`: the HTTP API, event streams and
 * dashboard (docs/server.md) until SIGINT or SIGTERM. Refusing to start (no token, --insecure-local
 * off loopback, port taken, bad config) is an error like any other command's: exit 2.
 */
export function registerServe(program: Command, cwd: string, exit: { code: number }): void {
  program
    .command('serve')
    .description('serve the HTTP API, live event streams and the dashboard (docs/server.md)')
    .option('--port <n>', 'port to listen on (default server.port, else 7777; 0 picks a free one)')
    .option('--host <host>', 'address to bind (default server.host, else 127.0.0.1)')
    .option(
      '--insecure-local',
      'serve without a token; only on a loopback address, and says so loudly',
    )
    .action(async (flags: ServeFlags) => {
      const globals = program.opts<GlobalFlags>();
      const server = await startServer({
        cwd,
        ...(globals.config === undefined ? {} : { configFile: globals.config }),
        ...(globals.store === undefined ? {} : { store: globals.store }),
        ...(globals.seed === undefined ? {} : { seed: globals.seed }),
        ...(flags.host === undefined ? {} : { host: flags.host }),
        ...(flags.port === undefined ? {} : { port: portNumber(flags.port) }),
        insecureLocal: flags.insecureLocal === true,
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
      exit.code = 0;
    });
}

function portNumber(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new SwitchyardError(
      'USAGE',
      `--port must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
