// Builds a long journal on SQLite (the loop workload) and measures it from the file's tables.
// With killAtStep, the child SIGKILLs itself from the afterAppend fault hook once that many steps
// have ended: the journal then ends with a tool call started and not finished, as after a crash.
import { join } from 'node:path';
import { childArgs, emit, runChild, sinceUs } from '../lib/child.js';
import { measureJournal } from '../lib/sqlite.js';
import { fixedIds, loopSpec, noopTool, source, sy } from '../lib/switchyard.js';

interface Args {
  dir: string;
  runId: string;
  steps: number;
  killAtStep?: number;
}

/** The loop body's step paths are loop/<iteration>/step; the loop's own events are 'loop'. */
const STEP_PREFIX = 'loop/';
const PATH_WITHOUT_DIGITS = 'loop//step'.length;

await runChild(async () => {
  const { dir, runId, steps, killAtStep } = childArgs<Args>();
  const file = join(dir, 'journal.db');
  const store = sy.openSqliteStore(file);
  let ended = 0;
  const t0 = process.hrtime.bigint();
  const runtime = new sy.Runtime({
    store,
    tools: [noopTool],
    ids: fixedIds(runId),
    ...(killAtStep === undefined
      ? {}
      : {
          faults: {
            afterAppend(events) {
              for (const event of events)
                if (event.type === 'step-end' && event.path.startsWith(STEP_PREFIX)) ended++;
              if (ended < killAtStep) return;
              const us = sinceUs(t0);
              emit({
                metrics: { buildUsPerStep: us / ended, stepsBeforeKill: ended },
                info: { source, runId, killedAt: events.at(-1)?.seq },
              });
              process.kill(process.pid, 'SIGKILL');
            },
          },
        }),
  });
  const outcome = await runtime.start({ spec: loopSpec(steps) });
  const us = sinceUs(t0);
  if (outcome.status !== 'completed') throw new Error(`run ended ${outcome.status}`);
  const transactions = store.stats.transactions;
  await store.close();
  const size = measureJournal(file, runId, STEP_PREFIX, PATH_WITHOUT_DIGITS);
  return {
    metrics: {
      buildUsPerStep: us / steps,
      events: size.events,
      eventsPerStep: size.stepEvents / steps,
      transactionsPerStep: transactions / steps,
      journalBytesPerStep: (size.bodyBytes + size.blobBytes) / steps,
      stepBytesPerStep: size.stepBodyBytes / steps,
      stepBytesPerStepWithoutDigits: (size.stepBodyBytes - size.stepDigitBytes) / steps,
      fileBytesPerStep: size.fileBytes / steps,
      fileBytes: size.fileBytes,
    },
    info: { source, runId, steps, size },
  };
});
