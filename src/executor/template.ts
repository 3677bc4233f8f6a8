import jsonata from 'jsonata';
import { isJsonObject, type JsonValue } from '../core/json.js';
import { isReferenceText, parseReference, type Reference } from '../core/reference.js';
import { analyzeExpression, NONDETERMINISTIC_FUNCTIONS } from '../graph/expression.js';

/** What a template or expression can see: the run input, scope variables and visible steps. */
export interface TemplateEnv {
  input: JsonValue;
  item?: JsonValue;
  index?: number;
  iteration?: number;
  previous?: JsonValue;
  /** The step's record as seen from here, or undefined when the id is not visible. */
  step(id: string): StepView | undefined;
}

export interface StepView {
  output: JsonValue;
  error: JsonValue;
  status: string;
}

export type CompiledTemplate =
  | { kind: 'const'; value: JsonValue }
  | { kind: 'ref'; reference: Reference }
  | { kind: 'expr'; expression: CompiledExpression }
  | { kind: 'array'; items: CompiledTemplate[] }
  | { kind: 'object'; entries: Array<[string, CompiledTemplate]> };

export interface CompiledExpression {
  source: string;
  evaluate: jsonata.Expression;
  stepIds: string[];
}

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly at: string,
  ) {
    super(message);
  }
}

/** Defence in depth: validation rejects these, and evaluation makes them throw too. */
const BANNED_BINDINGS: Record<string, () => never> = Object.fromEntries(
  [...NONDETERMINISTIC_FUNCTIONS].map((name) => [
    name,
    () => {
      throw new Error(`$${name}() is not allowed in workflow expressions (it would break replay)`);
    },
  ]),
);

export function compileExpression(source: string): CompiledExpression {
  return { source, evaluate: jsonata(source), stepIds: analyzeExpression(source).stepIds };
}

export function compileTemplate(template: JsonValue | undefined): CompiledTemplate {
  if (template === undefined) return { kind: 'const', value: null };
  if (typeof template === 'string') {
    return isReferenceText(template)
      ? { kind: 'ref', reference: parseReference(template) }
      : { kind: 'const', value: template };
  }
  if (Array.isArray(template)) {
    const items = template.map(compileTemplate);
    // Build constants from the compiled children, so a nested `$literal` is unwrapped here too.
    return items.every((t) => t.kind === 'const')
      ? { kind: 'const', value: items.map((t) => (t as { value: JsonValue }).value) }
      : { kind: 'array', items };
  }
  if (!isJsonObject(template)) return { kind: 'const', value: template };
  const keys = Object.keys(template);
  if (keys.length === 1 && keys[0] === '$literal')
    return { kind: 'const', value: template.$literal ?? null };
  if (keys.length === 1 && typeof template.$expr === 'string') {
    return { kind: 'expr', expression: compileExpression(template.$expr) };
  }
  const entries = keys.map((key): [string, CompiledTemplate] => [
    key,
    compileTemplate(template[key]),
  ]);
  if (entries.every(([, t]) => t.kind === 'const')) {
    const value: Record<string, JsonValue> = {};
    for (const [key, t] of entries) setOwn(value, key, (t as { value: JsonValue }).value);
    return { kind: 'const', value };
  }
  return { kind: 'object', entries };
}

function navigate(value: JsonValue | undefined, path: ReadonlyArray<string | number>): JsonValue {
  let current: JsonValue | undefined = value;
  for (const segment of path) {
    if (current === null || current === undefined) return null;
    if (typeof segment === 'number')
      current = Array.isArray(current) ? current[segment] : undefined;
    // Own properties only: `$.input.constructor` must read as null, not as Object's constructor.
    else
      current =
        isJsonObject(current) && Object.hasOwn(current, segment) ? current[segment] : undefined;
  }
  return current ?? null;
}

