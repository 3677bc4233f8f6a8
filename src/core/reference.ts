/**
 * Data flows between steps by explicit references inside templates:
 *   "$.input.customer.name"        the run's input
 *   "$.steps.fetch.output.items[0]" a step's output (also .error and .status)
 *   "$.item", "$.index"            the current element inside a map body
 *   "$.iteration", "$.previous"    the iteration number and previous iteration's output inside a loop
 * `{ "$expr": "<JSONata>" }` computes a value; `{ "$literal": <any> }` escapes a string starting with "$.".
 */
export type ReferenceRoot = 'input' | 'steps' | 'item' | 'index' | 'iteration' | 'previous';
export type StepField = 'output' | 'error' | 'status';

export interface Reference {
  text: string;
  root: ReferenceRoot;
  stepId?: string;
  field?: StepField;
  /** Property names and array indexes below the root (or below the step field). */
  path: Array<string | number>;
}

export class ReferenceSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`invalid reference ${JSON.stringify(text)}: ${reason}`);
  }
}

const ROOTS: ReadonlySet<string> = new Set([
  'input',
  'steps',
  'item',
  'index',
  'iteration',
  'previous',
]);
const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

export function isReferenceText(value: string): boolean {
  return value.startsWith('$.');
}

export function parseReference(text: string): Reference {
  const segments: Array<string | number> = [];
  SEGMENT.lastIndex = 1;
  while (SEGMENT.lastIndex < text.length) {
    const start = SEGMENT.lastIndex;
    const match = SEGMENT.exec(text);
    if (!match) throw new ReferenceSyntaxError(text, `unexpected text at character ${start + 1}`);
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3] as string) as string);
  }
  const [root, ...rest] = segments;
  if (typeof root !== 'string' || !ROOTS.has(root)) {
    throw new ReferenceSyntaxError(
      text,
      'expected $.input, $.steps.<id>, $.item, $.index, $.iteration or $.previous',
    );
  }
  if (root !== 'steps') return { text, root: root as ReferenceRoot, path: rest };
  const [stepId, field, ...path] = rest;
  if (typeof stepId !== 'string')
    throw new ReferenceSyntaxError(text, 'expected a step id after $.steps');
  if (field !== 'output' && field !== 'error' && field !== 'status') {
    throw new ReferenceSyntaxError(
      text,
      `expected .output, .error or .status after $.steps.${stepId}`,
    );
  }
  if (field !== 'output' && path.length > 0 && field === 'status') {
    throw new ReferenceSyntaxError(text, '.status has no fields');
  }
  return { text, root, stepId, field, path };
}
