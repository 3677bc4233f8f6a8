import type { JsonValue } from '../core/json.js';
import type { RunOutcome } from '../runtime/driver.js';
import type { RouteRow, RunView, VoteRow } from '../runtime/run-view.js';
import type { VerifyReport } from '../runtime/runtime.js';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) =>
  useColor ? `\u001b[${code}m${text}\u001b[0m` : text;
export const bold = paint(1);
export const dim = paint(2);
export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);

export function statusColor(status: string): string {
  if (status === 'completed') return green(status);
  if (status === 'failed' || status === 'cancelled') return red(status);
  if (status === 'waiting' || status === 'outcome-unknown' || status === 'running')
    return yellow(status);
  return status;
}

function json(value: JsonValue | undefined): string {
  return JSON.stringify(value ?? null, null, 2);
}

export function renderOutcome(outcome: RunOutcome, view: RunView): string {
  const lines = [`${bold('run')} ${outcome.runId}  ${statusColor(outcome.status)}`];
  lines.push(renderSummary(view));
  if (outcome.status === 'completed') lines.push(`${bold('output')}\n${json(outcome.output)}`);
  if (outcome.error) lines.push(`${red('error')} ${outcome.error.type}: ${outcome.error.message}`);
  for (const item of outcome.pending) lines.push(renderPending(outcome.runId, item));
  return lines.join('\n');
}

export function renderPending(rootRunId: string, item: RunOutcome['pending'][number]): string {
  if (item.kind === 'approval') {
    return [
      `${yellow('waiting for approval')} at ${item.path}: ${item.message}`,
      `  approve: switchyard approve ${rootRunId} ${item.path}`,
      `  reject:  switchyard approve ${rootRunId} ${item.path} --reject`,
    ].join('\n');
  }
  return [
    `${yellow('outcome unknown')} at ${item.path}: ${item.message}`,
    `  the process stopped while this unsafe call was in flight; check the system it acts on, then:`,
    `  it happened:     switchyard resolve ${rootRunId} ${item.path} --complete [--value JSON]`,
    `  it did not:      switchyard resolve ${rootRunId} ${item.path} --retry`,
    `  give up:         switchyard resolve ${rootRunId} ${item.path} --fail`,
  ].join('\n');
}

export function renderSummary(view: RunView): string {
  const counts = new Map<string, number>();
  for (const step of view.steps) counts.set(step.status, (counts.get(step.status) ?? 0) + 1);
  const steps = [...counts.entries()].map(([status, n]) => `${n} ${status}`).join(', ');
  const duration = view.endedAt === undefined ? '' : ` in ${view.endedAt - view.startedAt} ms`;
  const cost = view.costUsd > 0 ? `, $${view.costUsd.toPrecision(3)}` : '';
  const models = view.modelCalls
    ? `, ${view.modelCalls} model calls${view.simulatedModelCalls ? ` (${view.simulatedModelCalls} simulated)` : ''}${cost}`
    : '';
  return dim(
    `journal: ${view.events} events, steps: ${steps || 'none'}, ${view.toolCalls} tool calls${models}, ${view.retries} retries${duration}`,
  );
}

export function renderRunView(view: RunView): string {
  const lines = [
    `${bold('run')} ${view.run.runId}  ${statusColor(view.run.status)}`,
    `workflow ${view.run.workflow}  spec ${view.run.specHash.slice(0, 12)}${view.run.parentRunId ? `  parent ${view.run.parentRunId}` : ''}`,
    renderSummary(view),
    '',
  ];
  const width = Math.min(60, Math.max(4, ...view.steps.map((s) => s.path.length)));
  lines.push(
    dim(`${'STEP'.padEnd(width)}  ${'KIND'.padEnd(8)}  ${'STATUS'.padEnd(15)}  TRIES  TIME(ms)`),
  );
  for (const step of view.steps) {
    const time = step.durationMs === undefined ? '-' : String(step.durationMs);
    lines.push(
      `${step.path.padEnd(width)}  ${step.kind.padEnd(8)}  ${statusColor(step.status.padEnd(15))}  ${String(step.attempts || '-').padStart(5)}  ${time.padStart(8)}` +
        (step.error ? `\n${' '.repeat(width + 2)}${red(step.error)}` : ''),
    );
  }
  for (const route of view.routes) lines.push('', renderRoute(route));
  if (view.votes.length > 0) lines.push('', renderVotes(view.votes));
  if (view.output !== undefined) lines.push('', bold('output'), json(view.output));
  if (view.error) lines.push('', `${red('error')} ${view.error.type}: ${view.error.message}`);
  for (const item of view.pending)
    lines.push('', renderPending(view.run.runId, { ...item, runId: view.run.runId }));
  return lines.join('\n');
}

