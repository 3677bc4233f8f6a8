/**
 * The vocabulary of problems a workflow spec can have. It lives in graph/ (not spec/) because the
 * semantic validator here produces most of them and layers only depend downwards; spec/errors.ts
 * re-exports it for loaders, the builder and the CLI.
 */
export const SPEC_ISSUE_CODES = [
  // reading files
  'SPEC_FILE_NOT_FOUND',
  'SPEC_FILE_UNREADABLE',
  'SPEC_FILE_TYPE',
  'SPEC_YAML_SYNTAX',
  'SPEC_YAML_DUPLICATE_KEY',
  'SPEC_PROMPT_NOT_FOUND',
  'SPEC_PROMPT_FRONT_MATTER',
  'SPEC_PATH_ESCAPES_ROOT',
  // structure (zod)
  'SPEC_MISSING_FIELD',
  'SPEC_WRONG_TYPE',
  'SPEC_UNKNOWN_FIELD',
  'SPEC_OUT_OF_RANGE',
  'SPEC_BAD_ID',
  'SPEC_INVALID_VALUE',
  'SPEC_UNKNOWN_KIND',
  'SPEC_KIND_NOT_AVAILABLE',
  'SPEC_UNBOUNDED_LOOP',
  // semantics (graph/validate.ts)
  'SPEC_DUPLICATE_ID',
  'SPEC_UNKNOWN_STEP',
  'SPEC_REFERENCE_NOT_UPSTREAM',
  'SPEC_REFERENCE_OUT_OF_SCOPE',
  'SPEC_BAD_REFERENCE',
  'SPEC_BAD_TEMPLATE',
  'SPEC_FIELD_NOT_APPLICABLE',
  'SPEC_EXPRESSION_SYNTAX',
  'SPEC_NONDETERMINISTIC_EXPRESSION',
  'SPEC_CYCLE',
  'SPEC_AFTER_NOT_SIBLING',
  'SPEC_BAD_JSON_SCHEMA',
  'SPEC_UNKNOWN_WORKFLOW',
  'SPEC_WORKFLOW_CYCLE',
  'SPEC_WORKFLOW_NAME_CONFLICT',
  'SPEC_WORKFLOW_NAME_MISMATCH',
  'SPEC_NESTED_WORKFLOWS',
  // route steps (graph/route.ts)
  'ROUTE_DUPLICATE_NODE',
  'ROUTE_UNKNOWN_NODE',
  'ROUTE_NEGATIVE_COST',
  'ROUTE_OUT_OF_RANGE',
  'ROUTE_START_IS_GOAL',
  'ROUTE_UNREACHABLE_GOAL',
  // vote steps (graph/vote.ts: the voting core's own rule check)
  'VOTE_RULE_INVALID',
  // cascade steps
  'SPEC_CASCADE_SCORER',
  // model routing (graph/model-routing.ts)
  'SPEC_ROUTING_INVALID',
] as const;

/** The problems a route's tool graph can have (graph/route.ts validateRoute). */
export const ROUTE_ISSUE_CODES = [
  'ROUTE_DUPLICATE_NODE',
  'ROUTE_UNKNOWN_NODE',
  'ROUTE_NEGATIVE_COST',
  'ROUTE_OUT_OF_RANGE',
  'ROUTE_START_IS_GOAL',
  'ROUTE_UNREACHABLE_GOAL',
] as const satisfies ReadonlyArray<(typeof SPEC_ISSUE_CODES)[number]>;

export type RouteIssueCode = (typeof ROUTE_ISSUE_CODES)[number];

export type SpecIssueCode = (typeof SPEC_ISSUE_CODES)[number];

/**
 * One problem in a spec. `path` is relative to the document named by `file` (or to the spec
 * object).
 */
export interface SpecIssue {
  code: SpecIssueCode;
  message: string;
  /** e.g. `steps[3].retry.maxAttempts`; '' is the document itself. */
  path: string;
  /** The value found at `path` (absent when the field is missing). */
  value?: unknown;
  /** What would have been accepted, in words. */
  expected?: string;
  hint?: string;
  file?: string;
  line?: number;
  column?: number;
}

/** A problem of a route's tool graph: a SpecIssue with a route code, reported beside the others. */
export interface RouteIssue {
  code: RouteIssueCode;
  message: string;
  /** e.g. `steps[2].graph.edges[3].to`, relative to the document the route sits in. */
  path: string;
  /** The value found at `path` (absent when the field is missing). */
  value?: unknown;
  /** What would have been accepted, in words. */
  expected?: string;
  hint?: string;
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** `['steps', 3, 'retry']` → `steps[3].retry`; keys that are not identifiers are quoted. */
export function formatPath(path: ReadonlyArray<PathSegment>): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

const PATH_SEGMENT = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** Inverse of formatPath (used to map an issue back to a node of the source document). */
export function parsePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  PATH_SEGMENT.lastIndex = 0;
  while (PATH_SEGMENT.lastIndex < text.length) {
    const match = PATH_SEGMENT.exec(text);
    if (!match) break;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3] as string) as string);
  }
  return segments;
}
