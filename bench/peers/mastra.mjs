// Mastra's side of the engine comparison (issue #4), driven by bench/lib/plain-workload.mjs.
// Written the way Mastra's docs write workflows: createStep with zod input/output schemas,
// createWorkflow(…).then/dountil/foreach(…).commit(), run with createRun() and start().
//
//   chain  — `size` steps s0…s<size-1> chained with .then(); each returns { n: n + 1 }.
//   loop   — .dountil(step, ({ inputData }) => inputData.n >= size): the docs' loop idiom.
//   fanout — a nested workflow per round, repeated with .dountil(round, …) `size` times:
//            .map() to `width` items, .foreach(task, { concurrency: width }) (all at once), then
//            .then(join) taking the foreach's output array (the docs' "aggregating results after
//            .foreach()"); join returns { round: round + 1 }.
// Durable: registered on a Mastra instance with storage new LibSQLStore({ url: 'file:…' }) (the
// docs' local-file setup: WAL, synchronous=NORMAL for its workflow domain), which persists the run's
// snapshot as it goes. In memory: the workflow run on its own, not registered on a Mastra instance,
// so there is no storage at all (a Mastra instance without storage would fall back to an in-memory
// store and still write snapshots there; measured slower, so not used).
import { readFileSync } from 'node:fs';
import { Mastra } from '@mastra/core';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { LibSQLStore } from '@mastra/libsql';
import { z } from 'zod';
import { main } from '../lib/plain-workload.mjs';

/** @typedef {{ mastra?: Mastra, storage?: LibSQLStore }} Ctx */
/** @typedef {{ workflow: any, input: unknown }} Built */

const Counter = z.object({ n: z.number() });
const Round = z.object({ round: z.number() });
const Item = z.object({ round: z.number(), item: z.number() });
const Done = z.object({ ok: z.boolean() });

/** @type {import('../lib/plain-workload.mjs').Hooks | undefined} */
let hooks;

/** @param {string} id */
const incStep = (id) =>
  createStep({
    id,
    inputSchema: Counter,
    outputSchema: Counter,
    execute: async ({ inputData }) => {
      hooks?.step();
      return { n: inputData.n + 1 };
    },
  });

/** @param {Built} built @param {Ctx} ctx */
function workflowIn(built, ctx) {
  // Registered under the key 'wf'; getWorkflow returns the instance bound to that Mastra.
  return ctx.mastra ? ctx.mastra.getWorkflow('wf') : built.workflow;
}

/** @param {any} result */
function finalOf(result) {
  if (result.status !== 'success')
    throw new Error(`run ended ${result.status}: ${String(result.error?.message ?? '')}`);
  return result.result;
}

await main({
  engine: 'mastra',
  build(workload, size, width, h) {
    hooks = h;
    if (workload === 'chain') {
      let workflow = createWorkflow({
        id: 'bench-chain',
        inputSchema: Counter,
        outputSchema: Counter,
      });
      for (let i = 0; i < size; i++) workflow = workflow.then(incStep(`s${i}`));
      return { workflow: workflow.commit(), input: { n: 0 } };
    }
    if (workload === 'loop') {
      const workflow = createWorkflow({
        id: 'bench-loop',
        inputSchema: Counter,
        outputSchema: Counter,
      })
        .dountil(incStep('step'), async ({ inputData }) => inputData.n >= size)
        .commit();
      return { workflow, input: { n: 0 } };
    }
    const task = createStep({
      id: 'task',
      inputSchema: Item,
      outputSchema: Done,
      execute: async () => {
        hooks?.step();
        return { ok: true };
      },
    });
    const join = createStep({
      id: 'join',
      inputSchema: z.array(Done),
      outputSchema: Round,
      execute: async ({ inputData, getInitData }) => {
        hooks?.step();
        if (inputData.length !== width) throw new Error(`join got ${inputData.length} results`);
        return { round: getInitData().round + 1 };
      },
    });
    const round = createWorkflow({ id: 'bench-round', inputSchema: Round, outputSchema: Round })
      .map(async ({ inputData }) =>
        Array.from({ length: width }, (_, item) => ({ round: inputData.round, item })),
      )
      .foreach(task, { concurrency: width })
      .then(join)
      .commit();
    const workflow = createWorkflow({ id: 'bench-fanout', inputSchema: Round, outputSchema: Round })
      .dountil(round, async ({ inputData }) => inputData.round >= size)
      .commit();
    return { workflow, input: { round: 0 } };
  },
  async open(store, file, built) {
    if (store === 'memory') return {};
    const storage = new LibSQLStore({ id: 'bench', url: `file:${String(file)}` });
    // Its tables, created up front (as Switchyard's store does when it opens), not on first use.
    await storage.init();
    const { workflow } = /** @type {Built} */ (built);
    return { storage, mastra: new Mastra({ workflows: { wf: workflow }, storage, logger: false }) };
  },
  async execute(built, ctx, runId) {
    const c = /** @type {Ctx} */ (ctx);
    const b = /** @type {Built} */ (built);
    const run = await workflowIn(b, c).createRun({ runId });
    return finalOf(await run.start({ inputData: b.input }));
  },
  async resume(built, ctx, runId) {
    // The documented path for a run that was active when its process died: Run.restart(), which
    // continues "from the last active step" of the persisted snapshot.
    const c = /** @type {Ctx} */ (ctx);
    const b = /** @type {Built} */ (built);
    const run = await workflowIn(b, c).createRun({ runId });
    return finalOf(await run.restart());
  },
  async close(ctx) {
    await /** @type {Ctx} */ (ctx).storage?.close();
  },
  async settings(ctx) {
    const { storage } = /** @type {Ctx} */ (ctx);
    if (!storage) return { storage: 'none (workflow not registered on a Mastra instance)' };
    return { storage: 'LibSQLStore file:' };
  },
  versions() {
    /** @param {string} name */
    const v = (name) =>
      JSON.parse(
        readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8'),
      ).version;
    return {
      '@mastra/core': v('@mastra/core'),
      '@mastra/libsql': v('@mastra/libsql'),
      zod: v('zod'),
    };
  },
});
