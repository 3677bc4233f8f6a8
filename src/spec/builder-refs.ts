import { SwitchyardError } from '../core/errors.js';
import { isReferenceText, parseReference } from '../core/reference.js';

declare const refType: unique symbol;

/**
 * A reference (`$.steps.fetch.output.items`) made by the builder's typed helpers; `T` is what it
 * points at when known. It is a plain string at run time, so templates holding refs are plain JSON.
 */
export type Ref<T = unknown> = string & { readonly [refType]: T };

/**
 * `{ $expr }`: a value computed by a JSONata expression. A type alias, so it is assignable to JSON.
 */
export type Expr = { readonly $expr: string };

export type Segment = string | number;

type Depth = [never, 0, 1, 2, 3, 4, 5];

/**
 * The argument lists that name a path inside `T` (all of them when `T` is unknown), 6 levels deep.
 */
export type PathOf<T, D extends number = 6> = [D] extends [never]
  ? Segment[]
  : unknown extends T
    ? Segment[]
    : T extends readonly (infer E)[]
      ? [] | [number, ...PathOf<E, Depth[D]>]
      : T extends object
        ? [] | { [K in keyof T & string]-?: [K, ...PathOf<T[K], Depth[D]>] }[keyof T & string]
        : [];

/** The type at a path inside `T`. */
export type AtPath<T, P> = P extends readonly [infer H, ...infer R]
  ? NonNullable<T> extends readonly (infer E)[]
    ? AtPath<E, R>
    : H extends keyof NonNullable<T>
      ? AtPath<NonNullable<T>[H], R>
      : unknown
  : T;

export interface StepRef {
  /** `$.steps.<id>.output…` */
  output<T = unknown>(...path: Segment[]): Ref<T>;
  /** `$.steps.<id>.error…` (null unless the step failed and the block carried on). */
  error(...path: Segment[]): Ref;
  /** `$.steps.<id>.status` */
  status(): Ref<string>;
}

/** The helpers every template and condition callback receives. */
export interface Refs<I, Ids extends string> {
  /** `$.input…`, checked against the declared input type. */
  input<const P extends PathOf<I>>(...path: P): Ref<AtPath<I, P>>;
  /** A step visible from here: one declared earlier in this block or in an enclosing block. */
  step(id: Ids): StepRef;
}

export interface MapRefs {
  /** `$.item…`: the current element of the map. */
  item<T = unknown>(...path: Segment[]): Ref<T>;
  /** `$.index`: the current element's position. */
  index(): Ref<number>;
}

export interface LoopRefs {
  /** `$.iteration`: 0 for the first iteration. */
  iteration(): Ref<number>;
  /** `$.previous…`: the previous iteration's output (null in the first). */
  previous<T = unknown>(...path: Segment[]): Ref<T>;
}

/** Refs for a scope: `V` holds 'map' inside a map body and 'loop' inside a loop body. */
export type ScopeRefs<I, Ids extends string, V extends string> = Refs<I, Ids> &
  ('map' extends V ? MapRefs : unknown) &
  ('loop' extends V ? LoopRefs : unknown);

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

function pathText(path: readonly Segment[]): string {
  return path
    .map((segment) => {
      if (typeof segment === 'number') {
        if (!Number.isInteger(segment) || segment < 0) {
          throw new SwitchyardError(
            'SPEC_BUILDER_MISUSE',
            `a path index must be a whole number >= 0, got ${segment}`,
          );
        }
        return `[${segment}]`;
      }
      return IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
    })
    .join('');
}

const ref = <T>(text: string): Ref<T> => text as Ref<T>;

/** One object serves every scope; the types decide which helpers a callback can see. */
export function makeRefs(): Refs<unknown, string> & MapRefs & LoopRefs {
  return {
    input: (...path: Segment[]) => ref(`$.input${pathText(path)}`),
    step: (id: string): StepRef => ({
      output: <T>(...path: Segment[]) => ref<T>(`$.steps.${id}.output${pathText(path)}`),
      error: (...path: Segment[]) => ref(`$.steps.${id}.error${pathText(path)}`),
      status: () => ref<string>(`$.steps.${id}.status`),
    }),
    item: <T>(...path: Segment[]) => ref<T>(`$.item${pathText(path)}`),
    index: () => ref<number>('$.index'),
    iteration: () => ref<number>('$.iteration'),
    previous: <T>(...path: Segment[]) => ref<T>(`$.previous${pathText(path)}`),
  } as Refs<unknown, string> & MapRefs & LoopRefs;
}

export type ExprValue = Ref | string | number | boolean | null;

/**
 * A JSONata expression with refs spliced in: `jsonata\`${r.step('check').output('score')} > 0.8\``.
 * A ref becomes a path from the root context (`$$.steps.check.output.score`, valid inside
 * predicates and lambdas too); any other value becomes a JSON literal, so data cannot turn into
 * code.
 */
export function jsonata(strings: TemplateStringsArray, ...values: ExprValue[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out +=
      typeof value === 'string' && isReferenceText(value)
        ? jsonataPath(value)
        : JSON.stringify(value);
    out += strings[index + 1] ?? '';
  });
  return out;
}

/** `{ $expr }` from a JSONata string, or from a template literal as with `jsonata`. */
export function expr(source: string): Expr;
export function expr(strings: TemplateStringsArray, ...values: ExprValue[]): Expr;
export function expr(source: string | TemplateStringsArray, ...values: ExprValue[]): Expr {
  return { $expr: typeof source === 'string' ? source : jsonata(source, ...values) };
}

const JSONATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function jsonataName(name: string): string {
  if (JSONATA_NAME.test(name)) return name;
  if (name.includes('`')) {
    throw new SwitchyardError(
      'SPEC_BUILDER_MISUSE',
      `a field name used in JSONata cannot contain a backtick: ${name}`,
    );
  }
  return `\`${name}\``;
}

/** A reference rewritten as a JSONata path from the root context. */
export function jsonataPath(text: string): string {
  const reference = parseReference(text);
  let out = `$$.${reference.root}`;
  if (reference.stepId !== undefined)
    out += `.${jsonataName(reference.stepId)}.${reference.field ?? 'output'}`;
  for (const segment of reference.path) {
    out += typeof segment === 'number' ? `[${segment}]` : `.${jsonataName(segment)}`;
  }
  return out;
}
