// `switchyard example hanoi`: the built-in MAKER demonstration through the CLI, including a kill -9
// in the middle of the run, `--resume`, and `replay --verify` of the whole journal.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-example-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  runId: string;
  simulated: boolean;
  status: string;
  resumed: boolean;
  steps: number;
  check: { ok: boolean; steps: number; solved: boolean };
  samplesPerStep: number;
  expectedSamplesPerStep: number;
  journalBytesPerStep: number | null;
}

describe('switchyard example hanoi', () => {
  it('solves 7 disks with zero errors, labelled simulated, and the run verifies', () => {
    const store = `--store=sqlite:${path.join(dir, 'fresh.db')}`;
    const run = cliJson<Report>([
      'example',
      'hanoi',
      '--disks',
      '7',
      '--error-rate',
      '0.01',
      store,
    ]);
    expect(run.status).toBe(0);
    expect(run.body).toMatchObject({ simulated: true, status: 'completed', steps: 127 });
    expect(run.body.check).toMatchObject({ ok: true, solved: true, steps: 127 });
    expect(run.body.samplesPerStep).toBeGreaterThanOrEqual(3);
    expect(run.body.journalBytesPerStep).toBeGreaterThan(0);
    const text = cli(['example', 'hanoi', '--disks', '3', store]);
    expect(text.stdout).toMatch(/\(simulated\)/);
    expect(text.stdout).toMatch(/solved with zero errors \(7 moves checked/);
    const replay = cli(['replay', run.body.runId, '--verify', store]);
    expect(replay.stdout).toContain(`ok ${run.body.runId}`);
    expect(replay.status).toBe(0);
  });

  it('killed mid-run, --resume finishes it with zero errors and no move voted twice', () => {
    const store = `--store=sqlite:${path.join(dir, 'killed.db')}`;
    const killed = cli(
      ['example', 'hanoi', '--disks', '8', '--error-rate', '0.01', store, '--json'],
      {
        env: { SWITCHYARD_FAULT: 'kill-after-event:1500' },
      },
    );
    expect(killed.signal).toBe('SIGKILL');
    const runs = cliJson<Array<{ runId: string; status: string }>>(['runs', 'list', store]);
    const runId = runs.body[0]?.runId as string;
    expect(runs.body[0]?.status).toBe('running');

    const resumed = cliJson<Report>(['example', 'hanoi', '--resume', runId, store]);
    expect(resumed.status).toBe(0);
    expect(resumed.body).toMatchObject({ runId, resumed: true, status: 'completed', steps: 255 });
    expect(resumed.body.check).toMatchObject({ ok: true, solved: true, steps: 255 });

    const events = cliJson<Array<{ type: string; path?: string }>>([
      'runs',
      'events',
      runId,
      store,
    ]);
    const decided = events.body.filter((e) => e.type === 'vote-decided').map((e) => e.path);
    expect(decided).toHaveLength(255);
    expect(new Set(decided).size).toBe(255);
    const replay = cli(['replay', runId, '--verify', store]);
    expect(replay.status).toBe(0);
  });

  it('refuses bad flags with a usage error naming the flag', () => {
    const bad = cli(['example', 'hanoi', '--disks', '21']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--disks must be a whole number from 1 to 20, got "21"/);
    const rate = cli(['example', 'hanoi', '--error-rate', '0.7']);
    expect(rate.status).toBe(2);
    expect(rate.stderr).toMatch(/--error-rate must be a number from 0 to below 0.5/);
  });
});
