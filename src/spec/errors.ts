import { SwitchyardError } from '../core/errors.js';
import type { SpecIssue } from '../graph/issues.js';

export { SPEC_ISSUE_CODES, type SpecIssue, type SpecIssueCode } from '../graph/issues.js';

/** A spec that cannot run. Every problem found is in `issues`; the message shows the first. */
export class SpecValidationError extends SwitchyardError {
  readonly issues: SpecIssue[];

  constructor(issues: SpecIssue[]) {
    const first = issues[0];
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    const summary = first ? `; first: [${first.code}] ${formatSpecIssue(first)}` : '';
    super('SPEC_INVALID', `workflow spec has ${count}${summary}`, {
      hint: first?.hint ?? 'fix every problem listed in `issues`, then load the spec again',
      ...(first?.path === undefined ? {} : { path: first.path }),
      ...(first && 'value' in first ? { value: first.value } : {}),
      ...(first?.file === undefined ? {} : { file: first.file }),
      ...(first?.line === undefined ? {} : { line: first.line }),
      ...(first?.column === undefined ? {} : { column: first.column }),
    });
    this.issues = issues;
  }
}

/**
 * `file:line:col: steps[2].tool: message (found X, expected Y)`, one line, as the CLI prints it.
 */
export function formatSpecIssue(issue: SpecIssue): string {
  let location = '';
  if (issue.file !== undefined) {
    location = issue.file;
    if (issue.line !== undefined) location += `:${issue.line}:${issue.column ?? 1}`;
    location += ': ';
  }
  const path = issue.path === '' ? '' : `${issue.path}: `;
  const details: string[] = [];
  if ('value' in issue && issue.value !== undefined)
    details.push(`found ${describeValue(issue.value)}`);
  if (issue.expected !== undefined) details.push(`expected ${issue.expected}`);
  const suffix = details.length === 0 ? '' : ` (${details.join(', ')})`;
  return `${location}${path}${issue.message}${suffix}`;
}

const MAX_VALUE_CHARS = 60;

/**
 * A short rendering of the offending value; long values are cut, since the path says where it is.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || value === undefined) return String(value);
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: string } }).constructor?.name;
      return `a ${name ?? 'non-plain'} object`;
    }
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'a value that cannot be shown (it contains a cycle)';
  }
  text = text.replace(/\s+/g, ' ');
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}
