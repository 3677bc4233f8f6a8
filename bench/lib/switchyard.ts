// Switchyard as the scenario children see it: the TypeScript source through tsx (the default, so a
// benchmark always measures the working tree), or the compiled dist/ when the orchestrator runs
// with --dist (to check that tsx's transpilation does not change the numbers).
import type * as Api from '../../src/index.js';
import type { JsonValue, ToolDefinition, WorkflowSpec } from '../../src/index.js';
import type * as JournalModule from '../../src/runtime/journal.js';

export const source = process.env.SWITCHYARD_BENCH_FROM === 'dist' ? 'dist' : 'src';
const root = source === 'dist' ? '../../dist' : '../../src';

export const sy = (await import(`${root}/index.js`)) as typeof Api;
/** Not public API: the resume-phases scenario times journal loading on its own. */
export const journal = (await import(`${root}/runtime/journal.js`)) as typeof JournalModule;

/** The no-op tool every Switchyard workload calls. 'safe' so a run killed mid-call can resume. */
export const noopTool: ToolDefinition = {
  name: 'noop',
  retry: 'safe',
  execute: () => ({ ok: true }),
};

/** A linear chain: step s<i> calls noop with the previous step's output. */
export function chainSpec(steps: number): WorkflowSpec {
  return sy.WorkflowSchema.parse({
    name: 'bench-chain',
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `s${i}`,
      kind: 'tool',
      tool: 'noop',
      input: { prev: i === 0 ? null : `$.steps.s${i - 1}.output` },
    })),
  });
}

/**
 * The long-journal shape: a bounded loop whose one-step body calls noop with the previous
 * iteration's output. A 100k-step chain spec costs seconds to parse and plan (see README), and its
 * spec blob would dominate the journal; this spec is a few hundred bytes at any length.
 */
export function loopSpec(iterations: number): WorkflowSpec {
  return sy.WorkflowSchema.parse({
    name: 'bench-loop',
    steps: [
      {
        id: 'loop',
        kind: 'loop',
        maxIterations: iterations,
        steps: [{ id: 'step', kind: 'tool', tool: 'noop', input: { prev: '$.previous' } }],
      },
    ],
  });
}

/** A fixed run id, so a child that kills itself leaves a run the orchestrator can name. */
export function fixedIds(runId: string): { runId(): string } {
  return { runId: () => runId };
}

export type { JsonValue };
