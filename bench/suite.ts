// What `npm run bench` measures: sizes, scenarios (one child process each), the ratios taken
// between them and the goals checked. Issue #3: Switchyard against its floors. Issue #4: Switchyard
// against LangGraph.js and Mastra (bench/peers/), the same workloads written for each engine; the
// report groups rows by workload.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Metrics } from './lib/child.js';
import { measureEngineFile } from './lib/engine-files.js';
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
  // ---- engine comparison (issue #4) ----
  /** Steps of the linear chain, iterations of the loop, rounds × width of the fan-out. */
  cmpChainSteps: number;
  cmpLoopSteps: number;
  cmpFanoutRounds: number;
  cmpFanoutWidth: number;
  /**
   * Each comparison child: warm-up runs, then timed runs (median reported). The per-step cells
   * measure a process that has run the workload before (a server, a worker); a fresh process is
   * the cold-start row. Chain and fan-out warm up at their full size: their runs are short (1,000
   * and 2,020 steps), and after one small warm-up the timed runs were mostly JIT compilation, for
   * every engine (Switchyard fan-out 27–41 µs/step against 10–13 once warm). The loop warms up at
   * a tenth: each timed run is 10,000 steps, long enough to amortise its own warm-up.
   */
  cmpWarmup: number;
  cmpReps: number;
  cmpChainWarmupSteps: number;
  cmpLoopWarmupSteps: number;
  cmpFanoutWarmupRounds: number;
  /** A run that has not finished in this many seconds is reported as not finished. */
  capS: number;
  /** Durable loop runs whose files are measured (bytes per step as runs grow). */
  storageSmall: number;
  storageMedium: number;
  storageLarge: number;
  /** The durable loop run killed with SIGKILL inside step crashKillAt + 1, then resumed. */
  crashSteps: number;
  crashKillAt: number;
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
  cmpChainSteps: 1000,
  cmpLoopSteps: 10_000,
  cmpFanoutRounds: 20,
  cmpFanoutWidth: 100,
  cmpWarmup: 2,
  cmpReps: 3,
  cmpChainWarmupSteps: 1000,
  cmpLoopWarmupSteps: 1000,
  cmpFanoutWarmupRounds: 20,
  capS: 300,
  storageSmall: 1000,
  storageMedium: 10_000,
  storageLarge: 100_000,
  crashSteps: 10_000,
  crashKillAt: 5000,
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
  cmpChainSteps: 50,
  cmpLoopSteps: 100,
  cmpFanoutRounds: 2,
  cmpFanoutWidth: 10,
  cmpWarmup: 1,
  cmpReps: 1,
  cmpChainWarmupSteps: 5,
  cmpLoopWarmupSteps: 10,
  cmpFanoutWarmupRounds: 1,
  capS: 60,
  storageSmall: 50,
  storageMedium: 100,
  storageLarge: 200,
  crashSteps: 200,
  crashKillAt: 100,
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
  /**
   * 'tsx' (default): `node --import tsx`, the Switchyard-only scenarios of issue #3. 'plain':
   * `node` alone, for the engine comparison: tsx's loader would weigh on the peers (see
   * bench/lib/plain-child.mjs), so every engine there runs as plain JavaScript, Switchyard compiled.
   */
  runner?: 'tsx' | 'plain';
  /** Longest the child may take before it is killed as stuck (default 20 minutes). */
  timeoutS?(ctx: Context): number;
  /** Metrics the orchestrator adds once the child has exited (e.g. the size of its file). */
  measure?(ctx: Context, metrics: Metrics): Metrics;
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