const arrow = (nodes: readonly string[]): string => (nodes.length ? nodes.join(' → ') : '-');

/** A route step: the path planned, the path taken, every reroute and every escalation. */
export function renderRoute(route: RouteRow): string {
  const status =
    route.status === 'reached'
      ? green(route.status)
      : route.status === 'running'
        ? yellow(route.status)
        : red(route.status);
  const lines = [
    `${bold('route')} ${route.path}  ${status}`,
    `  planned  ${arrow(route.planned)}`,
    `  taken    ${arrow(route.taken)}${route.replans ? dim(`  (${route.replans} re-plan${route.replans === 1 ? '' : 's'})`) : ''}`,
  ];
  for (const r of route.reroutes) {
    const why = r.cause === 'tool-down' ? 'breaker open, not called' : `failed: ${r.message ?? ''}`;
    lines.push(
      `  ${yellow('reroute')}  ${r.node}${r.tool === r.node ? '' : ` (${r.tool})`}: ${why}`,
    );
  }
  for (const e of route.escalations) {
    const where = e.from === null ? 'before the start' : `at ${e.from}`;
    const failed = e.failed === null ? '' : ` after ${e.failed} failed`;
    lines.push(
      `  ${red(e.reason === 'preflight' ? 'consult ' : 'escalate')} ${e.reason} ${where}${failed}` +
        ` → ${e.answer ?? 'waiting for the model'}`,
    );
  }
  return lines.join('\n');
}

/**
 * Vote steps: a summary line (samples per step, flags by reason, exhausted votes), then one line
 * per step — its samples, flagged ones by reason, candidates, and the winner's votes and lead.
 */
export function renderVotes(votes: readonly VoteRow[]): string {
  let samples = 0;
  let decided = 0;
  let exhausted = 0;
  const flagged = { 'too-long': 0, unparseable: 0, rejected: 0 };
  for (const vote of votes) {
    samples += vote.samples;
    if (vote.status === 'decided') decided += 1;
    if (vote.status === 'exhausted') exhausted += 1;
    flagged['too-long'] += vote.flagged['too-long'];
    flagged.unparseable += vote.flagged.unparseable;
    flagged.rejected += vote.flagged.rejected;
  }
  const flags = (counts: VoteRow['flagged']): string =>
    `${counts['too-long']}/${counts.unparseable}/${counts.rejected}`;
  const lines = [
    `${bold('votes')} ${votes.length} step${votes.length === 1 ? '' : 's'}: ${decided} decided` +
      (exhausted ? `, ${red(`${exhausted} exhausted`)}` : '') +
      `, ${samples} samples (${(samples / votes.length).toFixed(2)} per step)` +
      `, flagged too-long/unparseable/rejected ${flags(flagged)}`,
  ];
  const width = Math.min(60, Math.max(4, ...votes.map((v) => v.path.length)));
  lines.push(
    dim(`${'STEP'.padEnd(width)}  STATUS     SAMPLES  FLAGGED(L/P/R)  ANSWERS  VOTES  LEAD`),
  );
  for (const vote of votes) {
    const status =
      vote.status === 'decided'
        ? green(vote.status.padEnd(9))
        : vote.status === 'exhausted'
          ? red(vote.status.padEnd(9))
          : yellow(vote.status.padEnd(9));
    lines.push(
      `${vote.path.padEnd(width)}  ${status}  ${String(vote.samples).padStart(7)}  ${flags(vote.flagged).padStart(14)}` +
        `  ${String(vote.candidates).padStart(7)}  ${String(vote.votes ?? '-').padStart(5)}  ${String(vote.lead ?? '-').padStart(4)}`,
    );
  }
  return lines.join('\n');
}

export function renderVerify(report: VerifyReport, indent = ''): string {
  const head = report.ok
    ? `${indent}${green('ok')} ${report.runId}: hash chain intact, ${report.decisionsChecked} decisions re-derived from ${report.events} events`
    : `${indent}${red('FAILED')} ${report.runId}: ${report.error ? `error[${report.error.code}]: ${report.error.message}` : 'a sub-workflow run failed verification'}`;
  return [head, ...report.children.map((child) => renderVerify(child, `${indent}  `))].join('\n');
}
