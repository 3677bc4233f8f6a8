// Switchyard's side of the engine comparison (issue #4), driven by bench/lib/plain-workload.mjs.
// Plain JavaScript under plain Node like the peers' children; Switchyard is the working tree
// compiled by tsc (the orchestrator builds it and passes the directory in SWITCHYARD_BENCH_DIST),
// used through its public API only.
//
//   chain  — `size` tool steps s0…s<size-1>; s<i> calls `inc` with { prev: $.steps.s<i-1>.output }.
//   loop   — one `loop` step, maxIterations `size`, body one tool step `inc` with
//            { prev: $.previous }.
//   fanout — a `loop` of `size` rounds whose body is a `map` over the run input's `width` items
//            (concurrency `width`: all at once) calling `noop`, then a `join` tool step that takes
//            the map's whole output list.
// Both tools are `retry: 'safe'` (a killed run may call the interrupted one again on resume).
// Stores: MemoryJournalStore, or openSqliteStore(file) at its default durability (WAL,
// synchronous=NORMAL). A fresh store and Runtime per run.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../lib/plain-workload.mjs';

const distDir = process.env.SWITCHYARD_BENCH_DIST;
if (!distDir) throw new Error('SWITCHYARD_BENCH_DIST is not set (bench/run.ts sets it)');
/** @type {typeof import('../../src/index.js')} */
const sy = await import(pathToFileURL(join(distDir, 'index.js')).href);

/** @typedef {{ store: import('../../src/index.js').JournalStore, sqlite?: import('../../src/index.js').SqliteJournalStore, hooks?: unknown }} Ctx */

/** @type {import('../lib/plain-workload.mjs').Hooks | undefined} */
let hooks;

/** @type {import('../../src/index.js').ToolDefinition[]} */
const tools = [
  {
    name: 'inc',
    retry: 'safe',
    execute: (input) => {
      hooks?.step();
      const prev = /** @type {{ prev: { n?: number } | null }} */ (input).prev;
      return { n: (prev?.n ?? 0) + 1 };
    },
  },
  {
    name: 'noop',
    retry: 'safe',
    execute: () => {
      hooks?.step();
      return { ok: true };
    },
  },
  {
    name: 'join',
    retry: 'safe',
    execute: (input) => {
      hooks?.step();
      const { results, round } = /** @type {{ results: unknown[], round: number }} */ (input);
      if (results.length === 0) throw new Error('join got no results');
      return { round: round + 1 };
    },
  },
];

/**
 * @param {'chain' | 'loop' | 'fanout'} workload @param {number} size @param {number} width
 * @returns {{ workload: string, spec: import('../../src/index.js').WorkflowSpec, input: unknown }}
 */
function specOf(workload, size, width) {
  if (workload === 'chain') {
    const spec = sy.WorkflowSchema.parse({
      name: 'bench-chain',
      steps: Array.from({ length: size }, (_, i) => ({
        id: `s${i}`,
        kind: 'tool',
        tool: 'inc',
        input: { prev: i === 0 ? null : `$.steps.s${i - 1}.output` },
      })),
    });
    return { workload, spec, input: {} };
  }
  if (workload === 'loop') {
    const spec = sy.WorkflowSchema.parse({
      name: 'bench-loop',
      steps: [
        {
          id: 'loop',
          kind: 'loop',
          maxIterations: size,
          steps: [{ id: 'step', kind: 'tool', tool: 'inc', input: { prev: '$.previous' } }],
        },
      ],
    });
    return { workload, spec, input: {} };
  }
  const spec = sy.WorkflowSchema.parse({
    name: 'bench-fanout',
    steps: [
      {
        id: 'rounds',
        kind: 'loop',
        maxIterations: size,
        steps: [
          {
            id: 'fan',
            kind: 'map',
            items: '$.input.items',
            concurrency: width,
            steps: [{ id: 'task', kind: 'tool', tool: 'noop', input: { item: '$.item' } }],
          },
          {
            id: 'join',
            kind: 'tool',
            tool: 'join',
            input: { results: '$.steps.fan.output', round: '$.iteration' },
          },
        ],
      },
    ],
  });
  return { workload, spec, input: { items: Array.from({ length: width }, (_, i) => i) } };
}

/** @param {import('../../src/index.js').RunOutcome} outcome */
function finalOf(outcome) {
  if (outcome.status !== 'completed') throw new Error(`run ended ${outcome.status}`);
  const output = /** @type {{ n?: number, round?: number }} */ (outcome.output);
  return output;
}

await main({
  engine: 'switchyard',
  build(workload, size, width, h) {
    hooks = h;
    return specOf(workload, size, width);
  },
  async open(store, file) {
    if (store === 'memory') return { store: new sy.MemoryJournalStore() };
    if (!file) throw new Error('no file');
    const sqlite = sy.openSqliteStore(file);
    return { store: sqlite, sqlite };
  },
  async execute(built, ctx, runId) {
    const { spec, input } = /** @type {ReturnType<typeof specOf>} */ (built);
    const { store } = /** @type {Ctx} */ (ctx);
    const runtime = new sy.Runtime({ store, tools, ids: { runId: () => runId } });
    return finalOf(await runtime.start({ spec }, input));
  },
  async resume(_built, ctx, runId) {
    const { store } = /** @type {Ctx} */ (ctx);
    const runtime = new sy.Runtime({ store, tools });
    return finalOf(await runtime.resume(runId));
  },
  async close(ctx) {
    await /** @type {Ctx} */ (ctx).store.close();
  },
  async settings(ctx) {
    const { sqlite } = /** @type {Ctx} */ (ctx);
    return sqlite ? { ...sqlite.settings() } : { store: 'MemoryJournalStore' };
  },
});
