// CI keeps `npm run bench` working: the quick run must start every scenario child, get a result
// from each, and write a results file the report (and BENCHMARKS.md) can be built from. It checks
// completion and shape only; the numbers are for people, not for assertions on a shared machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RESULTS_SCHEMA, type BenchResults } from '../../bench/lib/results.js';
import { GOALS, RATIOS, SCENARIOS } from '../../bench/suite.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench -- --quick', () => {
  it('runs every scenario in its own child and writes well-formed results', () => {
    const out = join(dir, 'results.json');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'bench', 'run.ts'), '--quick', '--out', out],
      { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 },
    );
    expect(run.error).toBeUndefined();
    expect(run.stderr).not.toMatch(/ failed: /);
    expect(run.status).toBe(0);
    // The tables went to stdout.
    expect(run.stdout).toContain('Cost per step');
    expect(run.stdout).toContain('Goals');

    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    expect(results.schema).toBe(RESULTS_SCHEMA);
    expect(results.quick).toBe(true);
    // Each child made a minor collection before its timed repetitions (bench/lib/child.ts).
    expect(results.gc).toBe('minor');
    expect(run.stdout).toContain('a minor garbage collection before each timed repetition');
    expect(results.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(results.machine.nproc).toBeGreaterThan(0);
    expect(results.versions.node).toBe(process.version);

    expect(Object.keys(results.scenarios).sort()).toEqual(SCENARIOS.map((s) => s.id).sort());
    for (const def of SCENARIOS) {
      const record = results.scenarios[def.id];
      expect(record?.rounds.length, def.id).toBe(def.phase === 'setup' ? 1 : results.rounds);
      for (const round of record?.rounds ?? []) {
        expect(round.maxRssKb, def.id).toBeGreaterThan(0);
        expect(Object.keys(round.metrics).length, def.id).toBeGreaterThan(0);
        for (const [name, value] of Object.entries(round.metrics))
          expect(Number.isFinite(value), `${def.id} ${name}`).toBe(true);
      }
    }
    // Rotation: the first round-phase child differs between rounds.
    const firstOf = (round: number): string | undefined =>
      Object.values(results.scenarios).find((s) =>
        s.rounds.some((r) => r.round === round && r.position === 0 && s.phase === 'round'),
      )?.id;
    expect(firstOf(0)).not.toBe(firstOf(1));

    expect(results.ratios.map((r) => r.id)).toEqual(RATIOS.map((r) => r.id));
    for (const ratio of results.ratios) {
      expect(ratio.perRound).toHaveLength(results.rounds);
      expect(ratio.summary.median, ratio.id).toBeGreaterThan(0);
    }
    expect(results.goals.map((g) => g.id)).toEqual(GOALS.map((g) => g.id));
    // Quick sizes are not what the goals speak of: reported, not judged.
    for (const goal of results.goals) {
      expect(Number.isFinite(goal.value), goal.id).toBe(true);
      expect(goal.met).toBeNull();
    }
  }, 300_000);
});
