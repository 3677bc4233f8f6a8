import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findConfig } from '../../src/cli/config.js';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const store = `--store=sqlite:${path.join(dir, 'journal.db')}`;

function expectUsageError(args: string[], pattern: RegExp): void {
  const result = cli(args);
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('CLI arguments are checked with a clear error', () => {
  it('--limit must be a positive whole number', () => {
    expectUsageError(
      ['runs', 'list', '--limit', 'abc', store],
      /error\[USAGE\]: --limit must be a whole number/,
    );
  });
  it('--status must be a known status', () => {
    expectUsageError(
      ['runs', 'list', '--status', 'bogus', store],
      /--status must be one of running, waiting/,
    );
  });
  it('--seed must be a whole number', () => {
    expectUsageError(
      ['run', 'examples/hello/hello.yaml', '--seed', 'x', store],
      /--seed must be a whole number/,
    );
  });
  it('--input must be JSON', () => {
    expectUsageError(
      ['run', 'examples/hello/hello.yaml', '--input', '{nope', store],
      /--input is not valid JSON/,
    );
  });
  it('an unknown run id is RUN_NOT_FOUND', () => {
    expectUsageError(['runs', 'show', 'run_missing', store], /error\[RUN_NOT_FOUND\]/);
  });
  it('an invalid config lists every problem once, with the file', () => {
    const config = path.join(dir, 'bad.config.yaml');
    writeFileSync(config, 'tools: 5\nbogus: 1\n');
    const result = cli([
      'run',
      'examples/hello/hello.yaml',
      '--config',
      config,
      '--input',
      '{"name":"x"}',
      store,
    ]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `error[CONFIG_INVALID]: ${config}: tools: expected a module path`,
    );
    expect(result.stderr).toContain('unknown field(s) bogus');
  });
});

describe('store files that are not journals', () => {
  it('a corrupt file is STORE_CORRUPT with exit code 4', () => {
    const file = path.join(dir, 'corrupt.db');
    writeFileSync(file, 'this is not a database'.repeat(300));
    const result = cli(['runs', 'list', `--store=sqlite:${file}`]);
    expect(result.status).toBe(4);
    expect(result.stderr).toMatch(/error\[STORE_CORRUPT\]/);
  });
});

describe('a module config', () => {
  it("runs its default export once per command, also where the run's own config is reloaded", () => {
    const root = path.join(dir, 'module-config');
    mkdirSync(root, { recursive: true });
    const calls = path.join(root, 'calls.txt');
    writeFileSync(
      path.join(root, 'switchyard.config.mjs'),
      `import { appendFileSync } from 'node:fs';\n` +
        `export default () => { appendFileSync(${JSON.stringify(calls)}, 'x'); return {}; };\n`,
    );
    writeFileSync(
      path.join(root, 'gate.yaml'),
      'name: gate\nsteps:\n  - { id: ok, kind: approval, message: Go? }\n',
    );
    const db = `--store=sqlite:${path.join(root, 'journal.db')}`;
    const run = cli(['run', 'gate.yaml', db, '--json'], { cwd: root });
    expect(run.status).toBe(3);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    expect(readFileSync(calls, 'utf8')).toBe('x');
    const approve = cli(['approve', runId, 'ok', db], { cwd: root });
    expect(approve.stderr).toBe('');
    expect(approve.status).toBe(0);
    expect(readFileSync(calls, 'utf8')).toBe('xx');
  });
});

describe('finding the config', () => {
  it('prefers the one next to the spec, then parents up to the working directory', () => {
    const root = path.join(dir, 'project');
    mkdirSync(path.join(root, 'flows', 'deep'), { recursive: true });
    writeFileSync(path.join(root, 'switchyard.config.yaml'), '{}');
    expect(findConfig(path.join(root, 'flows', 'deep'), root)).toBe(
      path.join(root, 'switchyard.config.yaml'),
    );
    writeFileSync(path.join(root, 'flows', 'switchyard.config.yaml'), '{}');
    expect(findConfig(path.join(root, 'flows', 'deep'), root)).toBe(
      path.join(root, 'flows', 'switchyard.config.yaml'),
    );
  });

  it("uses the working directory's config for a spec outside it, never a sibling prefix directory's", () => {
    const cwd = path.join(dir, 'work');
    const sibling = path.join(dir, 'work2', 'sub');
    mkdirSync(cwd, { recursive: true });
    mkdirSync(sibling, { recursive: true });
    writeFileSync(path.join(dir, 'switchyard.config.yaml'), '{}');
    expect(findConfig(sibling, cwd)).toBeUndefined();
    writeFileSync(path.join(cwd, 'switchyard.config.yaml'), '{}');
    expect(findConfig(sibling, cwd)).toBe(path.join(cwd, 'switchyard.config.yaml'));
  });
});

describe('the simulated-model seed', () => {
  function pick(seedAtRun: string, seedAtApprove?: string): unknown {
    const run = cli([
      'run',
      'test/fixtures/seed/seeded.yaml',
      '--seed',
      seedAtRun,
      '--json',
      store,
    ]);
    const { runId } = JSON.parse(run.stdout) as { runId: string };
    const approve = cli([
      'approve',
      runId,
      'gate',
      '--json',
      store,
      ...(seedAtApprove ? ['--seed', seedAtApprove] : []),
    ]);
    return (JSON.parse(approve.stdout) as { output: unknown }).output;
  }

  it('is recorded with the run, so deciding it later answers as if it had never stopped', () => {
    const remembered = pick('11');
    expect(pick('11', '11')).toEqual(remembered);
    expect(pick('11', '12')).not.toEqual(remembered);
  });
});

describe('usage errors in subcommands', () => {
  it.each([
    [['run'], /missing required argument/],
    [['runs', 'list', '--bogus'], /unknown option '--bogus'/],
    [['validate', 'a.yaml', 'b.yaml'], /too many arguments/],
  ])('%j exits 2 with commander’s message', (args, message) => {
    const result = cli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('store URLs', () => {
  it('a password in a store URL never appears in an error', () => {
    const result = cli(['runs', 'list', '--store', 'postgres://u:s3cret@127.0.0.1:99999/test']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error\[STORE_URL_INVALID\]/);
    expect(result.stderr).not.toContain('s3cret');
  });

  it('a relative sqlite path in a config file is next to the config, whatever the working directory', () => {
    const projectDir = path.join(dir, 'cfg-store');
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(projectDir, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    const config = path.join(projectDir, 'switchyard.config.yaml');
    writeFileSync(config, 'store: sqlite:journal.db\n');
    const first = cli(['runs', 'list', '--config', config], { cwd: elsewhere });
    const second = cli(['runs', 'list', '--config', config], { cwd: projectDir });
    expect([first.status, second.status]).toEqual([0, 0]);
    expect(existsSync(path.join(projectDir, 'journal.db'))).toBe(true);
    expect(existsSync(path.join(elsewhere, 'journal.db'))).toBe(false);
  });
});
