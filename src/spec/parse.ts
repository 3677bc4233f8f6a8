import { hashJson } from '../core/hash.js';
import type { JsonValue } from '../core/json.js';
import { WorkflowSchema, type WorkflowSpec } from '../core/spec.js';
import { formatPath, parsePath, type PathSegment, type SpecIssue } from '../graph/issues.js';
import { validateWorkflow } from '../graph/validate.js';
import { SpecValidationError } from './errors.js';
import { specIssuesFromZod } from './zod-issues.js';

export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * Where a document path is in the source text (1-based), if the source is a file we can point into.
 */
export type Locate = (path: readonly PathSegment[]) => SourcePosition | undefined;

export interface SpecSource {
  file?: string;
  locate?: Locate;
}

export type StructureResult = { ok: true; spec: WorkflowSpec } | { ok: false; issues: SpecIssue[] };

/**
 * The zod half of parsing: shape, types and defaults. Issues carry the source's file and positions.
 */
export function parseStructure(raw: unknown, source: SpecSource = {}): StructureResult {
  const reserved = reservedKeys(raw);
  if (reserved.length > 0) return { ok: false, issues: placeIssues(reserved, source) };
  const result = WorkflowSchema.safeParse(raw);
  if (result.success) return { ok: true, spec: result.data };
  const issues = placeIssues(specIssuesFromZod(result.error.issues, raw, WorkflowSchema), source);
  return { ok: false, issues: inDocumentOrder(issues) };
}

/**
 * Issues sorted by file (in order of first mention), then line and column; issues without a
 * position keep their relative order after the positioned ones of their file. zod reports in schema
 * order, which reads as random to someone looking at the file.
 */
export function inDocumentOrder(issues: SpecIssue[]): SpecIssue[] {
  const files: Array<string | undefined> = [];
  for (const issue of issues) if (!files.includes(issue.file)) files.push(issue.file);
  const key = (issue: SpecIssue): [number, number, number] => [
    files.indexOf(issue.file),
    issue.line ?? Number.MAX_SAFE_INTEGER,
    issue.column ?? Number.MAX_SAFE_INTEGER,
  ];
  return issues
    .map((issue, index) => ({ issue, index, key: key(issue) }))
    .sort(
      (a, b) =>
        a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2] || a.index - b.index,
    )
    .map(({ issue }) => issue);
}

/** Adds file, line and column to issues whose paths are relative to `source`'s document. */
export function placeIssues(issues: SpecIssue[], source: SpecSource): SpecIssue[] {
  return issues.map((issue) => {
    const placed: SpecIssue = { ...issue };
    if (source.file !== undefined && placed.file === undefined) placed.file = source.file;
    const position = placed.line === undefined ? source.locate?.(parsePath(issue.path)) : undefined;
    if (position) {
      placed.line = position.line;
      placed.column = position.column;
    }
    return placed;
  });
}

/**
 * Parses and validates a workflow spec (an object from YAML, JSON or the builder) into the
 * canonical spec: defaults filled in, `$schema` dropped. Throws a SpecValidationError listing every
 * problem — structural ones first; the semantic checks run once the structure is sound.
 */
export function parseWorkflow(raw: unknown, source: SpecSource = {}): WorkflowSpec {
  const structure = parseStructure(raw, source);
  if (!structure.ok) throw new SpecValidationError(structure.issues);
  const issues = placeIssues(validateWorkflow(structure.spec), source);
  if (issues.length > 0) throw new SpecValidationError(issues);
  return structure.spec;
}

/** sha256 of the RFC 8785 canonical JSON of a canonical spec (the output of parseWorkflow). */
export function specHash(spec: WorkflowSpec): string {
  return hashJson(spec as unknown as JsonValue);
}

/**
 * `__proto__` as a key would be dropped by parsing (or change an object's prototype) rather than be
 * kept as data, so a spec that contains one is refused with its path instead of silently losing it.
 */
function reservedKeys(raw: unknown): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const visit = (node: unknown, at: PathSegment[]): void => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...at, index]));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      if (key === '__proto__') {
        issues.push({
          code: 'SPEC_BAD_TEMPLATE',
          message: 'the key "__proto__" is reserved and cannot be used in a workflow',
          path: formatPath([...at, key]),
          expected: 'any other key name',
        });
      } else {
        visit((node as Record<string, unknown>)[key], [...at, key]);
      }
    }
  };
  visit(raw, []);
  return issues;
}
