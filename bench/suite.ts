// What `npm run bench` measures: sizes, scenarios (one child process each), the ratios taken
// between them and the goals checked. Peers (LangGraph.js, Mastra) join by adding scenarios with
// their own `engine` and an existing `workload`; the report groups rows by workload.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from './lib/child.js';
import type { Summary } from './lib/results.js';

export interface Sizes {
  rounds: number;
  /** Steps of the linear chain timed per step. */
  chainSteps: number;
  chainWarmup: number;
  chainReps: number;
  /** Steps of the short and the long journal (loop workload). */
  smallSteps: number;
  largeSteps: number;
  /** Where the crash scenario kills its builder (steps ended). */
  killAtStep: number;
  awaitCalls: number;
  immediateHops: number;
  sqliteTransactions: number;
  floorReps: number;
}

export const FULL: Sizes = {
  rounds: 5,
  chainSteps: 1000,
  chainWarmup: 3,
  chainReps: 5,
  smallSteps: 1000,
  largeSteps: 100_000,
  killAtStep: 50_000,
  awaitCalls: 1_000_000,
  immediateHops: 50_000,
  sqliteTransactions: 10_000,
  floorReps: 5,
};

/** Every scenario at sizes that finish fast; for CI and for trying a change. */
export const QUICK: Sizes = {
  rounds: 2,
  chainSteps: 200,
  chainWarmup: 1,
  chainReps: 2,
  smallSteps: 1000,
  largeSteps: 3000,
  killAtStep: 1500,
  awaitCalls: 100_000,
  immediateHops: 5000,
  sqliteTransactions: 2000,
  floorReps: 2,
};

export interface Context {
  sizes: Sizes;
  /** Directory of a setup scenario's output (its journal lives there). */
  setupDir(id: string): string;
  /** A fresh directory for this child. */
  dir: string;
}

export interface ScenarioDef {
  id: string;
  engine: string;
  workload: string;
  label: string;
  /** Child entry, relative to bench/. */
  entry: string;
  /** Setup children run once, before the rounds; round children run once per round. */
  phase: 'setup' | 'round';
  args(ctx: Context): Record<string, unknown>;
  prepare?(ctx: Context): void;
  /** The child ends by SIGKILLing itself (after printing its result). */
  expectKill?: boolean;
}

export const RUN_ID = 'run_bench';

/** Copies a journal (main file, WAL and shared-memory index as they are) into a fresh dir. */
function copyJournal(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) {
    const file = join(from, `journal.db${suffix}`);
    if (existsSync(file)) copyFileSync(file, join(to, `journal.db${suffix}`));
  }
}

