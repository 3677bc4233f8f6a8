// assertJson checks every tool output and approval value: plain JSON passes, anything else is
// refused with the path of the first offending part and what it is.
import { describe, expect, it } from 'vitest';
import { NonJsonValueError } from '../../src/core/errors.js';
import { assertJson, copyJson, MAX_DEPTH, type JsonValue } from '../../src/core/json.js';

function refusal(value: unknown): NonJsonValueError {
  try {
    assertJson(value, '$output');
  } catch (error) {
    expect(error).toBeInstanceOf(NonJsonValueError);
    return error as NonJsonValueError;
  }
  throw new Error('expected a refusal');
}

describe('assertJson', () => {
  it('accepts plain JSON, null-prototype objects and deep but bounded nesting', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_DEPTH; i++) deep = [deep];
    for (const value of [null, 0, -1.5, '', 'x', true, [], {}, { a: [1, { b: null }] }, deep])
      expect(() => assertJson(value)).not.toThrow();
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 'v';
    expect(() => assertJson(bare)).not.toThrow();
  });

  it.each([
    [{ a: { when: new Date(0) } }, '$output.a.when', 'a Date instance'],
    [{ list: [1, undefined] }, '$output.list[1]', 'undefined'],
    [{ n: Number.NaN }, '$output.n', 'NaN'],
    [{ 'odd key': Infinity }, '$output["odd key"]', 'Infinity'],
    [[() => 1], '$output[0]', 'a function'],
    [{ big: 1n }, '$output.big', 'a bigint'],
    [new Map(), '$output', 'a Map instance'],
  ])('refuses %o at %s as %s', (value, path, what) => {
    const error = refusal(value);
    expect(error.message).toContain(path);
    expect(error.message).toContain(what);
  });

  it('names a cycle and nesting past the limit', () => {
    const cyclic: Record<string, unknown> = { a: {} };
    (cyclic.a as Record<string, unknown>).back = cyclic;
    expect(refusal(cyclic).message).toContain('a cycle');
    let deep: unknown = 1;
    for (let i = 0; i < MAX_DEPTH + 2; i++) deep = [deep];
    expect(refusal(deep).message).toContain(`nested more than ${MAX_DEPTH} levels deep`);
  });
});

describe('copyJson', () => {
  it('copies deeply: changing the copy leaves the original as it was', () => {
    const original = { a: [1, { b: 'x' }], c: null, d: { e: true } } as const;
    const copy = copyJson(structuredClone(original) as unknown as JsonValue) as {
      a: [number, { b: string }];
      d: { e: boolean };
    };
    expect(copy).toEqual(original);
    copy.a[1].b = 'changed';
    copy.d.e = false;
    expect(original.a[1].b).toBe('x');
    expect(original.d.e).toBe(true);
  });

  it('keeps a key named __proto__ as an own property, never as the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "k": 1}') as JsonValue;
    const copy = copyJson(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'k']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"polluted":true},"k":1}');
  });
});
