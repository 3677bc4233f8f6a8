import jsonata from 'jsonata';

/** JSONata functions whose result is not a function of their input; banned in specs (replay would drift). */
export const NONDETERMINISTIC_FUNCTIONS: ReadonlySet<string> = new Set([
  'now',
  'millis',
  'random',
  'eval',
  // $shuffle draws from Math.random inside JSONata.
  'shuffle',
]);

export interface ExpressionAnalysis {
  /** Step ids read through `steps.<id>`, `$.steps.<id>` or `$$.steps.<id>`. */
  stepIds: string[];
  /** Names of the functions called (without `$`). */
  functions: string[];
}

export class ExpressionSyntaxError extends Error {
  constructor(
    readonly source: string,
    readonly position: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

interface AstNode {
  type?: string;
  value?: unknown;
  [key: string]: unknown;
}

/** Parses a JSONata expression (throwing ExpressionSyntaxError) and lists what it reads and calls. */
export function analyzeExpression(source: string): ExpressionAnalysis {
  let ast: AstNode;
  try {
    ast = jsonata(source).ast() as AstNode;
  } catch (error) {
    const e = error as { message?: string; position?: number };
    throw new ExpressionSyntaxError(source, e.position, e.message ?? String(error));
  }
  const stepIds = new Set<string>();
  const functions = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as AstNode;
    if (n.type === 'path' && Array.isArray(n.steps)) {
      const steps = n.steps as AstNode[];
      // `$.steps.x` reads the context and `$$.steps.x` the root context: both are the same object here.
      const first = steps[0];
      const offset =
        first?.type === 'variable' && (first.value === '' || first.value === '$') ? 1 : 0;
      const head = steps[offset];
      const id = steps[offset + 1];
      if (head?.type === 'name' && head.value === 'steps' && id?.type === 'name')
        stepIds.add(String(id.value));
    }
    if (n.type === 'function' || n.type === 'partial') {
      const procedure = n.procedure as AstNode | undefined;
      if (procedure?.type === 'variable') functions.add(String(procedure.value));
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'position') visit(value);
  };
  visit(ast);
  return { stepIds: [...stepIds].sort(), functions: [...functions].sort() };
}
