// Cold start, Mastra (issue #4): a fresh plain-Node process imports @mastra/core's workflows (and
// zod, which its steps are declared with) and runs a one-step workflow without storage. Times from
// the process's start, as bench/scenarios/switchyard-cold.mjs does.
import { runChild } from '../lib/plain-child.mjs';

const bootMs = performance.now();

await runChild(async () => {
  let t = performance.now();
  const { createStep, createWorkflow } = await import('@mastra/core/workflows');
  const { z } = await import('zod');
  const importMs = performance.now() - t;
  t = performance.now();
  const Counter = z.object({ n: z.number() });
  const only = createStep({
    id: 'only',
    inputSchema: Counter,
    outputSchema: Counter,
    execute: async ({ inputData }) => ({ n: inputData.n + 1 }),
  });
  const workflow = createWorkflow({ id: 'cold', inputSchema: Counter, outputSchema: Counter })
    .then(only)
    .commit();
  const run = await workflow.createRun();
  const result = await run.start({ inputData: { n: 0 } });
  const runMs = performance.now() - t;
  const totalMs = performance.now();
  if (result.status !== 'success' || result.result.n !== 1)
    throw new Error(`run ended ${result.status}`);
  return {
    metrics: { bootMs, importMs, runMs, totalMs },
    info: { engine: 'mastra', store: 'none' },
  };
});
