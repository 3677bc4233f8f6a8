// Where resume time goes, each phase timed on its own in a fresh process: open the store, read the
// rows (cold), load the journal (read again + hash chain + JSON parse + payloads), and replay the
// loaded events through the engine, verifying every recorded decision.
import { join } from 'node:path';
import { childArgs, runChild, sinceUs } from '../lib/child.js';
import { journal, source, sy } from '../lib/switchyard.js';

interface Args {
  dir: string;
  runId: string;
}

await runChild(async () => {
  const { dir, runId } = childArgs<Args>();
  let t = process.hrtime.bigint();
  const store = sy.openSqliteStore(join(dir, 'journal.db'));
  const openUs = sinceUs(t);
  const run = await store.getRun(runId);
  if (!run) throw new Error(`run ${runId} is not in the journal`);
  t = process.hrtime.bigint();
  const rows = await store.read(runId);
  const readUs = sinceUs(t);
  t = process.hrtime.bigint();
  const loaded = await journal.loadJournal(store, run);
  const loadUs = sinceUs(t);
  t = process.hrtime.bigint();
  const replay = await sy.replayJournal(loaded.events);
  const replayUs = sinceUs(t);
  await store.close();
  return {
    metrics: {
      openMs: openUs / 1000,
      readMs: readUs / 1000,
      loadMs: loadUs / 1000,
      replayMs: replayUs / 1000,
      events: rows.length,
      decisionsChecked: replay.decisionsChecked,
    },
    info: { source, runId },
  };
});
