/**
 * Records the golden journals in test/fixtures/golden/: example runs with fixed ids and a virtual
 * clock, exported as stored (bodies, hashes, blobs). test/golden/golden.test.ts replays them on every
 * CI run, so a change in how the engine decides fails CI instead of silently breaking old journals.
 *
 * Re-record ONLY for a deliberate, documented change of decisions (and say so in the commit):
 *   npm run build && npx tsx test/golden/record.ts
 * Names given as arguments record only those journals (a new one, without touching the others):
 *   npx tsx test/golden/record.ts models
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as exampleTools from '../../examples/tools.js';
import type { ToolDefinition } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { QuizSimulatedModel } from '../../src/providers/quiz.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { loadWorkflowFile } from '../../src/spec/index.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { exportRun } from './golden-file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tools = Object.values(exampleTools) as ToolDefinition[];
const only = new Set(process.argv.slice(2));

async function record(
  name: string,
  file: string,
  input: unknown,
  after?: (runtime: Runtime, runId: string) => Promise<unknown>,
  models?: ModelRegistry,
): Promise<void> {
  if (only.size > 0 && !only.has(name)) return;
  const store = new MemoryJournalStore();
  let n = 0;
  const runtime = new Runtime({
    store,
    tools,
    clock: new VirtualClock(),
    ids: { runId: () => `golden-${name}-${++n}` },
    ...(models ? { models } : {}),
  });
  const loaded = await loadWorkflowFile(path.join(root, file));
  const outcome = await runtime.start(loaded, input);
  if (after) await after(runtime, outcome.runId);
  const golden = await exportRun(store, outcome.runId);
  writeFileSync(
    path.join(root, 'test/fixtures/golden', `${name}.json`),
    `${JSON.stringify(golden, null, 1)}\n`,
  );
  console.log(
    `${name}: ${golden.runs.reduce((sum, run) => sum + (run.batches.at(-1)?.lastSeq ?? -1) + 1, 0)} events in ${golden.runs.length} run(s)`,
  );
}

await record('demo', 'examples/demo/demo.yaml', { orders: 12 });
await record('fan-out', 'examples/fan-out/fan-out.yaml', {});
await record('approval', 'examples/approval/approval.yaml', {}, (runtime, runId) =>
  runtime.approve(runId, 'review', { approved: true, comment: 'golden' }),
);
await record('sub-workflow', 'examples/sub-workflow/parent.yaml', {});
await record('hello', 'examples/hello/hello.yaml', { name: 'Ada' });
// Issue #7: routing, a cascade and a consortium under a budget, on the examples' quiz models.
await record(
  'models',
  'examples/models/models.yaml',
  { expression: '12 + 3 * 4 - 5 * 2 + 7 - 1' },
  undefined,
  new ModelRegistry()
    .register(
      'cheap',
      new QuizSimulatedModel({
        name: 'cheap',
        seed: 7,
        errorRate: 0.2,
        price: { inputPerMTok: 0.15, outputPerMTok: 0.15 },
      }),
    )
    .register(
      'expensive',
      new QuizSimulatedModel({
        name: 'expensive',
        seed: 7,
        errorRate: 0.02,
        price: { inputPerMTok: 10, outputPerMTok: 10 },
      }),
    ),
);
