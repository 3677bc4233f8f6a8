// Issue #4: a peer that cannot finish a run within the cap is reported as "did not finish", with
// how far it got, instead of holding the benchmark up. The quick bench never reaches its cap, so
// this runs one comparison scenario with a cap far too short for it. LangGraph's in-memory loop is
// the hard case: it never yields to timers during a run, so the cap has to be kept from outside.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/lib/results.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-cap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const peersInstalled = existsSync(
  join(repoRoot, 'bench', 'peers', 'node_modules', '@langchain', 'langgraph', 'package.json'),
);

describe('npm run bench -- --cap', () => {
  it.skipIf(!peersInstalled)('reports a run that outlives its cap as not finished', () => {
    const out = join(dir, 'results.json');
    const id = 'langgraph/loop/memory';
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(repoRoot, 'bench', 'run.ts'),
        '--quick',
        '--rounds',
        '1',
        '--only',
        `^${id}$`,
        '--cap',
        '0.01',
        '--out',
        out,
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.error).toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain(id);
    expect(run.stdout).toMatch(/did not finish in 0\.01 s \([\d,]+ of [\d,]+ steps done\)/);

    const results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
    expect(Object.keys(results.scenarios)).toEqual([id]);
    const round = results.scenarios[id]?.rounds[0];
    expect(round?.metrics.dnf).toBe(1);
    expect(round?.metrics.capS).toBe(0.01);
    expect(round?.metrics.stepUs).toBeUndefined();
    expect(round?.metrics.stepUsAtLeast).toBeGreaterThan(0);
    // Read from /proc before the kill on Linux, where CI runs.
    if (process.platform === 'linux') expect(round?.maxRssKb).toBeGreaterThan(0);
  });
});
