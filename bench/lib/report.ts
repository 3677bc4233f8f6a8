// Turns results into tables, printed as aligned text (terminal) or Markdown (BENCHMARKS.md). One
// table model for both, so the committed table is exactly what a run prints.
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
        'events per step; (c) writes 1 run-row UPDATE + the events of one mid-chain step.',
      `One setImmediate hop (every SQLite append waits one): ` +
        `${fmt(m('floor/await', 'immediateHopUs')?.median ?? NaN, 2)} µs.`,
    ],
  });

  tables.push({
    title: `Ratios (taken within each round, then median (min–max) over ${rounds})`,
    columns: ['ratio', 'value', 'goal'],
    rows: r.ratios.map((ratio) => [ratio.label, spread(ratio.summary, 2), ratio.goal ?? '']),
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
    ],
  });

  const phases = 'switchyard/resume-phases';
  tables.push({
    title: 'Resume of the finished run, phase by phase (ms, fresh process)',
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
