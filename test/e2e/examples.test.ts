import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliJson } from '../support/cli.js';

interface Outcome {
  runId: string;
  status: string;
  output?: Record<string, unknown>;
  pending: Array<{ path: string; kind: string }>;
  summary: { retries: number; simulatedModelCalls: number; toolCalls: number };
}

const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-examples-'));
const store = `--store=sqlite:${path.join(dir, 'journal.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verified(runId: string): void {
  const replay = cli(['replay', runId, '--verify', store]);
  expect(replay.stderr).toBe('');
  expect(replay.status).toBe(0);
  expect(replay.stdout).toContain(`ok ${runId}`);
}

describe('examples run through the CLI', () => {
  it('hello: a tool step feeds an agent step on the simulated model, labelled as simulated', () => {
    const run = cliJson<Outcome>([
      'run',
      'examples/hello/hello.yaml',
      '--input',
      '{"name":"Ada"}',
      store,
    ]);
    expect(run.status).toBe(0);
    expect(run.body.output?.draft).toBe('Hello, Ada!');
    expect(typeof run.body.output?.polished).toBe('string');
    expect(run.body.summary.simulatedModelCalls).toBe(1);
    verified(run.body.runId);
  });

  it('typed-config: a switchyard.config.ts next to the spec is found and supplies the tools', () => {
    const run = cliJson<Outcome>([
      'run',
      'examples/typed-config/stamp.yaml',
      '--input',
      '{"name":"Ada"}',
      store,
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // typed.stamp is registered only by that config's own tools module.
    expect(run.body.output as unknown).toBe('[typed] Hello, Ada!');
    verified(run.body.runId);
  });

  it('hello: a missing required input is refused before a run starts', () => {
    const run = cli(['run', 'examples/hello/hello.yaml', store]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/error\[INPUT_INVALID\]/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('fan-out: every order is charged despite a flaky payment tool, thanks to retries', () => {
    const run = cliJson<Outcome>(['run', 'examples/fan-out/fan-out.yaml', store]);
    expect(run.status).toBe(0);
    expect(run.body.output).toEqual({ charged: 12, total: 942 });
    expect(run.body.summary.retries).toBeGreaterThan(0);
    verified(run.body.runId);
  });

  it('approval: the run waits durably, exits, and completes after approve in a new process', () => {
    const first = cliJson<Outcome>(['run', 'examples/approval/approval.yaml', store]);
    expect(first.status).toBe(3);
    expect(first.body.status).toBe('waiting');
    expect(first.body.pending).toEqual([
      expect.objectContaining({ path: 'review', kind: 'approval' }),
    ]);
    const approved = cliJson<Outcome>([
      'approve',
      first.body.runId,
      'review',
      '--comment',
      'ops',
      store,
    ]);
    expect(approved.status).toBe(0);
    expect(approved.body.output).toEqual({ total: 231, approvedBy: 'ops', notice: 'refunded 231' });
    verified(first.body.runId);
  });

  it('approval: rejecting fails the run and approving twice is refused', () => {
    const first = cliJson<Outcome>(['run', 'examples/approval/approval.yaml', store]);
    const rejected = cliJson<Outcome>(['approve', first.body.runId, 'review', '--reject', store]);
    expect(rejected.status).toBe(1);
    expect(rejected.body.status).toBe('failed');
    const again = cli(['approve', first.body.runId, 'review', store]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/error\[NOT_PENDING\]/);
  });

  it('sub-workflow: each order is charged by a child run with its own verified journal', () => {
    const run = cliJson<Outcome>(['run', 'examples/sub-workflow/parent.yaml', store]);
    expect(run.status).toBe(0);
    expect(run.body.output?.total).toBe(231);
    expect(run.body.output?.notices).toHaveLength(3);
    const children = cliJson<Array<{ runId: string; parentRunId: string }>>([
      'runs',
      'list',
      '--all',
      store,
    ]);
    expect(children.body.filter((r) => r.parentRunId === run.body.runId)).toHaveLength(3);
    verified(run.body.runId);
  });

  it('demo: branches, fan-out, retries and an agent step, with a journal summary', () => {
    const run = cli(['run', 'examples/demo/demo.yaml', store]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/journal: \d+ events, steps: \d+ completed/);
    expect(run.stdout).toContain('model: simulated');
  });

  it('route: a failing tool is rerouted around; after three failures its open breaker, kept in the store, spares the next process the call', () => {
    const input = ['--input', '{"order":"ord-9","amount":120}'];
    const runs = [1, 2, 3, 4].map(() =>
      cliJson<Outcome>(['run', 'examples/route/route.yaml', ...input, store]),
    );
    for (const run of runs) {
      expect(run.status).toBe(0);
      expect(run.body.output).toEqual({
        status: 'reached',
        path: ['Start', 'Razorpay', 'Complete'],
        receipt: 'refunded 120 for ord-9',
      });
      expect(run.body.summary.simulatedModelCalls).toBe(0);
      verified(run.body.runId);
    }
    // Stripe was called (and failed) in each of the first three processes, not in the fourth.
    expect(runs.map((run) => run.body.summary.toolCalls)).toEqual([3, 3, 3, 2]);

    const [first, , , fourth] = runs.map((run) =>
      cliJson<{ routes: Array<Record<string, unknown>> }>(['runs', 'show', run.body.runId, store]),
    );
    expect(first?.body.routes).toEqual([
      {
        path: 'refund',
        status: 'reached',
        planned: ['Start', 'Stripe', 'Complete'],
        taken: ['Start', 'Razorpay', 'Complete'],
        replans: 1,
        reroutes: [
          {
            node: 'Stripe',
            tool: 'stripe.refund',
            cause: 'tool-failed',
            message: 'simulated outage: Stripe answered 503 Service Unavailable',
          },
        ],
        escalations: [],
      },
    ]);
    expect(fourth?.body.routes[0]?.reroutes).toEqual([
      { node: 'Stripe', tool: 'stripe.refund', cause: 'tool-down', message: null },
    ]);
    const text = cli(['runs', 'show', runs[3]?.body.runId ?? '', store]);
    expect(text.stdout).toContain('planned  Start → Stripe → Complete');
    expect(text.stdout).toContain('taken    Start → Razorpay → Complete');
    expect(text.stdout).toContain('reroute  Stripe (stripe.refund): breaker open, not called');
  }, 120_000); // twelve CLI processes in a row: slow on a loaded machine

  it('runs show lists steps with states and attempts', () => {
    const run = cliJson<Outcome>(['run', 'examples/fan-out/fan-out.yaml', store]);
    const show = cliJson<{ steps: Array<{ path: string; status: string; attempts: number }> }>([
      'runs',
      'show',
      run.body.runId,
      store,
    ]);
    expect(show.body.steps.find((s) => s.path === 'total')?.status).toBe('completed');
    expect(show.body.steps.some((s) => s.path.startsWith('charge/') && s.attempts > 1)).toBe(true);
  });

  it('models: a routed agent, a cascade and a consortium under a budget, every call metered and replayable', () => {
    const run = cliJson<Outcome>([
      'run',
      'examples/models/models.yaml',
      '--input',
      '{"expression":"12 + 3 * 4 - 5 * 2 + 7 - 1"}',
      store,
    ]);
    expect(run.status).toBe(0);
    // 12 + 12 - 10 + 7 - 1
    expect(run.body.output).toEqual({ routed: 20, cascaded: 20, council: 20 });
    const events = cliJson<Array<Record<string, unknown>>>([
      'runs',
      'events',
      run.body.runId,
      store,
    ]);
    const of = (type: string) => events.body.filter((event) => event.type === type);
    // Five operators: the routing table's regex signal sends the agent step to the expensive model.
    expect(of('model-route')).toMatchObject([
      { path: 'routed', decision: 'hard', model: 'expensive', signals: ['hard'] },
    ]);
    expect(of('cascade-decided').length).toBeGreaterThan(0);
    expect(of('model-call-start').filter((e) => e.role === 'draft')).toHaveLength(2);
    for (const end of of('model-call-end')) {
      expect(end.simulated).toBe(true);
      expect(end.finishReason).toBe('stop');
      expect(typeof end.costUsd).toBe('number');
    }
    expect(events.body[0]).toMatchObject({
      models: {
        cheap: { price: { inputPerMTok: 0.15 } },
        expensive: { price: { inputPerMTok: 10 } },
      },
    });
    verified(run.body.runId);
  });
});
