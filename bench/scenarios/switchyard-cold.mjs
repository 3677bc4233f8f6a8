// Cold start, Switchyard (issue #4): a fresh plain-Node process imports the engine (the working tree
// compiled by tsc, from SWITCHYARD_BENCH_DIST) and runs a one-step workflow on the memory store.
// Times from the process's start (performance.now() counts from it): Node's own boot, the import,
// the run (spec parse, Runtime, start), and the total until the run is done.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runChild } from '../lib/plain-child.mjs';

const bootMs = performance.now();

await runChild(async () => {
  const distDir = process.env.SWITCHYARD_BENCH_DIST;
  if (!distDir) throw new Error('SWITCHYARD_BENCH_DIST is not set (bench/run.ts sets it)');
  let t = performance.now();
  /** @type {typeof import('../../src/index.js')} */
  const sy = await import(pathToFileURL(join(distDir, 'index.js')).href);
  const importMs = performance.now() - t;
  t = performance.now();
  const spec = sy.WorkflowSchema.parse({
    name: 'cold',
    steps: [{ id: 'only', kind: 'tool', tool: 'inc', input: { prev: null } }],
  });
  const runtime = new sy.Runtime({
    store: new sy.MemoryJournalStore(),
    tools: [{ name: 'inc', retry: 'safe', execute: () => ({ n: 1 }) }],
  });
  const outcome = await runtime.start({ spec });
  const runMs = performance.now() - t;
  const totalMs = performance.now();
  if (outcome.status !== 'completed') throw new Error(`run ended ${outcome.status}`);
  return {
    metrics: { bootMs, importMs, runMs, totalMs },
    info: { engine: 'switchyard', store: 'memory' },
  };
});
