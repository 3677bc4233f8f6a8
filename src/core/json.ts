import { NonJsonValueError } from './errors.js';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

function describe(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : String(value);
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return 'a bigint';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      break;
  }
  if (value === null || Array.isArray(value)) return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) return undefined;
  const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  return `a ${name} instance`;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * Checks that `value` is plain JSON, throwing a NonJsonValueError that names the path of the first
 * offending part. Peers silently turn a Date into a string or drop `undefined` on the way through their
 * checkpoints; we refuse instead, so a journaled value is always the value the step produced.
 */
export function assertJson(value: unknown, path = '$'): asserts value is JsonValue {
  const seen = new Set<object>();
  const visit = (node: unknown, at: string): void => {
    const problem = describe(node);
    if (problem !== undefined) throw new NonJsonValueError(at, problem);
    if (node === null || typeof node !== 'object') return;
    if (seen.has(node)) throw new NonJsonValueError(at, 'a cycle');
    seen.add(node);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) visit(node[i], childPath(at, i));
    } else {
      for (const key of Object.keys(node))
        visit((node as Record<string, unknown>)[key], childPath(at, key));
    }
    seen.delete(node);
  };
  visit(value, path);
}

/**
 * RFC 8785 (JSON Canonicalization Scheme): object keys sorted by UTF-16 code units, no whitespace,
 * ECMAScript number and string serialisation (which JSON.stringify already implements for finite
 * numbers and strings). Input must already be JSON (see assertJson); hashing depends on this.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i] as JsonValue);
    }
    return out + ']';
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = value[key];
    if (item === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + canonicalJson(item);
  }
  return out + '}';
}

/**
 * The value as it reads back from the journal: a fresh copy with object keys in canonical order.
 * Whatever the executor acts on live must be this, not the producer's object: key order shows
 * through (`$keys`, schema error order), and replay only ever sees the journaled form.
 */
export function canonicalCopy<T extends JsonValue>(value: T): T {
  return JSON.parse(canonicalJson(value)) as T;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
