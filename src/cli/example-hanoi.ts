import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SwitchyardError } from '../core/errors.js';
import type { JournalEvent, RunOrigin } from '../core/events.js';
import type { JournalStore } from '../core/ports.js';
import type { VoteStepSpec } from '../core/spec.js';
import { ModelRegistry } from '../providers/registry.js';
import type { FaultHooks } from '../runtime/driver.js';
import { readRunStart } from '../runtime/journal.js';
import { Runtime } from '../runtime/runtime.js';
import { loadWorkflowFile } from '../spec/index.js';
import { HanoiChecker, type HanoiCheck } from '../voting/hanoi/checker.js';
import { HanoiSimulatedModel } from '../voting/hanoi/provider.js';
import { hanoiSteps } from '../voting/hanoi/state.js';
import { hanoiVoteParser, votedAnswers } from '../voting/hanoi/trajectory.js';
import { expectedSamplesPerStep } from '../voting/planner.js';

/**
 * `switchyard example hanoi`: MAKER's Towers of Hanoi (examples/hanoi/hanoi.yaml, docs/voting.md)
 * through the engine on the simulated Hanoi model, then the whole trajectory checked by the
 * simulator. `--resume <runId>` continues a run that was killed; the model's settings come from
 * the run's own run-start (its origin), so a resumed run answers as the first process would have.
 */
export interface HanoiExampleOptions {
  disks: number;
  errorRate: number;
  k: number;
  maxSamples: number;
  seed: number;
  resume?: string;
  /** Called every few seconds while the run works. */
  onProgress?(line: string): void;
  /** Crash-test hooks (SWITCHYARD_FAULT), as for `run`. */
  faults?: FaultHooks;
}

export interface HanoiExampleReport {
  runId: string;
  simulated: true;
  status: string;
  error: string | null;
  disks: number;
  errorRate: number;
  k: number;
  resumed: boolean;
  steps: number;
  check: HanoiCheck;
  samplesPerStep: number;
  /** The planner's expectation for p = 1 − errorRate at this k (voting/planner.ts). */
  expectedSamplesPerStep: number;
  flagged: { 'too-long': number; unparseable: number; rejected: number };
  seconds: number;
  cpuSeconds: number;
  microsecondsPerStep: number | null;
  /** The SQLite file and its write-ahead log; null for other stores. */
  journalBytes: number | null;
  journalBytesPerStep: number | null;
  peakRssMB: number;
}

const WORKFLOW = fileURLToPath(new URL('../../examples/hanoi/hanoi.yaml', import.meta.url));

/** Counts the samples, flags and votes of a run's events, and feeds its voted moves to the checker. */
class Tally {
  samples = 0;
  decided = 0;
  readonly flagged = { 'too-long': 0, unparseable: 0, rejected: 0 };
  constructor(readonly checker: HanoiChecker) {}

  add(events: readonly JournalEvent[]): void {
    for (const event of events) {
      if (event.type === 'vote-cast') this.samples += 1;
      else if (event.type === 'vote-flagged') {
        this.samples += 1;
        this.flagged[event.reason] += 1;
      } else if (event.type === 'vote-decided') this.decided += 1;
    }
    for (const answer of votedAnswers(events)) this.checker.step(answer);
  }
}

