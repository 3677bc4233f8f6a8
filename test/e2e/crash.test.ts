import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import type { JsonValue } from '../../src/core/json.js';
import { openSqliteStore } from '../../src/journal/sqlite-store.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { cliPath, repoRoot } from '../support/cli.js';

/**
 * Kills the real CLI with SIGKILL at chosen journal positions and resumes, the way an operator would.
 * SWITCHYARD_FAULT=kill-after-event:N dies right after the N-th event is durable; kill-after-effect:N
 * right after the N-th tool call returned but before its result is journaled (the unsafe case).
 */
const SPEC = 'test/fixtures/crash/crash.yaml';
const CONFIG = 'test/fixtures/crash/switchyard.config.yaml';
const root = mkdtempSync(path.join(tmpdir(), 'switchyard-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], dir: string, fault?: string): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        cliPath,
        ...args,
        '--store',
        `sqlite:${path.join(dir, 'journal.db')}`,
        '--config',
        CONFIG,
        '--json',
      ],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          NO_COLOR: '1',
          CRASH_DIR: dir,
          ...(fault ? { SWITCHYARD_FAULT: fault } : {}),
        },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, pid: child.pid ?? -1, stdout, stderr }),
    );
  });
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

async function journal(dir: string): Promise<{ runId: string; events: JournalEvent[] }> {
  const store = openSqliteStore(path.join(dir, 'journal.db'));
  try {
    const runtime = new Runtime({ store });
    const [run] = await runtime.listRuns({ parentRunId: null });
    if (!run) throw new Error('no run was started');
    return { runId: run.runId, events: await runtime.events(run.runId) };
  } finally {
    await store.close();
  }
}

async function verify(dir: string, runId: string): Promise<boolean> {
  const store = openSqliteStore(path.join(dir, 'journal.db'));
  try {
    return (await new Runtime({ store }).verify(runId)).ok;
  } finally {
    await store.close();
  }
}

/** Seeded choice of distinct kill points (mulberry32), so a failure names a reproducible position. */
function choose(count: number, from: number, to: number, seed: number): number[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const all = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, Math.min(count, all.length)).sort((a, b) => a - b);
}

interface Reference {
  output: JsonValue;
  events: number;
  toolCalls: number;
  effects: number;
}
let reference: Reference;

beforeAll(async () => {
  const dir = path.join(root, 'reference');
  mkdirSync(dir);
  const result = await runCli(['run', SPEC], dir);
  expect(result.code, result.stderr).toBe(0);
  const { events } = await journal(dir);
  reference = {
    output: (JSON.parse(result.stdout) as { output: JsonValue }).output,
    events: events.length,
    toolCalls: events.filter((e) => e.type === 'tool-call-start').length,
    effects: lines(path.join(dir, 'effects.log')).length,
  };
}, 60_000);

interface Scenario {
  fault: string;
}

async function crashAndRecover({ fault }: Scenario): Promise<{ outcomeUnknown: number }> {
  const dir = path.join(root, fault.replace(':', '-'));
  mkdirSync(dir);
  const crashed = await runCli(['run', SPEC], dir, fault);
  expect(crashed.signal, `${fault}: the run should have been killed\n${crashed.stderr}`).toBe(
    'SIGKILL',
  );

  const before = await journal(dir);
  const finishedBeforeCrash = new Set(
    before.events
      .filter((e) => e.type === 'tool-call-end')
      .map((e) => (e as { path: string }).path),
  );

  let outcomeUnknown = 0;
  let result = await runCli(['resume', before.runId], dir);
  for (let round = 0; round < 10 && result.code === 3; round++) {
    const paused = JSON.parse(result.stdout) as { pending: Array<{ path: string; kind: string }> };
    for (const pending of paused.pending) {
      expect(pending.kind).toBe('outcome-unknown');
      outcomeUnknown += 1;
      // The operator checks the system the tool acts on: did the effect happen?
      const effect = lines(path.join(dir, 'effects.log'))
        .map((line) => JSON.parse(line) as { path: string; output: JsonValue })
        .find((e) => e.path === pending.path);
      const decision = effect
        ? ['--complete', '--value', JSON.stringify(effect.output)]
        : ['--retry'];
      result = await runCli(['resolve', before.runId, pending.path, ...decision], dir);
      if (result.code !== 3) break;
    }
  }
  expect(result.code, `${fault}: resume did not complete\n${result.stdout}\n${result.stderr}`).toBe(
    0,
  );
  expect((JSON.parse(result.stdout) as { output: JsonValue }).output).toEqual(reference.output);

  // No step that had finished before the crash ran again in a later process.
  const rerun = lines(path.join(dir, 'exec.log'))
    .map((line) => line.split(' '))
    .filter(
      ([pid, stepPath]) =>
        Number(pid) !== crashed.pid && finishedBeforeCrash.has(stepPath as string),
    );
  expect(rerun, `${fault}: completed steps ran again`).toEqual([]);

  // Every unsafe side effect happened exactly once.
  const effects = lines(path.join(dir, 'effects.log')).map(
    (line) => (JSON.parse(line) as { path: string }).path,
  );
  expect(new Set(effects).size, `${fault}: an unsafe tool ran twice`).toBe(effects.length);
  expect(effects.length).toBe(reference.effects);

  expect(await verify(dir, before.runId), `${fault}: replay --verify failed`).toBe(true);
  return { outcomeUnknown };
}

async function pool<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

describe('crash safety under kill -9', () => {
  it('the uninterrupted reference run has at least 50 steps and fans out', async () => {
    const { events } = await journal(path.join(root, 'reference'));
    expect(events.filter((e) => e.type === 'step-start').length).toBeGreaterThanOrEqual(50);
    expect(reference.toolCalls).toBe(52);
    expect(reference.effects).toBe(25);
  });

  it('resumes from 200+ distinct kill points with identical output, no re-run steps and no doubled unsafe effects', async () => {
    const eventKills = choose(170, 1, reference.events - 1, 2026).map((n) => ({
      fault: `kill-after-event:${n}`,
    }));
    const effectKills = choose(40, 1, reference.toolCalls, 7).map((n) => ({
      fault: `kill-after-effect:${n}`,
    }));
    const scenarios = [...eventKills, ...effectKills];
    expect(new Set(scenarios.map((s) => s.fault)).size).toBeGreaterThanOrEqual(200);
    const results = await pool(scenarios, 3, crashAndRecover);
    // The unsafe path must actually have been exercised, not just the easy ones.
    expect(results.reduce((sum, r) => sum + r.outcomeUnknown, 0)).toBeGreaterThan(20);
    console.log(
      `crash test: ${scenarios.length} kill points, ${results.reduce((s, r) => s + r.outcomeUnknown, 0)} outcome-unknown decisions`,
    );
  }, 900_000);
});
