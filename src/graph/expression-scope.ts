import jsonata from 'jsonata';

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  [key: string]: unknown;
}

export interface ContextRead {
  /** A top-level name of the evaluation context: input, steps, item, index, iteration, previous… */
  name: string;
  /** JSONata's character position (end of the token). */
  position: number | undefined;
}

export interface ExpressionScope {
  /**
   * Names read from the top of the context (`item`, `$.item`, `$$.item`), not from nested values.
   */
  contextReads: ContextRead[];
  /** Every variable read or called, without `$` (so `$now`, passed as a value, is seen too). */
  variables: string[];
}

// Children evaluated against some other value than the surrounding context (predicates, group-by,
// sort terms, transform clauses), so a name there is a field of that value, not a context root.
const RELATIVE_KEYS: ReadonlySet<string> = new Set([
  'stages',
  'predicate',
  'group',
  'pattern',
  'update',
  'delete',
]);

/**
 * What a JSONata expression reads from the top of its evaluation context. analyzeExpression gives
 * the step ids; this adds the other roots, so `item` outside a map body or a misspelt `stpes` is
 * caught at validation time rather than evaluating to nothing at run time. Throws on syntax errors
 * (check those with analyzeExpression first).
 */
export function expressionScope(source: string): ExpressionScope {
  const ast = jsonata(source).ast() as AstNode;
  const contextReads: ContextRead[] = [];
  const variables = new Set<string>();

  const visitChildren = (node: AstNode, atRoot: boolean): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'position' || key === 'value' || key === 'type') continue;
      visit(value, atRoot && !RELATIVE_KEYS.has(key));
    }
  };

  const visitPath = (node: AstNode, atRoot: boolean): void => {
    const steps = Array.isArray(node.steps) ? (node.steps as AstNode[]) : [];
    const [first, second] = steps;
    if (first?.type === 'name' && atRoot) record(first);
    // `$.x` reads the context, `$$.x` always reads the root context.
    const readsContext =
      first?.type === 'variable' && ((first.value === '' && atRoot) || first.value === '$');
    if (readsContext && second?.type === 'name') record(second);
    steps.forEach((step, index) => {
      if (index === 0) visitChildren(step, atRoot);
      else visitChildren(step, false);
      if (step.type === 'variable') addVariable(step);
    });
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'steps' && key !== 'position' && key !== 'type') visit(value, false);
    }
  };

  const addVariable = (node: AstNode): void => {
    if (typeof node.value === 'string' && node.value !== '' && node.value !== '$')
      variables.add(node.value);
  };

  const record = (node: AstNode): void => {
    contextReads.push({ name: String(node.value), position: node.position });
  };

  const visit = (value: unknown, atRoot: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, atRoot);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const node = value as AstNode;
    if (node.type === 'path') return visitPath(node, atRoot);
    if (node.type === 'name' && atRoot) record(node);
    if (node.type === 'variable') addVariable(node);
    visitChildren(node, atRoot);
  };

  visit(ast, true);
  return { contextReads, variables: [...variables].sort() };
}