export const SCENARIOS: ScenarioDef[] = [
  // ---- setup: journals to measure and resume ----------------------------------------------
  {
    id: 'switchyard/build-small',
    engine: 'switchyard',
    workload: 'journal-size',
    label: 'loop, short journal',
    entry: 'scenarios/switchyard-build.ts',
    phase: 'setup',
    args: (ctx) => ({ dir: ctx.dir, runId: RUN_ID, steps: ctx.sizes.smallSteps }),
  },
  {
    id: 'switchyard/build-large',
    engine: 'switchyard',
    workload: 'journal-size',
    label: 'loop, long journal',
    entry: 'scenarios/switchyard-build.ts',
    phase: 'setup',
    args: (ctx) => ({ dir: ctx.dir, runId: RUN_ID, steps: ctx.sizes.largeSteps }),
  },
  {
    id: 'switchyard/build-killed',
    engine: 'switchyard',
    workload: 'journal-size',
    label: 'loop, killed mid-run',
    entry: 'scenarios/switchyard-build.ts',
    phase: 'setup',
    expectKill: true,
    args: (ctx) => ({
      dir: ctx.dir,
      runId: RUN_ID,
      steps: ctx.sizes.largeSteps,
      killAtStep: ctx.sizes.killAtStep,
    }),
  },
  // ---- floors -----------------------------------------------------------------------------
  {
    id: 'floor/await',
    engine: 'floor',
    workload: 'step',
    label: '(a) one awaited no-op call',
    entry: 'scenarios/floor-await.ts',
    phase: 'round',
    args: (ctx) => ({
      calls: ctx.sizes.awaitCalls,
      hops: ctx.sizes.immediateHops,
      reps: ctx.sizes.floorReps,
    }),
  },
  {
    id: 'floor/sqlite-insert',
    engine: 'floor',
    workload: 'step',
    label: '(b) one single-row INSERT transaction',
    entry: 'scenarios/floor-sqlite-insert.ts',
    phase: 'round',
    args: (ctx) => ({ transactions: ctx.sizes.sqliteTransactions, reps: ctx.sizes.floorReps }),
  },
  {
    id: 'floor/sqlite-step',
    engine: 'floor',
    workload: 'step',
    label: "(c) raw transaction of one step's rows",
    entry: 'scenarios/floor-sqlite-step.ts',
    phase: 'round',
    args: (ctx) => ({ transactions: ctx.sizes.sqliteTransactions, reps: ctx.sizes.floorReps }),
  },
  // ---- Switchyard -------------------------------------------------------------------------
  {
    id: 'switchyard/store-append',
    engine: 'switchyard',
    workload: 'step',
    label: "(d) SQLite store.append of one step's batch",
    entry: 'scenarios/switchyard-store-append.ts',
    phase: 'round',
    args: (ctx) => ({ transactions: ctx.sizes.sqliteTransactions, reps: ctx.sizes.floorReps }),
  },
  {
    id: 'switchyard/chain-memory',
    engine: 'switchyard',
    workload: 'step',
    label: 'Switchyard chain, memory store',
    entry: 'scenarios/switchyard-chain.ts',
    phase: 'round',
    args: (ctx) => ({
      store: 'memory',
      steps: ctx.sizes.chainSteps,
      warmup: ctx.sizes.chainWarmup,
      reps: ctx.sizes.chainReps,
    }),
  },
  {
    id: 'switchyard/chain-sqlite',
    engine: 'switchyard',
    workload: 'step',
    label: 'Switchyard chain, SQLite store',
    entry: 'scenarios/switchyard-chain.ts',
    phase: 'round',
    args: (ctx) => ({
      store: 'sqlite',
      steps: ctx.sizes.chainSteps,
      warmup: ctx.sizes.chainWarmup,
      reps: ctx.sizes.chainReps,
    }),
  },
  {
    id: 'switchyard/resume-finished',
    engine: 'switchyard',
    workload: 'resume',
    label: 'finished run',
    entry: 'scenarios/switchyard-resume.ts',
    phase: 'round',
    // A finished run appends nothing on resume, so every round can open the same file.
    args: (ctx) => ({ dir: ctx.setupDir('switchyard/build-large'), runId: RUN_ID }),
  },
  {
    id: 'switchyard/resume-killed',
    engine: 'switchyard',
    workload: 'resume',
    label: 'run killed mid-way',
    entry: 'scenarios/switchyard-resume.ts',
    phase: 'round',
    // Resuming completes the run, so each round resumes its own copy of the killed journal.
    prepare: (ctx) => copyJournal(ctx.setupDir('switchyard/build-killed'), ctx.dir),
    args: (ctx) => ({ dir: ctx.dir, runId: RUN_ID }),
  },
  {
    id: 'switchyard/resume-phases',
    engine: 'switchyard',
    workload: 'resume-phases',
    label: 'finished run, phase by phase',
    entry: 'scenarios/switchyard-resume-phases.ts',
    phase: 'round',
    args: (ctx) => ({ dir: ctx.setupDir('switchyard/build-large'), runId: RUN_ID }),
  },
];

/** One round's metrics by scenario id. */
export type RoundView = (id: string, metric: string) => number;

export interface RatioDef {
  id: string;
  label: string;
  goal?: string;
  value(round: RoundView): number;
}

const SQLITE = 'switchyard/chain-sqlite';
const MEMORY = 'switchyard/chain-memory';