/** Issue #3: Switchyard against its floors (TypeScript children under tsx, Switchyard from src/). */
const FLOOR_SCENARIOS: ScenarioDef[] = [
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

// ---- engine comparison (issue #4) ------------------------------------------------------------

export const ENGINES = ['switchyard', 'langgraph', 'mastra'] as const;
export const PEERS = ['langgraph', 'mastra'] as const;
export const WORKLOADS = ['chain', 'loop', 'fanout'] as const;
export const STORES = ['memory', 'sqlite'] as const;
export const STORAGE_SIZES = ['small', 'medium', 'large'] as const;
export type Engine = (typeof ENGINES)[number];
export type Peer = (typeof PEERS)[number];
export type Workload = (typeof WORKLOADS)[number];
export type Store = (typeof STORES)[number];

export const ENGINE_LABEL: Record<Engine, string> = {
  switchyard: 'Switchyard',
  langgraph: 'LangGraph.js',
  mastra: 'Mastra',
};
/** What "memory" and "sqlite" mean for each engine (its documented setup for each). */
export const STORE_LABEL: Record<Engine, Record<Store, string>> = {
  switchyard: { memory: 'MemoryJournalStore', sqlite: 'openSqliteStore (WAL, sync NORMAL)' },
  langgraph: {
    memory: 'no checkpointer',
    sqlite: 'SqliteSaver (WAL, sync NORMAL), durability async',
  },
  mastra: { memory: 'no storage', sqlite: 'LibSQLStore file (WAL, sync NORMAL)' },
};

/** Child entries of the comparison, relative to bench/ (peers' live beside their node_modules). */
const WORKLOAD_ENTRY: Record<Engine, string> = {
  switchyard: 'scenarios/switchyard-workload.mjs',
  langgraph: 'peers/langgraph.mjs',
  mastra: 'peers/mastra.mjs',
};
const COLD_ENTRY: Record<Engine, string> = {
  switchyard: 'scenarios/switchyard-cold.mjs',
  langgraph: 'peers/langgraph-cold.mjs',
  mastra: 'peers/mastra-cold.mjs',
};

export const cmpId = (engine: Engine, workload: Workload, store: Store): string =>
  `${engine}/${workload}/${store}`;
export const storageId = (engine: Engine, size: (typeof STORAGE_SIZES)[number]): string =>
  `${engine}/storage/${size}`;

export function workloadSize(
  sizes: Sizes,
  workload: Workload,
): { size: number; warmupSize: number } {
  if (workload === 'chain')
    return { size: sizes.cmpChainSteps, warmupSize: sizes.cmpChainWarmupSteps };
  if (workload === 'loop')
    return { size: sizes.cmpLoopSteps, warmupSize: sizes.cmpLoopWarmupSteps };
  return { size: sizes.cmpFanoutRounds, warmupSize: sizes.cmpFanoutWarmupRounds };
}

export function workloadTitle(sizes: Record<string, number>, workload: Workload): string {
  const n = (key: string): string => (sizes[key] ?? NaN).toLocaleString('en-US');
  if (workload === 'chain') return `linear chain of ${n('cmpChainSteps')} steps`;
  if (workload === 'loop') return `loop of ${n('cmpLoopSteps')} iterations`;
  return (
    `fan-out to ${n('cmpFanoutWidth')} parallel tasks joined by one step, ` +
    `${n('cmpFanoutRounds')} rounds`
  );
}

const comparisonScenarios: ScenarioDef[] = [
  ...ENGINES.flatMap((engine) =>
    WORKLOADS.flatMap((workload) =>
      STORES.map((store): ScenarioDef => ({
        id: cmpId(engine, workload, store),
        engine,
        workload,
        label: `${ENGINE_LABEL[engine]}, ${STORE_LABEL[engine][store]}`,
        entry: WORKLOAD_ENTRY[engine],
        phase: 'round',
        runner: 'plain',
        timeoutS: (ctx) => (ctx.sizes.cmpWarmup + ctx.sizes.cmpReps) * ctx.sizes.capS + 120,
        // SQLite: the last timed run's file.
        ...(store === 'sqlite'
          ? {
              measure: (ctx: Context, metrics: Metrics): Metrics => {
                const file = measureEngineFile(join(ctx.dir, `rep-${ctx.sizes.cmpReps - 1}.db`));
                const steps = metrics.steps ?? NaN;
                return {
                  fileBytesPerStep: file.fileBytes / steps,
                  dataBytesPerStep: file.dataBytes / steps,
                };
              },
            }
          : {}),
        args: (ctx) => ({
          mode: 'run',
          workload,
          store,
          ...workloadSize(ctx.sizes, workload),
          width: ctx.sizes.cmpFanoutWidth,
          warmup: ctx.sizes.cmpWarmup,
          reps: ctx.sizes.cmpReps,
          capS: ctx.sizes.capS,
          dir: ctx.dir,
        }),
      })),
    ),
  ),
  ...ENGINES.flatMap((engine) =>
    STORAGE_SIZES.map((size): ScenarioDef => ({
      id: storageId(engine, size),
      engine,
      workload: 'storage',
      label: `${ENGINE_LABEL[engine]}, durable loop, ${size} run`,
      entry: WORKLOAD_ENTRY[engine],
      phase: 'setup',
      runner: 'plain',
      timeoutS: (ctx) => ctx.sizes.capS + 120,
      measure: (ctx, metrics) => {
        const file = measureEngineFile(join(ctx.dir, 'journal.db'));
        const steps = metrics.steps ?? NaN;
        return {
          fileBytes: file.fileBytes,
          fileBytesPerStep: file.fileBytes / steps,
          dataBytes: file.dataBytes,
          dataBytesPerStep: file.dataBytes / steps,
        };
      },
      args: (ctx) => ({
        mode: 'build',
        size:
          size === 'small'
            ? ctx.sizes.storageSmall
            : size === 'medium'
              ? ctx.sizes.storageMedium
              : ctx.sizes.storageLarge,
        capS: ctx.sizes.capS,
        runId: RUN_ID,
        dir: ctx.dir,
      }),
    })),
  ),
  ...ENGINES.map((engine): ScenarioDef => ({
    id: `${engine}/crash`,
    engine,
    workload: 'crash',
    label: `${ENGINE_LABEL[engine]}, durable loop SIGKILLed mid-run`,
    entry: WORKLOAD_ENTRY[engine],
    phase: 'setup',
    runner: 'plain',
    expectKill: true,
    timeoutS: (ctx) => ctx.sizes.capS + 120,
    args: (ctx) => ({
      mode: 'crash',
      size: ctx.sizes.crashSteps,
      killAt: ctx.sizes.crashKillAt,
      runId: RUN_ID,
      dir: ctx.dir,
    }),
  })),
  ...ENGINES.map((engine): ScenarioDef => ({
    id: `${engine}/resume`,
    engine,
    workload: 'resume-after-kill',
    label: `${ENGINE_LABEL[engine]}, resume of the killed run`,
    entry: WORKLOAD_ENTRY[engine],
    phase: 'round',
    runner: 'plain',
    timeoutS: (ctx) => ctx.sizes.capS + 120,
    // Resuming finishes the run, so each round resumes its own copy of the killed file.
    prepare: (ctx) => copyJournal(ctx.setupDir(`${engine}/crash`), ctx.dir),
    args: (ctx) => ({
      mode: 'resume',
      size: ctx.sizes.crashSteps,
      killAt: ctx.sizes.crashKillAt,
      capS: ctx.sizes.capS,
      runId: RUN_ID,
      dir: ctx.dir,
    }),
  })),
  ...ENGINES.map((engine): ScenarioDef => ({
    id: `${engine}/cold-start`,
    engine,
    workload: 'cold-start',
    label: `${ENGINE_LABEL[engine]}, fresh process: import + one-step run`,
    entry: COLD_ENTRY[engine],
    phase: 'round',
    runner: 'plain',
    args: () => ({}),
  })),
];

export const SCENARIOS: ScenarioDef[] = [...FLOOR_SCENARIOS, ...comparisonScenarios];

/** One round's metrics by scenario id. */
export type RoundView = (id: string, metric: string) => number;

export interface RatioDef {
  id: string;
  label: string;
  goal?: string;
  /** The comparison table the ratio belongs in (a workload); none: the issue #3 ratio table. */
  group?: string;
  value(round: RoundView): number;
}

const SQLITE = 'switchyard/chain-sqlite';
const MEMORY = 'switchyard/chain-memory';

const FLOOR_RATIOS: RatioDef[] = [
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

/**
 * A peer's per-step wall time in one round; a run that hit the cap counts as the cap over its
 * steps, so the ratio against it is an upper bound (the peer was at least that slow).
 */
function peerStepUs(m: RoundView, id: string): number {
  const us = m(id, 'stepUs');
  return Number.isFinite(us) ? us : m(id, 'stepUsAtLeast');
}

const comparisonRatios: RatioDef[] = [
  ...WORKLOADS.flatMap((workload) =>
    STORES.flatMap((store) =>
      PEERS.flatMap((peer): RatioDef[] => {
        const sy = cmpId('switchyard', workload, store);
        const other = cmpId(peer, workload, store);
        return [
          {
            id: `vs-${peer}-${workload}-${store}`,
            label: `Switchyard / ${ENGINE_LABEL[peer]}, ${workload}, ${store} (wall)`,
            goal: store === 'sqlite' ? '≤ 0.1' : '≤ 0.33',
            group: workload,
            value: (m) => m(sy, 'stepUs') / peerStepUs(m, other),
          },
          {
            id: `vs-${peer}-${workload}-${store}-cpu`,
            label: `Switchyard / ${ENGINE_LABEL[peer]}, ${workload}, ${store} (CPU)`,
            group: workload,
            value: (m) => m(sy, 'stepCpuUs') / m(other, 'stepCpuUs'),
          },
        ];
      }),
    ),
  ),
  ...PEERS.flatMap((peer): RatioDef[] => [
    {
      id: `vs-${peer}-resume`,
      label: `Switchyard / ${ENGINE_LABEL[peer]}, resume of the killed run to its first step`,
      group: 'resume-after-kill',
      value: (m) => m('switchyard/resume', 'resumeMs') / m(`${peer}/resume`, 'resumeMs'),
    },
    {
      id: `vs-${peer}-resume-total`,
      label: `Switchyard / ${ENGINE_LABEL[peer]}, resume of the killed run to its end`,
      group: 'resume-after-kill',
      value: (m) => m('switchyard/resume', 'totalMs') / m(`${peer}/resume`, 'totalMs'),
    },
    {
      id: `vs-${peer}-cold-start`,
      label: `Switchyard / ${ENGINE_LABEL[peer]}, cold start (process start to one step done)`,
      group: 'cold-start',
      value: (m) => m('switchyard/cold-start', 'totalMs') / m(`${peer}/cold-start`, 'totalMs'),
    },
  ]),
];

export const RATIOS: RatioDef[] = [...FLOOR_RATIOS, ...comparisonRatios];

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

/**
 * Issue #4's storage goal reads every engine's file the same way (the bytes of every stored value,
 * keys and hashes included), so the decimal digits of growing counters stay in: a few bytes per step
 * more at 100k steps than at 1k.
 */
export const STORAGE_TOLERANCE = 0.05;

const FLOOR_GOALS: GoalDef[] = [
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

/** How a peer's cell reads in a goal's note: its ratio, or that it did not finish. */
function peerNote(r: GoalInputs, peer: Peer, workload: Workload, store: Store): string {
  const id = cmpId(peer, workload, store);
  const dnf = r.metric(id, 'dnf').n > 0;
  const cpu = r.ratio(`vs-${peer}-${workload}-${store}-cpu`).median;
  const ratio = r.ratio(`vs-${peer}-${workload}-${store}`);
  const spread =
    ratio.n > 1 ? ` (${ratio.min.toFixed(3)}–${ratio.max.toFixed(3)} over rounds)` : '';
  return dnf
    ? `${ENGINE_LABEL[peer]} did not finish in ${r.metric(id, 'capS').median} s: ratio at most this`
    : `wall, median of per-round ratios${spread}; CPU ${cpu.toFixed(3)}`;
}

const comparisonGoals: GoalDef[] = [
  ...PEERS.flatMap((peer) =>
    WORKLOADS.map((workload): GoalDef => ({
      id: `durable-vs-${peer}-${workload}`,
      goal: `durable per step ≤ 1/10 of ${ENGINE_LABEL[peer]}'s durable: ${workload}`,
      target: '≤ 0.1',
      unit: '×',
      evaluate: (r) => {
        const value = r.ratio(`vs-${peer}-${workload}-sqlite`).median;
        return { value, met: value <= 0.1, note: peerNote(r, peer, workload, 'sqlite') };
      },
    })),
  ),
  ...PEERS.flatMap((peer) =>
    WORKLOADS.map((workload): GoalDef => ({
      id: `memory-vs-${peer}-${workload}`,
      goal: `in-memory per step ≤ 1/3 of ${ENGINE_LABEL[peer]} without persistence: ${workload}`,
      target: '≤ 0.333',
      unit: '×',
      evaluate: (r) => {
        const value = r.ratio(`vs-${peer}-${workload}-memory`).median;
        return { value, met: value <= 1 / 3, note: peerNote(r, peer, workload, 'memory') };
      },
    })),
  ),
  {
    id: 'storage-per-step-constant',
    goal: 'stored bytes per step constant from the small to the large durable run (all engines’ files read alike)',
    target: `within ${STORAGE_TOLERANCE * 100}%`,
    unit: '× (large / small)',
    evaluate: (r) => {
      const perStep = (engine: Engine, size: (typeof STORAGE_SIZES)[number]): number => {
        const id = storageId(engine, size);
        return r.metric(id, 'dnf').n > 0 ? NaN : r.metric(id, 'dataBytesPerStep').median;
      };
      const value = perStep('switchyard', 'large') / perStep('switchyard', 'small');
      const row = (engine: Engine): string =>
        `${ENGINE_LABEL[engine]} ` +
        STORAGE_SIZES.map((size) => {
          const v = perStep(engine, size);
          return Number.isFinite(v) ? v.toFixed(1) : 'DNF';
        }).join(' → ');
      return {
        value,
        met: Math.abs(value - 1) <= STORAGE_TOLERANCE,
        note: `B/step small → medium → large: ${ENGINES.map(row).join('; ')}`,
      };
    },
  },
  ...PEERS.map((peer): GoalDef => ({
    id: `rss-vs-${peer}`,
    goal: `peak RSS below ${ENGINE_LABEL[peer]}'s on every workload (chain, loop, fan-out × memory, SQLite)`,
    target: '< 1',
    unit: '× (worst cell)',
    evaluate: (r) => {
      const cells = WORKLOADS.flatMap((workload) =>
        STORES.map((store) => {
          const rss = (engine: Engine): number =>
            r.metric(cmpId(engine, workload, store), 'maxRssMb').max;
          return { cell: `${workload}/${store}`, ratio: rss('switchyard') / rss(peer) };
        }),
      );
      const value = Math.max(...cells.map((c) => c.ratio));
      const over = cells.filter((c) => !(c.ratio < 1)).map((c) => c.cell);
      return {
        value,
        met: value < 1,
        note: over.length === 0 ? 'below on all 6 cells' : `not below on ${over.join(', ')}`,
      };
    },
  })),
];

export const GOALS: GoalDef[] = [...FLOOR_GOALS, ...comparisonGoals];

export type { Metrics };
