// The vote step through the real Runtime (issue #6): the Hanoi example end to end with the
// simulated Hanoi model, and vote steps with scripted models for the edges — exhaustion, red
// flags, out-of-order answers, provider errors, a crash mid-vote, and a tampered sample.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import type { JsonValue } from '../../src/core/json.js';
import type { ModelProvider, ModelRequest } from '../../src/core/ports.js';
import type { StepSpec, VoteStepSpec, WorkflowSpec } from '../../src/core/spec.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { Runtime, type RunnableWorkflow } from '../../src/runtime/runtime.js';
import { viewRun } from '../../src/runtime/run-view.js';
import { loadWorkflowFile } from '../../src/spec/index.js';
import { defineVoteCheck, type VoteFunctionDefinition } from '../../src/voting/functions.js';
import {
  checkHanoiRun,
  correctAnswer,
  HanoiSimulatedModel,
  hanoiVoteParser,
  votedAnswers,
  type HanoiAnswer,
  type Move,
  type Pegs,
} from '../../src/voting/hanoi/index.js';
import { canonicalJson } from '../../src/core/json.js';
import {
  copyRun,
  expectVerified,
  ofType,
  sequentialIds,
  stepEnd,
  ticks,
  workflow,
} from '../executor/harness.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { repoRoot } from '../support/cli.js';

const example = loadWorkflowFile(path.join(repoRoot, 'examples/hanoi/hanoi.yaml'));

/** The Hanoi example with its vote step's k (and sample cap) replaced. */
async function hanoiWorkflow(k: number, maxSamples = 50): Promise<RunnableWorkflow> {
  const loaded = await example;
  const spec = structuredClone(loaded.spec);
  const loop = spec.steps[0] as StepSpec & { kind: 'loop' };
  const vote = loop.steps[0] as VoteStepSpec;
  vote.k = k;
  vote.maxSamples = maxSamples;
  return { spec, prompts: loaded.prompts };
}

function runtimeFor(
  models: ModelRegistry,
  options: {
    store?: MemoryJournalStore;
    voteFunctions?: VoteFunctionDefinition[];
    faults?: ConstructorParameters<typeof Runtime>[0]['faults'];
  } = {},
): Runtime {
  return new Runtime({
    store: options.store ?? new MemoryJournalStore(),
    clock: new VirtualClock(),
    ids: sequentialIds(),
    models,
    voteFunctions: options.voteFunctions ?? [hanoiVoteParser],
    ...(options.faults ? { faults: options.faults } : {}),
  });
}

async function runHanoi(
  disks: number,
  k: number,
  errorRate: number,
  seed: number,
): Promise<{ runtime: Runtime; runId: string; status: string; events: JournalEvent[] }> {
  const models = new ModelRegistry().register(
    'hanoi',
    new HanoiSimulatedModel({ p: 1 - errorRate, seed }),
  );
  const runtime = runtimeFor(models);
  const outcome = await runtime.start(await hanoiWorkflow(k), { disks });
  return {
    runtime,
    runId: outcome.runId,
    status: outcome.status,
    events: await runtime.events(outcome.runId),
  };
}

/** Per move: the voted answer, the input it was given, and the first valid vote's candidate. */
function votesByMove(events: readonly JournalEvent[]): Array<{
  path: string;
  firstCast: number | null;
  decided: number | null;
  answer: HanoiAnswer | null;
}> {
  const moves = new Map<
    string,
    { path: string; firstCast: number | null; decided: number | null; answer: HanoiAnswer | null }
  >();
  for (const event of events) {
    if (!('path' in event) || !event.path.endsWith('/move')) continue;
    let move = moves.get(event.path);
    if (!move)
      moves.set(
        event.path,
        (move = { path: event.path, firstCast: null, decided: null, answer: null }),
      );
    if (event.type === 'vote-cast') move.firstCast ??= event.candidate;
    if (event.type === 'vote-decided') move.decided = event.candidate;
    if (event.type === 'step-end' && event.status === 'completed')
      move.answer = event.output as unknown as HanoiAnswer;
  }
  return [...moves.values()];
}