export const RATIOS: RatioDef[] = [
  {
    id: 'sqlite-vs-insert',
    label: 'SQLite step / ((b) × transactions per step)',
    goal: '≤ 3',
    value: (m) =>
      m(SQLITE, 'stepUs') / (m('floor/sqlite-insert', 'stepUs') * m(SQLITE, 'transactionsPerStep')),
  },
  {
    id: 'sqlite-vs-raw-step',
    label: 'SQLite step / (c)',
    goal: '≤ 3',
    value: (m) => m(SQLITE, 'stepUs') / m('floor/sqlite-step', 'stepUs'),
  },
  {
    id: 'sqlite-vs-insert-cpu',
    label: 'same, CPU time: SQLite step / ((b) × tx per step)',
    value: (m) =>
      m(SQLITE, 'stepCpuUs') /
      (m('floor/sqlite-insert', 'stepCpuUs') * m(SQLITE, 'transactionsPerStep')),
  },
  {
    id: 'sqlite-vs-raw-step-cpu',
    label: 'same, CPU time: SQLite step / (c)',
    value: (m) => m(SQLITE, 'stepCpuUs') / m('floor/sqlite-step', 'stepCpuUs'),
  },
  {
    id: 'store-append-vs-raw-step',
    label: '(d) store.append / (c)',
    value: (m) => m('switchyard/store-append', 'stepUs') / m('floor/sqlite-step', 'stepUs'),
  },
  {
    id: 'store-vs-raw-step',
    label: '(SQLite step − memory step) / (c)',
    value: (m) => (m(SQLITE, 'stepUs') - m(MEMORY, 'stepUs')) / m('floor/sqlite-step', 'stepUs'),
  },
  {
    id: 'memory-vs-await',
    label: 'memory step / (a)',
    value: (m) => m(MEMORY, 'stepUs') / m('floor/await', 'stepUs'),
  },
  {
    id: 'sqlite-vs-await',
    label: 'SQLite step / (a)',
    value: (m) => m(SQLITE, 'stepUs') / m('floor/await', 'stepUs'),
  },
];

export interface GoalInputs {
  ratio(id: string): Summary;
  metric(scenario: string, metric: string): Summary;
}

export interface GoalDef {
  id: string;
  goal: string;
  target: string;
  unit: string;
  evaluate(r: GoalInputs): { value: number; met: boolean; note: string };
}

/**
 * Bytes per step are compared without the decimal digits of seq and of the iteration number in
 * each path (those grow with log10 of the journal's length, by design); what is left must be the
 * same to within rounding.
 */
export const BYTES_TOLERANCE = 0.005;

export const GOALS: GoalDef[] = [
  {
    id: 'step-vs-insert-floor',
    goal: 'SQLite-durable step ≤ 3× the floor of the inserts it needs: (b) × transactions/step',
    target: '≤ 3',
    unit: '×',
    evaluate: (r) => {
      const value = r.ratio('sqlite-vs-insert').median;
      return { value, met: value <= 3, note: 'wall time, median of per-round ratios' };
    },
  },
  {
    id: 'step-vs-raw-step',
    goal: "SQLite-durable step ≤ 3× the raw transaction of the step's rows: (c)",
    target: '≤ 3',
    unit: '×',
    evaluate: (r) => {
      const value = r.ratio('sqlite-vs-raw-step').median;
      return { value, met: value <= 3, note: 'wall time, median of per-round ratios' };
    },
  },
  {
    id: 'bytes-constant',
    goal: 'journal bytes per step the same for the short and the long journal (but for digits)',
    target: `within ${BYTES_TOLERANCE * 100}%`,
    unit: '× (long / short)',
    evaluate: (r) => {
      const bytes = (id: string, metric: string): number => r.metric(id, metric).median;
      const small = bytes('switchyard/build-small', 'stepBytesPerStepWithoutDigits');
      const large = bytes('switchyard/build-large', 'stepBytesPerStepWithoutDigits');
      const value = large / small;
      const rawSmall = bytes('switchyard/build-small', 'journalBytesPerStep');
      const rawLarge = bytes('switchyard/build-large', 'journalBytesPerStep');
      return {
        value,
        met: Math.abs(value - 1) <= BYTES_TOLERANCE,
        note:
          `${small.toFixed(1)} vs ${large.toFixed(1)} B/step without seq/iteration digits; ` +
          `${rawSmall.toFixed(1)} vs ${rawLarge.toFixed(1)} B/step as stored (bodies + blobs)`,
      };
    },
  },
  {
    id: 'resume-finished',
    goal: 'resume of the long finished journal (open + read + verify + replay) under 1 s',
    target: '< 1000',
    unit: 'ms',
    evaluate: (r) => {
      const value = r.metric('switchyard/resume-finished', 'resumeMs').median;
      return { value, met: value < 1000, note: 'fresh process, median over rounds' };
    },
  },
  {
    id: 'resume-killed',
    goal: 'resume of the killed run, up to its first new append, under 1 s',
    target: '< 1000',
    unit: 'ms',
    evaluate: (r) => {
      const value = r.metric('switchyard/resume-killed', 'resumeMs').median;
      const events = r.metric('switchyard/resume-killed', 'replayedEvents').median;
      return { value, met: value < 1000, note: `replays ${events} events first` };
    },
  },
];

export type { Metrics };