export async function runHanoiExample(
  store: JournalStore,
  storeFile: string | null,
  options: HanoiExampleOptions,
): Promise<HanoiExampleReport> {
  let { disks, errorRate, seed } = options;
  let k = options.k;
  if (options.resume !== undefined) {
    const origin = await originOf(store, options.resume);
    ({ errorRate } = origin.example);
    seed = origin.seed;
    disks = origin.disks;
    k = origin.k;
  }
  const tally = new Tally(new HanoiChecker(disks));
  let resumedSteps = 0;
  const runtime = new Runtime({
    store,
    models: new ModelRegistry().register(
      'hanoi',
      new HanoiSimulatedModel({ p: 1 - errorRate, seed }),
    ),
    voteFunctions: [hanoiVoteParser],
    // A fresh run is checked as it is journaled; a resumed one from its journal afterwards (its
    // progress counts the moves voted since the resume).
    onEvents: (_: string, events: readonly JournalEvent[]) => {
      if (options.resume === undefined) tally.add(events);
      else for (const event of events) if (event.type === 'vote-decided') resumedSteps += 1;
    },
    origin: { seed, example: { name: 'hanoi', errorRate } } satisfies RunOrigin,
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const total = hanoiSteps(disks);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const progress = setInterval(() => {
    const elapsed = (performance.now() - started) / 1000;
    const done =
      options.resume === undefined
        ? `${tally.decided.toLocaleString('en-US')}/${total.toLocaleString('en-US')} moves voted`
        : `${resumedSteps.toLocaleString('en-US')} more moves voted since the resume`;
    options.onProgress?.(
      `${done}, ` +
        `${elapsed.toFixed(0)} s, ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB RSS`,
    );
  }, 5000);
  progress.unref();
  let outcome;
  try {
    if (options.resume === undefined) {
      const loaded = await loadWorkflowFile(WORKFLOW);
      const vote = (loaded.spec.steps[0] as { steps: VoteStepSpec[] }).steps[0] as VoteStepSpec;
      vote.k = options.k;
      vote.maxSamples = options.maxSamples;
      outcome = await runtime.start(loaded, { disks });
    } else {
      outcome = await runtime.resume(options.resume);
      for await (const page of runtime.eventPages(options.resume)) tally.add(page);
    }
  } finally {
    clearInterval(progress);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const steps = tally.decided;
  const journalBytes =
    storeFile === null ? null : fileSize(storeFile) + fileSize(`${storeFile}-wal`);
  return {
    runId: outcome.runId,
    simulated: true,
    status: outcome.status,
    error: outcome.error?.message ?? null,
    disks,
    errorRate,
    k,
    resumed: options.resume !== undefined,
    steps,
    check: tally.checker.report(),
    samplesPerStep: steps === 0 ? 0 : tally.samples / steps,
    expectedSamplesPerStep: expectedSamplesPerStep(1 - errorRate, k),
    flagged: tally.flagged,
    seconds: round(seconds, 1),
    cpuSeconds: round((cpu.user + cpu.system) / 1e6, 1),
    // A resumed run did only part of its steps here (and read its journal back to check it).
    microsecondsPerStep:
      steps === 0 || options.resume !== undefined ? null : Math.round((seconds * 1e6) / steps),
    journalBytes,
    journalBytesPerStep:
      journalBytes === null || steps === 0 ? null : Math.round(journalBytes / steps),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** The settings a Hanoi example run was started with, from its run-start. */
async function originOf(
  store: JournalStore,
  runId: string,
): Promise<{ example: { errorRate: number }; seed: number; disks: number; k: number }> {
  // Hydrated: the spec (where k is) is large enough to be stored as a payload blob.
  const start = await readRunStart(store, runId);
  if (start === undefined)
    throw new SwitchyardError('RUN_NOT_FOUND', `run ${runId} is not in this store`, {
      hint: 'pass the same --store the run was started with',
    });
  const origin = start.origin;
  const input = start.input as { disks?: unknown } | null;
  if (origin?.example?.name !== 'hanoi' || typeof input?.disks !== 'number')
    throw new SwitchyardError(
      'USAGE',
      `run ${runId} was not started by \`switchyard example hanoi\``,
      { hint: 'resume other runs with `switchyard resume <runId>`' },
    );
  const spec = start.spec as { steps?: Array<{ steps?: Array<{ k?: unknown }> }> } | undefined;
  const k = spec?.steps?.[0]?.steps?.[0]?.k;
  return {
    example: origin.example,
    seed: origin.seed ?? 1,
    disks: input.disks,
    k: typeof k === 'number' ? k : 3,
  };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** The report for people: what ran, whether it was right, and what it cost. */
export function renderHanoiReport(report: HanoiExampleReport): string {
  const check = report.check;
  const verdict = check.ok
    ? `solved with zero errors (${check.steps.toLocaleString('en-US')} moves checked by the simulator)`
    : `NOT solved: ${check.firstError?.message ?? 'the trajectory is incomplete'}`;
  const lines = [
    `Towers of Hanoi, ${report.disks} disks, k = ${report.k}, simulated model error rate ${report.errorRate} (simulated)`,
    `  run ${report.runId}: ${report.status}${report.resumed ? ' (resumed)' : ''}${report.error ? `: ${report.error}` : ''}`,
    `  ${verdict}`,
    `  samples per step  ${report.samplesPerStep.toFixed(3)} (planner expects ${report.expectedSamplesPerStep.toFixed(3)})`,
    `  flagged samples   ${report.flagged['too-long']} too long, ${report.flagged.unparseable} unparseable, ${report.flagged.rejected} rejected`,
    `  time              ${report.seconds} s wall, ${report.cpuSeconds} s CPU${report.microsecondsPerStep === null ? '' : `, ${report.microsecondsPerStep} µs per step`}`,
  ];
  if (report.journalBytesPerStep !== null)
    lines.push(
      `  journal           ${report.journalBytesPerStep} bytes per step (SQLite file + WAL)`,
    );
  lines.push(`  peak RSS          ${report.peakRssMB} MB`);
  return lines.join('\n');
}
