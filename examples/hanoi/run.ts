// Runs the Hanoi example through the engine and checks the whole trajectory with the simulator.
//
//   npm run build
//   npx tsx examples/hanoi/run.ts --disks 10 --error-rate 0.01 --k 3 [--seed 1] [--store sqlite:hanoi.db]
//
// The simulated Hanoi model answers right with probability 1 − error-rate (docs/voting.md); its
// answers are labelled simulated. The checker is fed the voted answers as they are journaled
// (onEvents), so a million-step run is checked without reading its journal back into memory; the
// same check from the journal is `checkHanoiRun(disks, await runtime.events(runId))`.
import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  HanoiChecker,
  HanoiSimulatedModel,
  hanoiVoteParser,
  loadWorkflowFile,
  ModelRegistry,
  openStore,
  Runtime,
  votedAnswers,
  type JournalEvent,
  type VoteStepSpec,
} from 'switchyard';

const { values } = parseArgs({
  options: {
    disks: { type: 'string', default: '10' },
    'error-rate': { type: 'string', default: '0.01' },
    k: { type: 'string', default: '3' },
    'max-samples': { type: 'string', default: '50' },
    seed: { type: 'string', default: '1' },
    store: { type: 'string', default: 'memory:' },
  },
});
const disks = Number(values.disks);
const errorRate = Number(values['error-rate']);
const k = Number(values.k);

const loaded = await loadWorkflowFile(new URL('./hanoi.yaml', import.meta.url).pathname);
const loop = loaded.spec.steps[0] as { steps: VoteStepSpec[] };
const vote = loop.steps[0] as VoteStepSpec;
vote.k = k;
vote.maxSamples = Number(values['max-samples']);

const store = await openStore(values.store);
const checker = new HanoiChecker(disks);
const counts = { samples: 0, flagged: { 'too-long': 0, unparseable: 0, rejected: 0 }, decided: 0 };
const runtime = new Runtime({
  store,
  models: new ModelRegistry().register(
    'hanoi',
    new HanoiSimulatedModel({ p: 1 - errorRate, seed: Number(values.seed) }),
  ),
  voteFunctions: [hanoiVoteParser],
  onEvents: (_runId, events: readonly JournalEvent[]) => {
    for (const event of events) {
      if (event.type === 'vote-cast') counts.samples += 1;
      else if (event.type === 'vote-flagged') {
        counts.samples += 1;
        counts.flagged[event.reason] += 1;
      } else if (event.type === 'vote-decided') counts.decided += 1;
    }
    for (const answer of votedAnswers(events)) checker.step(answer);
  },
});

const started = performance.now();
const cpuBefore = process.cpuUsage();
// Progress on stderr every 5 s: a 20-disk run takes minutes.
const total = 2 ** disks - 1;
const progress = setInterval(() => {
  const elapsed = (performance.now() - started) / 1000;
  process.stderr.write(
    `${counts.decided}/${total} moves voted, ${elapsed.toFixed(0)} s, ` +
      `${Math.round(process.memoryUsage().rss / 2 ** 20)} MB RSS\n`,
  );
}, 5000);
progress.unref();
const outcome = await runtime.start(loaded, { disks });
clearInterval(progress);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const check = checker.report();
const steps = counts.decided;
// Measured after close, which checkpoints the WAL into the database file: the journal's size,
// not the size of a write-ahead log that SQLite bounds and recycles.
await store.close();
const file = values.store.startsWith('sqlite:') ? values.store.slice('sqlite:'.length) : null;
const bytes = file === null ? null : statSync(file).size + walSize(file);
const report = {
  runId: outcome.runId,
  status: outcome.status,
  error: outcome.error?.message ?? null,
  disks,
  errorRate,
  k,
  steps,
  check,
  samplesPerStep: steps === 0 ? 0 : counts.samples / steps,
  flagged: counts.flagged,
  seconds: Number(seconds.toFixed(1)),
  cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
  microsecondsPerStep: steps === 0 ? null : Math.round((seconds * 1e6) / steps),
  journalBytesPerStep: bytes === null || steps === 0 ? null : Math.round(bytes / steps),
  peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
process.exitCode = check.ok ? 0 : 1;

function walSize(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}
