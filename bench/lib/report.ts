// Turns results into tables, printed as aligned text (terminal) or Markdown (BENCHMARKS.md). One
// table model for both, so the committed table is exactly what a run prints.
import {
  ENGINE_LABEL,
  ENGINES,
  PEERS,
  STORAGE_SIZES,
  STORE_LABEL,
  STORES,
  WORKLOADS,
  cmpId,
  storageId,
  workloadTitle,
  type Engine,
} from '../suite.js';
import type { BenchResults, ScenarioRecord, Summary } from './results.js';

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  notes?: string[];
}

function fmt(value: number, digits?: number): string {
  if (!Number.isFinite(value)) return '–';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function spread(s: Summary | undefined, digits?: number): string {
  if (!s || s.n === 0) return '–';
  if (s.n === 1) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

function rss(record: ScenarioRecord | undefined): string {
  const s = record?.summary.maxRssMb;
  return s ? fmt(s.max, 0) : '–';
}

const SQLITE = 'switchyard/chain-sqlite';

export function buildTables(r: BenchResults): Table[] {
  const sc = (id: string): ScenarioRecord | undefined => r.scenarios[id];
  const m = (id: string, metric: string): Summary | undefined => sc(id)?.summary[metric];
  const tables: Table[] = [];
  const n = r.sizes.chainSteps ?? 0;
  const rounds = `${r.rounds} round${r.rounds === 1 ? '' : 's'}`;

  const stepRows = Object.values(r.scenarios)
    .filter((s) => s.workload === 'step')
    .map((s) => [s.label, spread(s.summary.stepUs, 3), spread(s.summary.stepCpuUs, 3), rss(s)]);
  tables.push({
    title: `Cost per step: ${n}-step no-op chain vs floors (µs; median (min–max) over ${rounds})`,
    columns: ['what', 'µs per step (wall)', 'µs per step (CPU)', 'peak RSS MB'],
    rows: stepRows,
    notes: [
      'Chains: runtime.start() wall time / steps, run start and end included; median of ' +
        `${r.sizes.chainReps ?? '?'} runs after ${r.sizes.chainWarmup ?? '?'} warm-up runs ` +
        'in each child.',
      `SQLite chain: ${fmt(m(SQLITE, 'transactionsPerStep')?.median ?? NaN, 3)} ` +
        `transactions and ${fmt(m(SQLITE, 'eventsPerStep')?.median ?? NaN, 2)} ` +
        "events per step; (b) inserts a row the size of a mid-chain step's batch into a plain " +
        "rowid table; (c) reads the run's head and inserts that batch into the store's own tables.",
      `One setImmediate hop (every SQLite append waits one): ` +
        `${fmt(m('floor/await', 'immediateHopUs')?.median ?? NaN, 2)} µs.`,
    ],
  });

  tables.push({
    title: `Ratios (taken within each round, then median (min–max) over ${rounds})`,
    columns: ['ratio', 'value', 'goal'],
    rows: r.ratios
      .filter((ratio) => ratio.group === undefined)
      .map((ratio) => [ratio.label, spread(ratio.summary, 2), ratio.goal ?? '']),
  });

  const sizeRow = (id: string, label: string): string[] => [
    label,
    fmt(m(id, 'eventsPerStep')?.median ?? NaN, 2),
    fmt(m(id, 'journalBytesPerStep')?.median ?? NaN, 1),
    fmt(m(id, 'stepBytesPerStep')?.median ?? NaN, 1),
    fmt(m(id, 'stepBytesPerStepWithoutDigits')?.median ?? NaN, 1),
    fmt(m(id, 'fileBytesPerStep')?.median ?? NaN, 1),
    fmt(m(id, 'buildUsPerStep')?.median ?? NaN, 1),
    rss(sc(id)),
  ];
  tables.push({
    title: 'Journal size, loop workload on SQLite (bytes per step)',
    columns: [
      'journal',
      'events/step',
      'journal B/step',
      'step events B/step',
      'same, digits out',
      'file B/step',
      'build µs/step',
      'peak RSS MB',
    ],
    rows: [
      sizeRow('switchyard/build-small', `${r.sizes.smallSteps ?? '?'} steps`),
      sizeRow('switchyard/build-large', `${r.sizes.largeSteps ?? '?'} steps`),
    ],
    notes: [
      'journal B/step: UTF-8 bytes of every event body of the run plus every blob, from the ' +
        "file's tables, over steps (run-start and run-end included).",
      'step events B/step: only the events whose path is inside the loop (the steps themselves);' +
        ' digits out: less the decimal digits of their seq and of the iteration in their path.',
      'file B/step: database file size after a TRUNCATE checkpoint, over steps (includes the ' +
        'hash and key columns, b-tree pages and free space).',
    ],
  });

  const resumeRow = (id: string, label: string): string[] => [
    label,
    fmt(m(id, 'replayedEvents')?.median ?? NaN, 0),
    spread(m(id, 'resumeMs'), 0),
    spread(m(id, 'resumeCpuMs'), 0),
    spread(m(id, 'totalMs'), 0),
    fmt(m(id, 'openMs')?.median ?? NaN, 1),
    rss(sc(id)),
  ];
  tables.push({
    title: `Resume in a fresh process (ms; median (min–max) over ${rounds})`,
    columns: [
      'journal',
      'events replayed',
      'resume ms',
      'resume CPU ms',
      'until finished ms',
      'open ms',
      'peak RSS MB',
    ],
    rows: [
      resumeRow('switchyard/resume-finished', `${r.sizes.largeSteps ?? '?'} steps, finished`),
      resumeRow(
        'switchyard/resume-killed',
        `${r.sizes.largeSteps ?? '?'} steps, SIGKILLed after ${r.sizes.killAtStep ?? '?'}`,
      ),
    ],
    notes: [
      'resume ms: from before opening the store to Runtime.resume() returning (finished run), or ' +
        'to the first new append (killed run: the interrupted call re-issued and its result).',
      "events replayed: the events after the run's last checkpoint, which resume restores " +
        'instead of replaying from seq 0.',
    ],
  });

  const phases = 'switchyard/resume-phases';
  tables.push({
    title:
      'Full verification of the finished run (replay --verify: every event from seq 0), ' +
      'phase by phase (ms, fresh process)',
    columns: ['open', 'read rows (cold)', 'loadJournal', 'replayJournal', 'events', 'peak RSS MB'],
    rows: [
      [
        spread(m(phases, 'openMs'), 1),
        spread(m(phases, 'readMs'), 0),
        spread(m(phases, 'loadMs'), 0),
        spread(m(phases, 'replayMs'), 0),
        fmt(m(phases, 'events')?.median ?? NaN, 0),
        rss(sc(phases)),
      ],
    ],
    notes: ['loadJournal reads the rows again (warm), checks the hash chain and parses each body.'],
  });

  if (Object.values(r.scenarios).some((s) => COMPARISON_WORKLOADS.has(s.workload)))
    tables.push(...comparisonTables(r));

  tables.push({
    title: 'Goals',
    columns: ['goal', 'value', 'target', 'met', 'note'],
    rows: r.goals.map((g) => [
      g.goal,
      `${fmt(g.value, g.unit === 'ms' ? 0 : 2)} ${g.unit}`,
      g.target,
      g.met === null ? 'n/a' : g.met ? 'yes' : 'NO',
      g.note,
    ]),
  });

  tables.push({
    title: 'Peak RSS of each child (MB, max over rounds)',
    columns: ['child', 'engine', 'peak RSS MB'],
    rows: Object.values(r.scenarios).map((s) => [s.id, s.engine, rss(s)]),
  });
  return tables;
}

export function renderText(tables: Table[]): string {
  const out: string[] = [];
  for (const table of tables) {
    const widths = table.columns.map((c, i) =>
      Math.max(c.length, ...table.rows.map((row) => (row[i] ?? '').length)),
    );
    const line = (cells: string[]): string =>
      cells
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
    out.push('', table.title, line(table.columns));
    out.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of table.rows) out.push(line(row));
    for (const note of table.notes ?? []) out.push(`  · ${note}`);
  }
  return out.join('\n') + '\n';
}

export function renderMarkdown(tables: Table[]): string {
  const out: string[] = [];
  const esc = (cell: string): string => cell.replace(/\|/g, '\\|');
  for (const table of tables) {
    out.push(`### ${table.title}`, '');
    out.push(`| ${table.columns.map(esc).join(' | ')} |`);
    out.push(`|${table.columns.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const row of table.rows) out.push(`| ${row.map(esc).join(' | ')} |`);
    if (table.notes?.length) out.push('', ...table.notes.map((note) => `- ${note}`));
    out.push('');
  }
  return out.join('\n');
}

/** The workloads of issue #4's scenarios (bench/suite.ts). */
const COMPARISON_WORKLOADS = new Set<string>([
  ...WORKLOADS,
  'storage',
  'crash',
  'resume-after-kill',
  'cold-start',
]);

/** The size of a workload's warm-up runs ("of 1,000 steps"), from the results' sizes. */
function warmupText(sizes: Record<string, number>, workload: string): string {
  const [warm, unit] =
    workload === 'chain'
      ? [sizes.cmpChainWarmupSteps, 'steps']
      : workload === 'loop'
        ? [sizes.cmpLoopWarmupSteps, 'iterations']
        : [sizes.cmpFanoutWarmupRounds, 'rounds'];
  return warm === undefined ? '' : ` of ${fmt(warm, 0)} ${unit}`;
}

/** A scenario that hit its cap reads as that, with how far it got. */
function dnfText(record: ScenarioRecord | undefined): string | undefined {
  const round = record?.rounds.find((x) => x.metrics.dnf === 1);
  if (!round) return undefined;
  const m = round.metrics;
  const done = fmt(m.stepsDone ?? NaN, 0);
  return `did not finish in ${String(m.capS)} s (${done} of ${fmt(m.steps ?? NaN, 0)} steps done)`;
}

/** Issue #4: Switchyard against LangGraph.js and Mastra, one table per workload, then the rest. */
function comparisonTables(r: BenchResults): Table[] {
  const sc = (id: string): ScenarioRecord | undefined => r.scenarios[id];
  const m = (id: string, metric: string): Summary | undefined => sc(id)?.summary[metric];
  const ratio = (id: string): Summary | undefined => r.ratios.find((x) => x.id === id)?.summary;
  const rounds = `${r.rounds} round${r.rounds === 1 ? '' : 's'}`;
  const tables: Table[] = [];
  const floors =
    `Floors in the same run: (a) one awaited no-op ${fmt(m('floor/await', 'stepUs')?.median ?? NaN, 3)} µs; ` +
    `(b) one single-row SQLite INSERT transaction ${fmt(m('floor/sqlite-insert', 'stepUs')?.median ?? NaN, 1)} µs; ` +
    `(c) the raw transaction of one Switchyard step's rows ${fmt(m('floor/sqlite-step', 'stepUs')?.median ?? NaN, 1)} µs.`;

  for (const workload of WORKLOADS) {
    const rows: string[][] = [];
    for (const store of STORES)
      for (const engine of ENGINES) {
        const id = cmpId(engine, workload, store);
        const rec = sc(id);
        const peer = engine !== 'switchyard';
        const vs = (suffix: string): string =>
          peer ? spread(ratio(`vs-${engine}-${workload}-${store}${suffix}`), 3) : '';
        const dnf = dnfText(rec);
        rows.push([
          `${ENGINE_LABEL[engine]}, ${STORE_LABEL[engine][store]}`,
          dnf ?? spread(m(id, 'stepUs'), 1),
          dnf ? '–' : spread(m(id, 'stepCpuUs'), 1),
          vs(''),
          vs('-cpu'),
          peer ? (store === 'sqlite' ? '≤ 0.1' : '≤ 0.33') : '',
          rss(rec),
          store === 'sqlite' ? fmt(m(id, 'fileBytesPerStep')?.median ?? NaN, 0) : '',
        ]);
      }
    const steps = m(cmpId('switchyard', workload, 'memory'), 'steps')?.median ?? NaN;
    tables.push({
      title:
        `Issue #4, ${workloadTitle(r.sizes, workload)} (${fmt(steps, 0)} steps): ` +
        `µs per step, median (min–max) over ${rounds}`,
      columns: [
        'engine, store',
        'µs/step (wall)',
        'µs/step (CPU)',
        'Switchyard / this (wall)',
        'Switchyard / this (CPU)',
        'goal',
        'peak RSS MB',
        'file B/step',
      ],
      rows,
      notes: [
        'µs/step: wall (CPU) time of one whole run over its steps, run start and end included; ' +
          `each child does ${r.sizes.cmpWarmup ?? '?'} warm-up run(s)${warmupText(r.sizes, workload)}, then ` +
          `${r.sizes.cmpReps ?? '?'} timed run(s) on a fresh store each, and reports the median.`,
        'Switchyard / this: taken within each round, then median (min–max) over rounds; ' +
          'below 1 Switchyard is faster.',
        "file B/step: the last timed run's SQLite file after a TRUNCATE checkpoint, over its steps.",
        floors,
      ],
    });
  }

  const storageRows: string[][] = [];
  for (const engine of ENGINES)
    for (const size of STORAGE_SIZES) {
      const id = storageId(engine, size);
      const rec = sc(id);
      const dnf = dnfText(rec);
      const round = rec?.rounds[0]?.metrics;
      storageRows.push([
        ENGINE_LABEL[engine],
        fmt(round?.steps ?? NaN, 0),
        dnf ?? fmt(round?.fileBytesPerStep ?? NaN, 1),
        dnf ? '–' : fmt(round?.dataBytesPerStep ?? NaN, 1),
        dnf ? '–' : fmt((round?.fileBytes ?? NaN) / 2 ** 20, 2),
        dnf ? '–' : fmt(round?.buildUsPerStep ?? NaN, 1),
        rss(rec),
      ]);
    }
  tables.push({
    title: 'Issue #4, storage after one durable loop run (bytes per step as the run grows)',
    columns: [
      'engine',
      'steps',
      'file B/step',
      'stored B/step',
      'file MB',
      'µs/step',
      'peak RSS MB',
    ],
    rows: storageRows,
    notes: [
      "The loop workload on each engine's SQLite store, one run per size, in a setup child.",
      'file B/step: the database file after a TRUNCATE checkpoint (WAL folded in), over steps; ' +
        "includes each engine's empty tables and indexes, b-tree pages and free space.",
      'stored B/step: bytes of every value in every table (TEXT as UTF-8, BLOBs as stored), over ' +
        'steps: what the engine chose to keep. Switchyard keeps every event of the run (its ' +
        'journal), LangGraph every checkpoint and pending write, Mastra one snapshot per run, ' +
        'overwritten as the run goes.',
    ],
  });

  const crashRows = ENGINES.map((engine) => {
    const id = `${engine}/resume`;
    const rec = sc(id);
    const killed = sc(`${engine}/crash`)?.rounds[0]?.metrics.killedAtStep ?? NaN;
    return [
      ENGINE_LABEL[engine],
      fmt(killed + 1, 0),
      spread(m(id, 'resumeMs'), 1),
      spread(m(id, 'totalMs'), 0),
      fmt(m(id, 'stepsRun')?.median ?? NaN, 0),
      fmt(m(id, 'stepsRerun')?.median ?? NaN, 0),
      fmt(m(id, 'finalN')?.median ?? NaN, 0),
      engine === 'switchyard' ? '' : spread(ratio(`vs-${engine}-resume`), 2),
      rss(rec),
    ];
  });
  tables.push({
    title:
      `Issue #4, crash and resume: a ${fmt(r.sizes.crashSteps ?? NaN, 0)}-step durable loop ` +
      `SIGKILLed inside step ${fmt((r.sizes.crashKillAt ?? NaN) + 1, 0)}, resumed in a fresh process ` +
      `(ms; median (min–max) over ${rounds})`,
    columns: [
      'engine',
      'killed in step',
      'to first step ms',
      'to the end ms',
      'steps run',
      'finished steps re-run',
      'final n',
      'Switchyard / this',
      'peak RSS MB',
    ],
    rows: crashRows,
    notes: [
      "Each engine's documented resume path: Switchyard Runtime.resume(runId); LangGraph " +
        "invoke(null) on the same thread_id (continues from the thread's last checkpoint); Mastra " +
        'Run.restart() on the same runId (continues "from the last active step"). See ' +
        'bench/README.md for what each does and the documentation it follows.',
      'to first step: from before opening the store to the first step executing in the new ' +
        'process (the interrupted one, run again). steps run: executions in the new process; ' +
        'finished steps re-run: those of them that had finished before the kill; final n: the ' +
        "counter every step increments, which must come out equal to the run's length.",
    ],
  });

  tables.push({
    title: `Issue #4, cold start: a fresh process imports the engine and runs a one-step workflow (ms; median (min–max) over ${rounds})`,
    columns: [
      'engine',
      'Node boot ms',
      'import ms',
      'one-step run ms',
      'process start to done ms',
      'Switchyard / this',
      'peak RSS MB',
    ],
    rows: ENGINES.map((engine: Engine) => {
      const id = `${engine}/cold-start`;
      return [
        ENGINE_LABEL[engine],
        spread(m(id, 'bootMs'), 0),
        spread(m(id, 'importMs'), 0),
        spread(m(id, 'runMs'), 1),
        spread(m(id, 'totalMs'), 0),
        engine === 'switchyard' ? '' : spread(ratio(`vs-${engine}-cold-start`), 2),
        rss(sc(id)),
      ];
    }),
    notes: [
      'Plain `node` (no tsx), no storage; times from process start (performance.now()). ' +
        'Switchyard is the working tree compiled by tsc (or dist/ with --dist).',
    ],
  });

  tables.push({
    title: 'Issue #4, peak RSS per workload (MB, max over rounds)',
    columns: [
      'workload, store',
      ...ENGINES.map((e) => ENGINE_LABEL[e]),
      ...PEERS.map((p) => `Switchyard / ${ENGINE_LABEL[p]}`),
    ],
    rows: WORKLOADS.flatMap((workload) =>
      STORES.map((store) => {
        const peak = (engine: Engine): number =>
          m(cmpId(engine, workload, store), 'maxRssMb')?.max ?? NaN;
        return [
          `${workload}, ${store}`,
          ...ENGINES.map((e) => fmt(peak(e), 0)),
          ...PEERS.map((p) => fmt(peak('switchyard') / peak(p), 2)),
        ];
      }),
    ),
  });
  return tables;
}
