import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const cliPath = path.join(repoRoot, 'dist/cli/main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process (SIGKILL for a crash test), or null. */
  signal: NodeJS.Signals | null;
}

/** Runs the built CLI as a child process, the way a user does (npm test builds dist/ first). */
export function cli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): CliResult {
  const result = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
  });
  return {
    status: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    signal: result.signal,
  };
}

export function cliJson<T>(
  args: string[],
  options?: Parameters<typeof cli>[1],
): { status: number; body: T; stderr: string } {
  const result = cli([...args, '--json'], options);
  let body: T;
  try {
    body = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `CLI did not print JSON (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { status: result.status, body, stderr: result.stderr };
}
