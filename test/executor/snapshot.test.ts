// Resume starts from an engine snapshot instead of replaying a whole journal, so a snapshot must be
// the engine: restored at any batch boundary of a real journal, it must give back the same snapshot
// and go on to derive exactly the decisions the journal recorded after that point.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type JsonValue } from '../../src/core/json.js';
import { RunEngine, type EngineSnapshot } from '../../src/executor/engine.js';
import { planWorkflow } from '../../src/executor/plan.js';
import { replayJournal } from '../../src/executor/replay.js';
import type { WorkflowSpec } from '../../src/core/spec.js';
import type { ModelProvider } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { loadJournal } from '../../src/runtime/journal.js';
import { importRuns, type GoldenFile } from '../golden/golden-file.js';
import { echoTool, harness, safeTool, workflow } from './harness.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/golden');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const text = (snapshot: EngineSnapshot): string => canonicalJson(snapshot as unknown as JsonValue);

/** Restores the engine at every batch boundary of a run and checks it goes on as recorded. */
async function checkEveryBoundary(store: MemoryJournalStore, runId: string): Promise<number> {
  const run = await store.getRun(runId);
  if (!run) throw new Error(`no run ${runId}`);
  const loaded = await loadJournal(store, run);
  const start = loaded.events[0];
  if (start?.type !== 'run-start') throw new Error('no run-start');
  const plan = planWorkflow(start.spec as unknown as WorkflowSpec);
  const snaps = new Map<number, string>();
  const full = await replayJournal(loaded.events, plan, loaded.batches, {
    onBatch: (end, engine) => snaps.set(end, text(engine.snapshot())),
  });
  const final = text(full.engine.snapshot());
  for (const [end, snap] of snaps) {
    const restored = new RunEngine(start, plan, JSON.parse(snap) as EngineSnapshot);
    expect(text(restored.snapshot()), `${runId} at ${end}`).toBe(snap);
    const rest = await replayJournal(loaded.events, plan, loaded.batches, {
      resume: { engine: restored, from: end },
    });
    expect(text(rest.engine.snapshot()), `${runId} from ${end}`).toBe(final);
    expect(rest.engine.outstanding()).toEqual(full.engine.outstanding());
  }
  return snaps.size;
}

describe('engine snapshots', () => {
  it('loops, parallel branches, retries and fallbacks restore at every boundary', async () => {
    let calls = 0;
    const store = new MemoryJournalStore();
    const { runtime } = harness({
      store,
      tools: [
        echoTool(),
        safeTool('flaky', () => {
          calls += 1;
          if (calls % 3 !== 0) throw new Error('not yet');
          return calls;
        }),
        safeTool('broken', () => {
          throw new Error('always');
        }),
      ],
    });
    const outcome = await runtime.start({
      spec: workflow({
        name: 'everything',
        steps: [
          {
            id: 'loop',
            kind: 'loop',
            maxIterations: 3,
            steps: [
              {
                id: 'both',
                kind: 'parallel',
                branches: {
                  left: { steps: [{ id: 'l', kind: 'tool', tool: 'echo', input: '$.iteration' }] },
                  right: {
                    steps: [
                      {
                        id: 'r',
                        kind: 'tool',
                        tool: 'flaky',
                        retry: { maxAttempts: 5, backoff: { initialMs: 10 } },
                      },
                    ],
                  },
                },
              },
            ],
          },
          {
            id: 'risky',
            kind: 'tool',
            tool: 'broken',
            after: ['loop'],
            onError: { fallback: { id: 'safe', kind: 'tool', tool: 'echo', input: 'plan B' } },
          },
          {
            id: 'items',
            kind: 'map',
            items: [1, 2, 3],
            concurrency: 2,
            after: ['risky'],
            steps: [{ id: 'each', kind: 'tool', tool: 'echo', input: '$.item' }],
          },
        ],
      }),
    });
    expect(outcome.status).toBe('completed');
    expect(await checkEveryBoundary(store, outcome.runId)).toBeGreaterThan(10);
  });

  it('route steps (reroute, pre-emptive reroute, escalation and demotion) restore at every boundary', async () => {
    const store = new MemoryJournalStore();
    const answers: string[] = [];
    const model: ModelProvider = {
      specificationVersion: 'v1',
      name: 'scripted',
      async generate() {
        answers.push('demote');
        return {
          text: '{"kind":"demote","goal":"A"}',
          model: 'scripted',
          usage: { inputTokens: 1, outputTokens: 1 },
        };
      },
    };
    const { runtime } = harness({
      store,
      models: new ModelRegistry().register('default', model),
      tools: [
        echoTool('a'),
        safeTool('b', () => {
          throw new Error('b is down');
        }),
        safeTool('c', () => {
          throw new Error('c is down');
        }),
        echoTool('goal'),
      ],
    });
    // Three failures of c (one per item) open its breaker: later items reroute around it unasked.
    for (let i = 0; i < 3; i++) void runtime.health.report('c', false, 1_700_000_000_000);
    const outcome = await runtime.start({
      spec: workflow({
        name: 'routes',
        steps: [
          {
            id: 'each',
            kind: 'map',
            items: [1, 2],
            concurrency: 2,
            steps: [
              {
                id: 'go',
                kind: 'route',
                input: '$.item',
                graph: {
                  nodes: [
                    { id: 'Start' },
                    { id: 'A', tool: 'a' },
                    { id: 'B', tool: 'b' },
                    { id: 'C', tool: 'c' },
                    { id: 'Goal', tool: 'goal' },
                  ],
                  edges: [
                    { from: 'Start', to: 'A', cost: 1 },
                    { from: 'A', to: 'B', cost: 1 },
                    { from: 'A', to: 'C', cost: 2 },
                    { from: 'B', to: 'Goal', cost: 1 },
                    { from: 'C', to: 'Goal', cost: 1 },
                  ],
                },
                start: 'Start',
                goal: 'Goal',
              },
            ],
          },
        ],
      }),
    });
    expect(outcome.status).toBe('completed');
    expect(answers).toEqual(['demote', 'demote']);
    const events = await runtime.events(outcome.runId);
    expect(events.some((e) => e.type === 'route-reroute' && e.cause === 'tool-down')).toBe(true);
    expect(await checkEveryBoundary(store, outcome.runId)).toBeGreaterThan(5);
  });

  for (const file of files) {
    it(`${file}: restoring at every batch boundary continues to the same decisions`, async () => {
      const golden = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as GoldenFile;
      const store = new MemoryJournalStore();
      await importRuns(store, golden);
      let boundaries = 0;
      for (const { run } of golden.runs) boundaries += await checkEveryBoundary(store, run.runId);
      expect(boundaries).toBeGreaterThan(2);
    });
  }

  it('a snapshot that does not fit the plan is refused with a typed error', async () => {
    const golden = JSON.parse(readFileSync(path.join(dir, 'demo.json'), 'utf8')) as GoldenFile;
    const store = new MemoryJournalStore();
    await importRuns(store, golden);
    const loaded = await loadJournal(store, (golden.runs[0] as GoldenFile['runs'][number]).run);
    const start = loaded.events[0];
    if (start?.type !== 'run-start') throw new Error('no run-start');
    const { engine } = await replayJournal(loaded.events);
    const snapshot = engine.snapshot();
    snapshot.root.nodes.push(null);
    expect(() => new RunEngine(start, undefined, snapshot)).toThrow(/does not fit/);
  });
});