/** Steps whose voted answer is not the correct answer for the input they were given. */
function wrongSteps(disks: number, events: readonly JournalEvent[]): number[] {
  const wrong: number[] = [];
  let previous: Move | null = null;
  let state: Pegs = [Array.from({ length: disks }, (_, i) => disks - i), [], []];
  let step = 0;
  for (const answer of votedAnswers(events)) {
    const correct = correctAnswer(disks, previous, state);
    if (
      correct === null ||
      canonicalJson(correct as unknown as JsonValue) !==
        canonicalJson(answer as unknown as JsonValue)
    )
      wrong.push(step);
    previous = answer.move;
    state = answer.next_state;
    step += 1;
  }
  return wrong;
}

describe('the Hanoi example through the engine (10 disks, 1,023 steps, 1 − p = 0.01)', () => {
  it('k = 3 solves it with zero errors, checked by the simulator; k = 1 does not, and the vote is why', async () => {
    const seed = 2;
    const voted = await runHanoi(10, 3, 0.01, seed);
    expect(voted.status).toBe('completed');
    expect(checkHanoiRun(10, voted.events)).toEqual({
      ok: true,
      disks: 10,
      steps: 1023,
      solved: true,
      firstError: null,
    });
    expect(wrongSteps(10, voted.events)).toEqual([]);
    // Red flags did work: the simulated model's over-long and malformed answers never voted.
    const flagged = ofType(voted.events, 'vote-flagged');
    expect(flagged.length).toBeGreaterThan(0);
    const casts = new Set(ofType(voted.events, 'vote-cast').map((e) => `${e.path}#${e.sample}`));
    for (const flag of flagged) expect(casts.has(`${flag.path}#${flag.sample}`)).toBe(false);
    await expectVerified(voted.runtime, voted.runId);

    const single = await runHanoi(10, 1, 0.01, seed);
    const check = checkHanoiRun(10, single.events);
    expect(check.ok).toBe(false);
    const wrong = wrongSteps(10, single.events);
    expect(wrong.length).toBeGreaterThan(0);

    // Same seed, same step paths, same inputs up to the first error: k = 1's samples are a prefix
    // of k = 3's at every step, so its first wrong step is one where k = 3 saw the same wrong first
    // vote and overruled it.
    const first = wrong[0] as number;
    const byMove = votesByMove(voted.events);
    const there = byMove[first];
    expect(there?.path).toBe(`moves/${first}/move`);
    expect(there?.firstCast).not.toBe(there?.decided);
    expect(votesByMove(single.events)[first]?.answer).not.toEqual(there?.answer);
    const overruled = byMove.filter((m) => m.firstCast !== m.decided).length;
    expect(overruled).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('runs show counts every step’s samples, flags by reason, and the winner’s votes and lead', async () => {
    const run = await runHanoi(4, 3, 0.05, 3);
    const view = viewRun(await run.runtime.getRun(run.runId), run.events);
    expect(view.votes).toHaveLength(15);
    const total = view.votes.reduce((n, v) => n + v.samples, 0);
    expect(total).toBe(ofType(run.events, 'model-call-end').length);
    for (const vote of view.votes) {
      expect(vote.status).toBe('decided');
      expect(vote.lead).toBeGreaterThanOrEqual(3);
      expect(vote.votes).toBeGreaterThanOrEqual(3);
    }
  });
});

// ---- scripted models ------------------------------------------------------------------------

interface Script {
  /** The answer to a sample: its text, or an error to throw. */
  answer(request: ModelRequest): string | Error;
  /** Macrotasks to wait before answering (default 0). */
  delay?(request: ModelRequest): number;
}

function scripted(script: Script): { provider: ModelProvider; requests: ModelRequest[] } {
  const requests: ModelRequest[] = [];
  const provider: ModelProvider = {
    specificationVersion: 'v1',
    name: 'scripted',
    async generate(request) {
      requests.push(request);
      await ticks(script.delay?.(request) ?? 0);
      const answer = script.answer(request);
      if (answer instanceof Error) throw answer;
      return { text: answer, model: 'scripted-1', usage: { inputTokens: 1, outputTokens: 0 } };
    },
  };
  return { provider, requests };
}

const PROMPT = 'Pick a letter for {{ topic }}.';

function voteSpec(fields: Record<string, unknown>, onError?: string): WorkflowSpec {
  return workflow({
    name: 'pick',
    steps: [
      {
        id: 'pick',
        kind: 'vote',
        prompt: 'pick.md',
        input: { topic: 'x' },
        k: 2,
        maxSamples: 6,
        ...fields,
        ...(onError ? { onError } : {}),
      },
    ],
  });
}

async function start(
  spec: WorkflowSpec,
  script: Script,
  voteFunctions: VoteFunctionDefinition[] = [],
): Promise<{
  runtime: Runtime;
  runId: string;
  status: string;
  output: JsonValue | undefined;
  error: { message: string } | undefined;
  events: JournalEvent[];
  requests: ModelRequest[];
}> {
  const { provider, requests } = scripted(script);
  const runtime = runtimeFor(new ModelRegistry().register('default', provider), { voteFunctions });
  const outcome = await runtime.start({ spec, prompts: { 'pick.md': PROMPT } });
  return {
    runtime,
    runId: outcome.runId,
    status: outcome.status,
    output: outcome.output,
    error: outcome.error,
    events: await runtime.events(outcome.runId),
    requests,
  };
}

const index = (request: ModelRequest): number => request.sample?.index ?? -1;

describe('a vote step', () => {
  it('samples k at once (the first at temperature 0, the rest at the later one), each call its own', async () => {
    const run = await start(voteSpec({ k: 3, temperature: { later: 0.7 } }), {
      answer: () => '{"letter": "a"}',
    });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ letter: 'a' });
    const starts = ofType(run.events, 'model-call-start');
    expect(
      starts.map((e) => [e.sample, e.attempt, (e.request as { temperature: number }).temperature]),
    ).toEqual([
      [0, 1, 0],
      [1, 2, 0.7],
      [2, 3, 0.7],
    ]);
    // One batch: all three were asked before any answer came back.
    const firstEnd = run.events.findIndex((e) => e.type === 'model-call-end');
    expect(
      run.events.findIndex((e) => e.type === 'model-call-start' && e.sample === 2),
    ).toBeLessThan(firstEnd);
    expect(new Set(run.requests.map((r) => r.sampleKey)).size).toBe(3);
    expect(run.requests.map((r) => r.sample)).toEqual([
      { step: 'pick', index: 0 },
      { step: 'pick', index: 1 },
      { step: 'pick', index: 2 },
    ]);
    expect(ofType(run.events, 'vote-decided')).toMatchObject([
      { candidate: 0, votes: 3, lead: 3, samples: 3 },
    ]);
    await expectVerified(run.runtime, run.runId);
  });

  it('adds answers in sample order whatever order they arrive in', async () => {
    const run = await start(voteSpec({ k: 3 }), {
      // Sample 0 answers last, sample 2 first.
      delay: (r) => [6, 3, 0][index(r)] ?? 0,
      answer: (r) => (index(r) === 1 ? '{"letter": "b"}' : '{"letter": "a"}'),
    });
    const ends = ofType(run.events, 'model-call-end').map((e) => e.sample);
    expect(ends.slice(0, 3)).toEqual([2, 1, 0]);
    const decisions = ofType(run.events, 'vote-cast').map((e) => [e.sample, e.candidate, e.votes]);
    // Nothing is added before sample 0 arrives; then 0, 1, 2 in order ("a" is candidate 0).
    expect(decisions.slice(0, 3)).toEqual([
      [0, 0, 1],
      [1, 1, 1],
      [2, 0, 2],
    ]);
    const firstCast = run.events.findIndex((e) => e.type === 'vote-cast');
    const lastEnd = run.events.findLastIndex((e) => e.type === 'model-call-end' && e.sample === 2);
    expect(firstCast).toBeGreaterThan(lastEnd);
    // 2 to 1 is a lead of 1: a second batch of 2 samples (votesNeeded) decides it.
    expect(ofType(run.events, 'model-call-start').map((e) => e.sample)).toEqual([0, 1, 2, 3, 4]);
    expect(run.output).toEqual({ letter: 'a' });
    await expectVerified(run.runtime, run.runId);
  });

  it('discards red-flagged samples before they vote: too long, unparseable, rejected, off-schema', async () => {
    const answers = [
      '{"letter": "' + 'z'.repeat(300) + '"}', // too long
      'the letter a', // not JSON
      '{"letter": ""}', // rejected by the registered check
      '{"letter": 7}', // against the output schema
      '{"letter": "a"}',
      '{"letter": "a"}',
    ];
    const run = await start(
      voteSpec({
        k: 2,
        maxSamples: 8,
        maxParallel: 2,
        output: { schema: { type: 'object', properties: { letter: { type: 'string' } } } },
        redFlags: { maxOutputTokens: 40, check: 'no-empty' },
      }),
      { answer: (r) => answers[index(r)] ?? '{"letter": "q"}' },
      [
        defineVoteCheck({
          name: 'no-empty',
          check: (value) =>
            (value as { letter?: string }).letter === '' ? 'the letter is empty' : null,
        }),
      ],
    );
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ letter: 'a' });
    expect(ofType(run.events, 'vote-flagged').map((e) => [e.sample, e.reason])).toEqual([
      [0, 'too-long'],
      [1, 'unparseable'],
      [2, 'rejected'],
      [3, 'rejected'],
    ]);
    expect(ofType(run.events, 'vote-flagged')[2]?.message).toBe('the letter is empty');
    expect(ofType(run.events, 'vote-flagged')[3]?.message).toContain('output schema');
    expect(ofType(run.events, 'vote-cast').map((e) => e.sample)).toEqual([4, 5]);
    // maxParallel 2 caps every batch.
    const starts = ofType(run.events, 'model-call-start');
    expect(starts).toHaveLength(6);
    expect(ofType(run.events, 'run-start').map((e) => e.voteFunctions)).toEqual([
      { 'no-empty': { kind: 'check' } },
    ]);
    await expectVerified(run.runtime, run.runId);
  });

  it('fails with VOTE_EXHAUSTED, naming every candidate’s votes, when the cap is reached', async () => {
    const letters = ['a', 'b', 'a', 'c', 'b', 'x'];
    const run = await start(
      voteSpec({ k: 2, maxSamples: 6, redFlags: { parser: { regex: '(?<letter>[a-z])' } } }),
      { answer: (r) => (index(r) === 5 ? 'no idea' : (letters[index(r)] ?? '?')) },
    );
    expect(run.status).toBe('failed');
    const end = stepEnd(run.events, 'pick');
    expect(end.status).toBe('failed');
    expect(end.error).toMatchObject({
      type: 'vote-exhausted',
      code: 'VOTE_EXHAUSTED',
      retryable: false,
    });
    expect(end.error?.message).toBe(
      'no answer led every other by 2 votes after 6 samples: {"letter":"a"} had 2 votes, ' +
        '{"letter":"b"} had 2 votes, {"letter":"c"} had 1 vote; 1 flagged (unparseable 1)',
    );
    expect(ofType(run.events, 'vote-exhausted')).toMatchObject([
      {
        samples: 6,
        counts: [
          { key: '{"letter":"a"}', votes: 2 },
          { key: '{"letter":"b"}', votes: 2 },
          { key: '{"letter":"c"}', votes: 1 },
        ],
        flagged: { 'too-long': 0, unparseable: 1, rejected: 0 },
      },
    ]);
    expect(run.error?.message).toContain('{"letter":"c"} had 1 vote');
    await expectVerified(run.runtime, run.runId);
  });

  it('retries a sample whose call failed under the step’s retry policy, then fails the step past it', async () => {
    const tries = new Map<number, number>();
    const flaky: Script = {
      answer: (r) => {
        const n = (tries.get(index(r)) ?? 0) + 1;
        tries.set(index(r), n);
        return index(r) === 1 && n < 3
          ? Object.assign(new Error('503 overloaded'), { retryable: true })
          : '{"letter": "a"}';
      },
    };
    const ok = await start(voteSpec({ k: 2, retry: { maxAttempts: 3 } }), flaky);
    expect(ok.status).toBe('completed');
    expect(ofType(ok.events, 'timer-start').map((e) => [e.sample, e.timer])).toEqual([
      [1, 2],
      [1, 3],
    ]);
    expect(ofType(ok.events, 'model-call-start').map((e) => [e.sample, e.attempt])).toEqual([
      [0, 1],
      [1, 2],
      [1, 3],
      [1, 4],
    ]);
    expect(ofType(ok.events, 'vote-cast').map((e) => e.sample)).toEqual([0, 1]);
    await expectVerified(ok.runtime, ok.runId);

    tries.clear();
    const failed = await start(voteSpec({ k: 2, retry: { maxAttempts: 2 } }), flaky);
    expect(failed.status).toBe('failed');
    expect(stepEnd(failed.events, 'pick').error?.message).toBe('sample 1: 503 overloaded');
    await expectVerified(failed.runtime, failed.runId);
  });

  it('refuses to start when a named vote function is not registered', async () => {
    const { provider } = scripted({ answer: () => 'x' });
    const runtime = runtimeFor(new ModelRegistry().register('default', provider), {
      voteFunctions: [],
    });
    await expect(
      runtime.start({
        spec: voteSpec({ redFlags: { parser: { function: 'hanoi' } } }),
        prompts: { 'pick.md': PROMPT },
      }),
    ).rejects.toMatchObject({ code: 'VOTE_RULE_INVALID', path: 'pick.redFlags.parser.function' });
  });

  it('replay --verify re-derives every vote decision; one tampered sample text diverges', async () => {
    const run = await start(voteSpec({ k: 2 }), {
      answer: (r) => (index(r) === 1 ? '{"letter": "b"}' : '{"letter": "a"}'),
    });
    expect(run.status).toBe('completed');
    await expectVerified(run.runtime, run.runId);
    const target = ofType(run.events, 'model-call-end').find((e) => e.sample === 0);
    expect(target).toBeDefined();
    const store = run.runtime.store as MemoryJournalStore;
    const tampered = await copyRun(store, run.runId, {
      // A careful forger: the text changes and every hash is recomputed, so only replay can tell.
      event: (row) =>
        row.seq === target?.seq
          ? row.text.replace('{\\"letter\\": \\"a\\"}', '{\\"letter\\": \\"a\\"')
          : row.text,
      rechain: true,
    });
    const verifier = new Runtime({ store: tampered, voteFunctions: [] });
    const report = await verifier.verify(run.runId);
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('REPLAY_DIVERGED');
    // It is found at or after the tampered sample (the decisions re-derived from it differ).
    const at = Number(/at seq (\d+)/.exec(report.error?.message ?? '')?.[1]);
    expect(at).toBeGreaterThan(target?.seq ?? Infinity);
  });
});