export function resolveReference(reference: Reference, env: TemplateEnv): JsonValue {
  switch (reference.root) {
    case 'input':
      return navigate(env.input, reference.path);
    case 'item':
      return navigate(env.item, reference.path);
    case 'previous':
      return navigate(env.previous, reference.path);
    case 'index':
      return env.index ?? null;
    case 'iteration':
      return env.iteration ?? null;
    case 'steps': {
      const view = env.step(reference.stepId as string);
      if (!view)
        throw new TemplateError(`step '${reference.stepId}' is not visible here`, reference.text);
      return navigate(view[reference.field ?? 'output'], reference.path);
    }
  }
}

/** Copies a JSONata result into plain JSON (JSONata marks sequences with extra properties). */
function toPlainJson(value: unknown, at: string): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TemplateError(`expression produced ${value}`, at);
    return value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'function') throw new TemplateError('expression produced a function', at);
  if (Array.isArray(value)) return value.map((item) => toPlainJson(item, at));
  const out: Record<string, JsonValue> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item !== undefined) setOwn(out, key, toPlainJson(item, at));
  }
  return out;
}

export async function evaluateExpression(
  expression: CompiledExpression,
  env: TemplateEnv,
): Promise<JsonValue> {
  const steps: Record<string, StepView> = {};
  for (const id of expression.stepIds) {
    const view = env.step(id);
    if (view) steps[id] = view;
  }
  const context = {
    input: env.input,
    steps,
    item: env.item ?? null,
    index: env.index ?? null,
    iteration: env.iteration ?? null,
    previous: env.previous ?? null,
  };
  try {
    return toPlainJson(
      await expression.evaluate.evaluate(context, BANNED_BINDINGS),
      expression.source,
    );
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    const message = (error as { message?: string }).message ?? String(error);
    throw new TemplateError(
      `expression ${JSON.stringify(expression.source)} failed: ${message}`,
      expression.source,
    );
  }
}

// Compiled templates live as long as their plan; whether one needs the async path is asked every time
// a step starts, so the answer is kept rather than re-walked.
const syncTemplates = new WeakMap<CompiledTemplate, boolean>();

export function isSyncTemplate(template: CompiledTemplate): boolean {
  if (template.kind === 'const' || template.kind === 'ref') return true;
  let known = syncTemplates.get(template);
  if (known === undefined) {
    known = walkIsSync(template);
    syncTemplates.set(template, known);
  }
  return known;
}

function walkIsSync(template: CompiledTemplate): boolean {
  switch (template.kind) {
    case 'expr':
      return false;
    case 'array':
      return template.items.every(isSyncTemplate);
    case 'object':
      return template.entries.every(([, t]) => isSyncTemplate(t));
    default:
      return true;
  }
}

export function resolveSync(template: CompiledTemplate, env: TemplateEnv): JsonValue {
  switch (template.kind) {
    case 'const':
      return template.value;
    case 'ref':
      return resolveReference(template.reference, env);
    case 'array':
      return template.items.map((item) => resolveSync(item, env));
    case 'object': {
      const out: Record<string, JsonValue> = {};
      for (const [key, value] of template.entries) setOwn(out, key, resolveSync(value, env));
      return out;
    }
    case 'expr':
      throw new TemplateError(
        'internal: expression in a sync template',
        template.expression.source,
      );
  }
}

export async function resolveTemplate(
  template: CompiledTemplate,
  env: TemplateEnv,
): Promise<JsonValue> {
  switch (template.kind) {
    case 'expr':
      return evaluateExpression(template.expression, env);
    case 'array': {
      const out: JsonValue[] = [];
      for (const item of template.items) out.push(await resolveTemplate(item, env));
      return out;
    }
    case 'object': {
      const out: Record<string, JsonValue> = {};
      for (const [key, value] of template.entries)
        setOwn(out, key, await resolveTemplate(value, env));
      return out;
    }
    default:
      return resolveSync(template, env);
  }
}

/** Assigns as a plain data property, so a key named `__proto__` is a key, not a prototype change. */
function setOwn(target: Record<string, JsonValue>, key: string, value: JsonValue): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
