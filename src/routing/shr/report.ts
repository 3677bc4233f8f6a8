import { SYSTEMS, type ShrReport, type SystemName } from './bench.js';

/**
 * The `--json` body: exactly one object, one entry per system. `reroutes` is null for the
 * baselines (they have no reroute; the paper prints "—"). `degraded` appears only in the
 * runtime-failures mode, where it is part of the score.
 */
export function shrJson(report: ShrReport): Record<SystemName, ShrJsonEntry> {
  const entry = (system: SystemName): ShrJsonEntry => {
    const { correct, degraded, llmCalls, reroutes, silentFailures } = report.totals[system];
    return report.mode === 'paper'
      ? { correct, llmCalls, reroutes, silentFailures }
      : { correct, degraded, llmCalls, reroutes, silentFailures };
  };
  return { switchyard: entry('switchyard'), react: entry('react'), static: entry('static') };
}

export interface ShrJsonEntry {
  correct: number;
  degraded?: number;
  llmCalls: number;
  reroutes: number | null;
  silentFailures: number;
}

const LABELS: Record<SystemName, string> = {
  switchyard: 'Switchyard',
  react: 'ReAct',
  static: 'static fallback',
};

/** The per-scenario table and the aggregate, as plain text (Markdown-compatible tables). */
export function renderShrReport(report: ShrReport): string {
  const title =
    report.mode === 'paper'
      ? 'SHR bench, paper mode: failed tools are known down before the run and fail when called'
      : 'SHR bench, runtime-failures mode: health starts empty; failures show only when called';
  const scenarioRows = report.scenarios.map(({ scenario, systems }) => {
    const { switchyard: sy, react, static: fixed } = systems;
    return [
      scenario.id,
      scenario.domain.topology,
      scenario.failed.join(', ') || '—',
      sy.outcome,
      String(sy.llmCalls),
      String(sy.reroutes ?? '—'),
      String(sy.silentFailures),
      sy.path.join(' → ') || '—',
      react.outcome,
      String(react.llmCalls),
      fixed.outcome,
    ];
  });
  const perScenario = table(
    [
      'id',
      'topology',
      'failed tools',
      'Switchyard',
      'LLM',
      'reroutes',
      'silent',
      'path taken',
      'ReAct',
      'LLM',
      'static',
    ],
    scenarioRows,
    [4, 5, 6, 9],
  );
  const totalRows = SYSTEMS.map((system) => {
    const t = report.totals[system];
    const row = [
      LABELS[system],
      `${t.correct}/${report.scenarios.length}`,
      ...(report.mode === 'paper' ? [] : [String(t.degraded)]),
      String(t.llmCalls),
      t.reroutes === null ? '—' : String(t.reroutes),
      String(t.silentFailures),
    ];
    return row;
  });
  const totals = table(
    [
      'system',
      'correct',
      ...(report.mode === 'paper' ? [] : ['degraded']),
      'LLM calls',
      'reroutes',
      'silent failures',
    ],
    totalRows,
    report.mode === 'paper' ? [1, 2, 3, 4] : [1, 2, 3, 4, 5],
  );
  return `${title}\n\n${perScenario}\n\n${totals}`;
}

/** A Markdown table with padded columns; `numeric` columns are right-aligned. */
function table(header: string[], rows: string[][], numeric: number[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const cell = (text: string, i: number) =>
    numeric.includes(i) ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0);
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (numeric.includes(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