describe('a crash in the middle of a vote', () => {
  it('resumes with the samples already journaled: none is drawn again', async () => {
    class Crash extends Error {}
    const store = new MemoryJournalStore();
    const answer = (r: ModelRequest): string =>
      index(r) === 1 ? '{"letter": "b"}' : '{"letter": "a"}';
    // Sample 0 answers at once; the others take a while, so the first batch journals sample 0 alone.
    const first = scripted({ answer, delay: (r) => (index(r) === 0 ? 0 : 5) });
    const crashing = runtimeFor(new ModelRegistry().register('default', first.provider), {
      store,
      voteFunctions: [],
      faults: {
        afterAppend(events) {
          if (events.some((e) => e.type === 'vote-cast' && e.sample === 0)) throw new Crash();
        },
      },
    });
    let runId = '';
    await expect(
      crashing.start(
        { spec: voteSpec({ k: 3 }), prompts: { 'pick.md': PROMPT } },
        {},
        { onStarted: (id) => (runId = id) },
      ),
    ).rejects.toBeInstanceOf(Crash);
    const before = await crashing.events(runId);
    expect(ofType(before, 'model-call-end').map((e) => e.sample)).toEqual([0]);
    expect(ofType(before, 'vote-cast').map((e) => e.sample)).toEqual([0]);

    const second = scripted({ answer });
    const resumed = runtimeFor(new ModelRegistry().register('default', second.provider), {
      store,
      voteFunctions: [],
    });
    const outcome = await resumed.resume(runId);
    expect(outcome.status).toBe('completed');
    // Only the samples that were still out are asked again, with their recorded attempts (keys).
    expect(second.requests.map((r) => [index(r), r.sampleKey])).toEqual([
      [1, 'pick#2'],
      [2, 'pick#3'],
      [3, 'pick#4'],
      [4, 'pick#5'],
    ]);
    expect(second.requests.some((r) => index(r) === 0)).toBe(false);
    const after = await resumed.events(runId);
    const ended = ofType(after, 'model-call-end').map((e) => e.sample);
    expect(new Set(ended).size).toBe(ended.length); // every sample answered exactly once
    expect(ofType(after, 'vote-cast').filter((e) => e.sample === 0)).toHaveLength(1);
    await expectVerified(resumed, runId);
  });

  it('a decided step is never voted again after a crash in the next one', async () => {
    class Crash extends Error {}
    const store = new MemoryJournalStore();
    const models = (): ModelRegistry =>
      new ModelRegistry().register('hanoi', new HanoiSimulatedModel({ p: 0.99, seed: 5 }));
    const calls: string[] = [];
    const counting = (registry: ModelRegistry): ModelRegistry => {
      const inner = registry.get('hanoi') as ModelProvider;
      return new ModelRegistry().register('hanoi', {
        specificationVersion: 'v1',
        name: 'hanoi',
        generate: (request, signal) => {
          calls.push(`${request.sample?.step ?? ''}#${request.sample?.index ?? ''}`);
          return inner.generate(request, signal);
        },
      });
    };
    const crashing = runtimeFor(counting(models()), {
      store,
      faults: {
        afterAppend(events) {
          if (events.some((e) => e.type === 'step-end' && e.path === 'moves/40/move'))
            throw new Crash();
        },
      },
    });
    let runId = '';
    await expect(
      crashing.start(await hanoiWorkflow(3), { disks: 6 }, { onStarted: (id) => (runId = id) }),
    ).rejects.toBeInstanceOf(Crash);
    const drawnBefore = new Set(calls);
    calls.length = 0;
    const resumed = runtimeFor(counting(models()), { store });
    const outcome = await resumed.resume(runId);
    expect(outcome.status).toBe('completed');
    for (const call of calls) expect(drawnBefore.has(call)).toBe(false);
    const events = await resumed.events(runId);
    expect(checkHanoiRun(6, events).ok).toBe(true);
    const decided = ofType(events, 'vote-decided').map((e) => e.path);
    expect(new Set(decided).size).toBe(decided.length);
    expect(decided).toHaveLength(63);
    await expectVerified(resumed, runId);
  });
});

