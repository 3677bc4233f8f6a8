// The Hanoi example through the CLI: its config's simulated Hanoi model (profile: hanoi) and the
// vote parser its tools module exports, replay --verify re-deriving every vote, and runs show.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson } from '../support/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-hanoi-'));
const store = `--store=sqlite:${path.join(dir, 'journal.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  runId: string;
  status: string;
  output?: { move: number[]; next_state: number[][] };
  summary: { simulatedModelCalls: number };
}

describe('examples/hanoi through the CLI', () => {
  it('solves 4 disks by voting, verifies, and shows each move’s vote', () => {
    const run = cliJson<Outcome>([
      'run',
      'examples/hanoi/hanoi.yaml',
      '--input',
      '{"disks": 4}',
      store,
    ]);
    expect(run.status).toBe(0);
    expect(run.body.output?.next_state).toEqual([[], [], [4, 3, 2, 1]]);
    expect(run.body.summary.simulatedModelCalls).toBeGreaterThanOrEqual(45);

    const replay = cli(['replay', run.body.runId, '--verify', store]);
    expect(replay.stderr).toBe('');
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain(`ok ${run.body.runId}`);

    const shown = cliJson<{ votes: Array<{ path: string; status: string; lead: number }> }>([
      'runs',
      'show',
      run.body.runId,
      store,
    ]);
    expect(shown.body.votes).toHaveLength(15);
    expect(shown.body.votes[0]).toMatchObject({ path: 'moves/0/move', status: 'decided' });
    const text = cli(['runs', 'show', run.body.runId, store]);
    expect(text.stdout).toMatch(/votes 15 steps: 15 decided, \d+ samples/);
    expect(text.stdout).toMatch(/moves\/14\/move\s+decided/);
  });
});
