import { z } from 'zod';
import { RESERVED_STEP_KINDS, STEP_KINDS } from '../core/spec.js';
import {
  formatPath,
  type PathSegment,
  type SpecIssue,
  type SpecIssueCode,
} from '../graph/issues.js';
import { didYouMean } from '../graph/suggest.js';

type ZodIssue = z.core.$ZodIssue;

/**
 * Turns zod's issues into spec issues with stable codes, the value found (read from the raw input,
 * so it is there whatever zod reports) and what was expected in words. `schema` is walked to list
 * the fields an object accepts, for "did you mean" on unknown fields.
 */
export function specIssuesFromZod(
  issues: readonly ZodIssue[],
  raw: unknown,
  schema: z.ZodType,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) mapIssue(issue, [], raw, schema, out);
  return out;
}

function mapIssue(
  issue: ZodIssue,
  prefix: PathSegment[],
  raw: unknown,
  schema: z.ZodType,
  out: SpecIssue[],
): void {
  const path = [...prefix, ...issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k))];
  const found = lookup(raw, path);
  const push = (
    code: SpecIssueCode,
    message: string,
    expected?: string,
    hint?: string,
    at = path,
  ): void => {
    const entry: SpecIssue = { code, message, path: formatPath(at) };
    const here = at === path ? found : lookup(raw, at);
    if (here.present) entry.value = here.value;
    if (expected !== undefined) entry.expected = expected;
    if (hint !== undefined) entry.hint = hint;
    out.push(entry);
  };
  const field = lastKey(path);

  switch (issue.code) {
    case 'invalid_union': {
      if (issue.discriminator !== undefined) return mapKind(found, push);
      return mapUnion(issue, path, raw, schema, out, push);
    }
    case 'invalid_type': {
      if (!found.present) {
        if (field === 'maxIterations' && kindAt(raw, path.slice(0, -1)) === 'loop') {
          return push(
            'SPEC_UNBOUNDED_LOOP',
            'a loop needs maxIterations: loops are bounded so a run always ends',
            'a whole number of at least 1',
            'add maxIterations (and usually an until condition that ends the loop earlier)',
          );
        }
        const what = field === undefined ? 'value' : `field "${field}"`;
        return push('SPEC_MISSING_FIELD', `missing required ${what}`, typeWords(issue.expected));
      }
      if (path.length === 0) {
        return push(
          'SPEC_WRONG_TYPE',
          'a workflow spec must be a mapping of fields (name, steps, …)',
          'an object',
        );
      }
      return push('SPEC_WRONG_TYPE', 'wrong type', typeWords(issue.expected));
    }
    case 'unrecognized_keys': {
      const allowed = objectKeysAt(schema, raw, path);
      for (const key of issue.keys) {
        push(
          'SPEC_UNKNOWN_FIELD',
          `unknown field "${key}"${didYouMean(key, allowed)}`,
          allowed.length > 0 ? `one of ${allowed.join(', ')}` : undefined,
          undefined,
          [...path, key],
        );
      }
      return;
    }
    case 'too_small':
    case 'too_big': {
      if (isIdPath(path)) return push('SPEC_BAD_ID', `invalid ${idWhat(path)}`, rangeWords(issue));
      return push('SPEC_OUT_OF_RANGE', rangeMessage(issue), rangeWords(issue));
    }
    case 'not_multiple_of':
      return push('SPEC_OUT_OF_RANGE', 'out of range', `a multiple of ${issue.divisor}`);
    case 'invalid_format': {
      if (isIdPath(path)) return push('SPEC_BAD_ID', `invalid ${idWhat(path)}`, idWords(path));
      return push('SPEC_INVALID_VALUE', 'invalid value', issue.message);
    }
    case 'invalid_key': {
      push('SPEC_BAD_ID', `invalid ${idWhat(path)}`, idWords(path));
      // The offending value is the key itself, not the block filed under it.
      const last = out[out.length - 1];
      if (last) last.value = field;
      return;
    }
    case 'invalid_value':
      return push(
        'SPEC_INVALID_VALUE',
        'invalid value',
        `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
      );
    case 'invalid_element':
      return push('SPEC_INVALID_VALUE', 'invalid element', issue.message);
    case 'custom': {
      const empty = found.present && isEmptyCollection(found.value);
      return push(empty ? 'SPEC_OUT_OF_RANGE' : 'SPEC_INVALID_VALUE', issue.message, issue.message);
    }
    default:
      return push('SPEC_INVALID_VALUE', (issue as { message: string }).message);
  }
}

type Push = (code: SpecIssueCode, message: string, expected?: string, hint?: string) => void;

function mapKind(found: Found, push: Push): void {
  const available = `one of ${STEP_KINDS.join(', ')}`;
  if (!found.present) return push('SPEC_MISSING_FIELD', 'missing required field "kind"', available);
  const kind = found.value;
  if (typeof kind !== 'string')
    return push('SPEC_WRONG_TYPE', 'wrong type', `a step kind: ${available}`);
  if ((RESERVED_STEP_KINDS as readonly string[]).includes(kind)) {
    return push(
      'SPEC_KIND_NOT_AVAILABLE',
      `step kind "${kind}" arrives in a later release`,
      available,
      'express it for now with the available kinds (e.g. a branch over tool steps)',
    );
  }
  push('SPEC_UNKNOWN_KIND', `unknown step kind${didYouMean(kind, STEP_KINDS)}`, available);
}

/**
 * A union failed: find the alternative the author meant (the one whose type matched) and report its
 * issues; when no alternative matched even by type, report one wrong-type issue listing them all.
 */
function mapUnion(
  issue: Extract<ZodIssue, { code: 'invalid_union' }>,
  path: PathSegment[],
  raw: unknown,
  schema: z.ZodType,
  out: SpecIssue[],
  push: Push,
): void {
  const found = lookup(raw, path);
  const alternatives = issue.errors;
  const mismatch = (branch: ZodIssue[]): boolean => {
    if (branch.length !== 1) return false;
    const [only] = branch;
    if (!only || only.path.length > 0) return false;
    if (only.code === 'invalid_type') return true;
    if (only.code === 'invalid_value') return typeof only.values[0] !== typeof found.value;
    return false;
  };
  const expected = alternatives.map(describeAlternative).filter((text) => text !== '');
  const expectedWords = isJsonValueUnion(expected) ? 'a JSON value' : orList(dedupe(expected));
  const matched = alternatives.find((branch) => !mismatch(branch));
  if (matched === undefined) {
    if (!found.present)
      return push(
        'SPEC_MISSING_FIELD',
        `missing required field "${String(lastKey(path))}"`,
        expectedWords,
      );
    return push('SPEC_WRONG_TYPE', 'wrong type', expectedWords);
  }
  const [only] = matched;
  if (matched.length === 1 && only?.code === 'invalid_value' && only.path.length === 0) {
    return push('SPEC_INVALID_VALUE', 'invalid value', expectedWords);
  }
  for (const inner of matched) mapIssue(inner, path, raw, schema, out);
}

function describeAlternative(branch: ZodIssue[]): string {
  const [only] = branch;
  if (!only || only.path.length > 0) return '';
  if (only.code === 'invalid_type') return typeWords(only.expected);
  if (only.code === 'invalid_value') return only.values.map((v) => JSON.stringify(v)).join(', ');
  if (only.code === 'invalid_union')
    return orList(dedupe(only.errors.map(describeAlternative).filter(Boolean)));
  return '';
}

function isJsonValueUnion(expected: string[]): boolean {
  return ['a string', 'a number', 'true or false', 'null', 'a list', 'an object'].every((t) =>
    expected.includes(t),
  );
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  null: 'null',
  array: 'a list',
  object: 'an object',
  record: 'an object',
};

function typeWords(expected: string): string {
  return TYPE_WORDS[expected] ?? expected;
}

function rangeMessage(issue: Extract<ZodIssue, { code: 'too_small' | 'too_big' }>): string {
  if (issue.origin === 'array')
    return issue.code === 'too_small' ? 'too few items' : 'too many items';
  if (issue.origin === 'string') return issue.code === 'too_small' ? 'too short' : 'too long';
  return 'out of range';
}

function rangeWords(issue: Extract<ZodIssue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'array')
    return `${small ? 'at least' : 'at most'} ${bound} item${bound === 1 ? '' : 's'}`;
  if (issue.origin === 'string') {
    if (small && bound === 1) return 'a non-empty string';
    return `${small ? 'at least' : 'at most'} ${bound} characters`;
  }
  if (small) return inclusive ? `a number >= ${bound}` : `a number > ${bound}`;
  return inclusive ? `a number <= ${bound}` : `a number < ${bound}`;
}

function isIdPath(path: PathSegment[]): boolean {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (typeof last === 'number') return parent === 'after';
  if (parent === 'branches') return true;
  return (
    last === 'id' ||
    (last === 'name' && (path.length === 1 || path[path.length - 3] === 'workflows'))
  );
}

function idWhat(path: PathSegment[]): string {
  const last = path[path.length - 1];
  if (last === 'name') return 'workflow name';
  if (path[path.length - 2] === 'branches') return 'branch name';
  return 'step id';
}

function idWords(path: PathSegment[]): string {
  if (path[path.length - 1] === 'name') return 'letters, digits, ".", "_" and "-" (at most 128)';
  return 'a letter or "_", then letters, digits, "_" or "-" (at most 64)';
}

function lastKey(path: PathSegment[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i];
    if (typeof segment === 'string') return segment;
  }
  return undefined;
}

function orList(items: string[]): string {
  if (items.length <= 1) return items[0] ?? 'a valid value';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] as string}`;
}

function dedupe(items: string[]): string[] {
  return [...new Set(items)];
}

function isEmptyCollection(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

interface Found {
  present: boolean;
  value: unknown;
}

/**
 * The raw value at `path`, and whether its key is there at all (missing ≠ present but undefined).
 */
export function lookup(raw: unknown, path: readonly PathSegment[]): Found {
  let current: unknown = raw;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null)
      return { present: false, value: undefined };
    if (!Object.prototype.hasOwnProperty.call(current, segment))
      return { present: false, value: undefined };
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return { present: true, value: current };
}

function kindAt(raw: unknown, path: PathSegment[]): unknown {
  const step = lookup(raw, path).value;
  return typeof step === 'object' && step !== null ? (step as { kind?: unknown }).kind : undefined;
}

/** The fields the object schema at `path` accepts (walking unions by the raw value's shape). */
function objectKeysAt(schema: z.ZodType, raw: unknown, path: PathSegment[]): string[] {
  let current: z.ZodType | undefined = schema;
  let value: unknown = raw;
  for (const segment of path) {
    current = unwrap(current, value);
    value =
      typeof value === 'object' && value !== null
        ? (value as Record<PathSegment, unknown>)[segment]
        : undefined;
    if (current instanceof z.ZodObject)
      current = (current.shape as Record<string, z.ZodType>)[String(segment)];
    else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
    else return [];
    if (current === undefined) return [];
  }
  const object = unwrap(current, value);
  return object instanceof z.ZodObject ? Object.keys(object.shape) : [];
}

function unwrap(schema: z.ZodType | undefined, value: unknown): z.ZodType | undefined {
  let current = schema;
  for (let depth = 0; depth < 32 && current !== undefined; depth++) {
    if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodLazy) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDiscriminatedUnion) {
      const kind =
        typeof value === 'object' && value !== null
          ? (value as { kind?: unknown }).kind
          : undefined;
      current = (current.options as z.ZodType[]).find((option) => {
        const literal =
          option instanceof z.ZodObject
            ? (option.shape as Record<string, z.ZodType>).kind
            : undefined;
        return literal instanceof z.ZodLiteral && literal.values.has(kind as never);
      });
    } else if (current instanceof z.ZodUnion) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      current = (current.options as z.ZodType[]).find(
        (option) => unwrap(option, value) instanceof z.ZodObject,
      );
    } else return current;
  }
  return current;
}