describe('a vote cut short', () => {
  it('is cancelled once, its calls abandoned, when the run fails elsewhere', async () => {
    const slow = scripted({ answer: () => '{"letter": "a"}', delay: () => 20 });
    const runtime = new Runtime({
      store: new MemoryJournalStore(),
      clock: new VirtualClock(),
      ids: sequentialIds(),
      models: new ModelRegistry().register('default', slow.provider),
      tools: [
        {
          name: 'boom',
          retry: 'safe',
          execute: () => {
            throw Object.assign(new Error('boom'), { retryable: false });
          },
        },
      ],
    });
    const outcome = await runtime.start({
      spec: workflow({
        name: 'cut',
        steps: [
          {
            id: 'both',
            kind: 'parallel',
            branches: {
              a: { steps: [{ id: 'fail', kind: 'tool', tool: 'boom' }] },
              b: {
                steps: [
                  {
                    id: 'pick',
                    kind: 'vote',
                    prompt: 'pick.md',
                    input: { topic: 'x' },
                    k: 3,
                    maxSamples: 5,
                  },
                ],
              },
            },
          },
        ],
      }),
      prompts: { 'pick.md': PROMPT },
    });
    expect(outcome.status).toBe('failed');
    const events = await runtime.events(outcome.runId);
    const ends = ofType(events, 'step-end').filter((e) => e.path === 'both/b/pick');
    expect(ends.map((e) => e.status)).toEqual(['cancelled']);
    expect(ofType(events, 'vote-cast')).toHaveLength(0);
    await expectVerified(runtime, outcome.runId);
  });
});
