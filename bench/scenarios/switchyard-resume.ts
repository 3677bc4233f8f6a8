// Time to resume a long journal in a fresh process: open the SQLite store, then Runtime.resume(),
// which restores the engine from the run's last checkpoint, reads the batches after it, checks
// their hash chain, replays and verifies their decisions, and (for a run that was killed) goes on
// from where it stopped. (`replay --verify`, which re-derives everything from seq 0, is timed by
// the resume-phases scenario.)
import { join } from 'node:path';
import { childArgs, cpuSinceUs, runChild, sinceUs } from '../lib/child.js';
import { noopTool, source, sy } from '../lib/switchyard.js';

interface Args {
  dir: string;
  runId: string;
}

await runChild(async () => {
  const { dir, runId } = childArgs<Args>();
  let firstAppendUs: number | undefined;
  let firstAppendCpuUs: number | undefined;
  let appended = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const store = sy.openSqliteStore(join(dir, 'journal.db'));
  const openUs = sinceUs(t0);
  const checkpoint = await store.readCheckpoint(runId);
  const runtime = new sy.Runtime({
    store,
    tools: [noopTool],
    onEvents: (_runId, events) => {
      firstAppendUs ??= sinceUs(t0);
      firstAppendCpuUs ??= cpuSinceUs(c0);
      appended += events.length;
    },
  });
  const outcome = await runtime.resume(runId);
  const totalUs = sinceUs(t0);
  const totalCpuUs = cpuSinceUs(c0);
  if (outcome.status !== 'completed') throw new Error(`resumed run ended ${outcome.status}`);
  const run = await runtime.getRun(runId);
  await store.close();
  // Events after the checkpoint that existed before resuming: those resume replayed.
  const replayed = run.headSeq + 1 - appended - ((checkpoint?.seq ?? -1) + 1);
  return {
    metrics: {
      openMs: openUs / 1000,
      // A finished run: the whole resume. A killed run: until its first new append, i.e. reading,
      // replaying and verifying what was there, re-arming the interrupted call and its result.
      resumeMs: (firstAppendUs ?? totalUs) / 1000,
      resumeCpuMs: (firstAppendCpuUs ?? totalCpuUs) / 1000,
      totalMs: totalUs / 1000,
      replayedEvents: replayed,
      appendedEvents: appended,
      checkpointSeq: checkpoint?.seq ?? -1,
      checkpointBytes: checkpoint?.state.length ?? 0,
    },
    info: { source, runId },
  };
});