describe('engine snapshots of vote steps', () => {
  it('votes (parallel samples, answers out of order, a retried sample, red flags) restore at every boundary', async () => {
    const store = new MemoryJournalStore();
    const failedOnce = new Set<string>();
    const answers = ['yes', 'no', 'NOT LOWER CASE', 'yes', 'yes'];
    const model: ModelProvider = {
      specificationVersion: 'v1',
      name: 'scripted',
      async generate(request) {
        const index = request.sample?.index ?? 0;
        // Sample 0 answers after the others, so later answers wait for it in the snapshot.
        for (let i = 0; i < (index === 0 ? 4 : 0); i++)
          await new Promise<void>((resolve) => setImmediate(resolve));
        if (index === 1 && !failedOnce.has(request.sampleKey.split('#')[0] as string)) {
          failedOnce.add(request.sampleKey.split('#')[0] as string);
          throw Object.assign(new Error('503 overloaded'), { retryable: true });
        }
        const text = answers[index] ?? 'no';
        return { text, model: 'scripted', usage: { inputTokens: 1, outputTokens: 1 } };
      },
    };
    const { runtime } = harness({ store, models: new ModelRegistry().register('default', model) });
    const outcome = await runtime.start({
      spec: workflow({
        name: 'votes',
        steps: [
          {
            id: 'each',
            kind: 'map',
            items: [1, 2],
            concurrency: 2,
            steps: [
              {
                id: 'v',
                kind: 'vote',
                prompt: 'p.md',
                input: { n: '$.item' },
                k: 2,
                maxSamples: 6,
                retry: { maxAttempts: 2 },
                redFlags: { parser: { regex: '(?<answer>[a-z]+)' } },
              },
            ],
          },
        ],
      }),
      prompts: { 'p.md': 'Is {{ n }} fine?' },
    });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual([{ answer: 'yes' }, { answer: 'yes' }]);
    const events = await runtime.events(outcome.runId);
    expect(events.filter((e) => e.type === 'timer-start' && e.sample === 1)).toHaveLength(2);
    expect(events.filter((e) => e.type === 'vote-flagged')).toHaveLength(2);
    expect(await checkEveryBoundary(store, outcome.runId)).toBeGreaterThan(8);
  });
});
