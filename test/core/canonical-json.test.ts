// canonicalJson takes short cuts (the native serializer when keys are already in order, a walk
// without key lists when nothing needs reordering); whatever path it takes, its text must be the
// RFC 8785 text a plain sorted writer produces.
import { describe, expect, it } from 'vitest';
import { canonicalJson, sameAsCanonical, type JsonValue } from '../../src/core/json.js';

/** The specification, written as plainly as possible: keys sorted by UTF-16 code units. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => reference(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(',')}}`;
}

/** A seeded generator of JSON values whose objects list their keys in a random order. */
function generator(seed: number): () => JsonValue {
  let state = seed;
  const next = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const keyPool = ['a', 'b', 'B', 'z', 'é', '10', '9', '_x', 'seq', 'type', 'at', 'path', ''];
  const value = (depth: number): JsonValue => {
    const r = next();
    if (depth > 3 || r < 0.35) {
      const leaf = next();
      if (leaf < 0.25) return Math.floor(next() * 1000) - 500;
      if (leaf < 0.5) return next() < 0.5;
      if (leaf < 0.6) return null;
      return `s${Math.floor(next() * 100)}\u2028"`;
    }
    if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const keys = keyPool.filter(() => next() < 0.4);
    // Sorted most of the time, as the engine builds them, shuffled otherwise.
    if (next() < 0.3) keys.sort(() => next() - 0.5);
    else keys.sort();
    const out: Record<string, JsonValue> = {};
    for (const key of keys) out[key] = value(depth + 1);
    return out;
  };
  return () => value(0);
}

describe('canonicalJson', () => {
  it('matches a plain sorted writer on 2,000 random values, sorted and shuffled', () => {
    const next = generator(42);
    for (let i = 0; i < 2000; i++) {
      const value = next();
      expect(canonicalJson(value)).toBe(reference(value));
    }
  });

  it('reorders a shuffled object nested inside an ordered one, without changing the input', () => {
    const inner = { b: 1, a: 2 };
    const value = { a: { y: [inner], x: 1 }, b: 'ok' };
    expect(canonicalJson(value)).toBe('{"a":{"x":1,"y":[{"a":2,"b":1}]},"b":"ok"}');
    expect(Object.keys(inner)).toEqual(['b', 'a']);
  });

  it('sorts integer-like keys as strings, not in the order objects list them', () => {
    expect(canonicalJson({ 9: 'nine', 10: 'ten', a: 'a' })).toBe('{"10":"ten","9":"nine","a":"a"}');
  });

  it('leaves out keys whose value is undefined, on every path', () => {
    const ordered = { a: undefined, b: 1 } as unknown as JsonValue;
    const shuffled = { b: 1, a: undefined } as unknown as JsonValue;
    expect(canonicalJson(ordered)).toBe('{"b":1}');
    expect(canonicalJson(shuffled)).toBe('{"b":1}');
  });

  it('keeps an own __proto__ key as data', () => {
    const value = JSON.parse('{"__proto__":{"x":1},"a":2}') as JsonValue;
    expect(canonicalJson(value)).toBe('{"__proto__":{"x":1},"a":2}');
  });

  it('is not fooled by an enumerable property inherited from Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    let texts: string[];
    proto.polluted = 1;
    try {
      texts = [canonicalJson({ b: 1, c: 2 }), canonicalJson({ c: 2, b: 1 })];
    } finally {
      delete proto.polluted;
    }
    expect(texts).toEqual(['{"b":1,"c":2}', '{"b":1,"c":2}']);
  });
});

/** A copy of `value` with one random change somewhere inside it (seeded). */
function mutated(value: JsonValue, draw: () => number): JsonValue {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number') return value + 1;
    if (typeof value === 'string') return `${value}!`;
    return typeof value === 'boolean' ? !value : 0;
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length === 0 || draw() < 0.3) copy.push(null);
    else {
      const i = Math.floor(draw() * copy.length);
      copy[i] = mutated(copy[i] as JsonValue, draw);
    }
    return copy;
  }
  const copy: Record<string, JsonValue> = { ...value };
  const keys = Object.keys(copy);
  const r = draw();
  if (keys.length === 0 || r < 0.2) copy.added = 1;
  else if (r < 0.4) delete copy[keys[Math.floor(draw() * keys.length)] as string];
  else {
    const key = keys[Math.floor(draw() * keys.length)] as string;
    copy[key] = mutated(copy[key] as JsonValue, draw);
  }
  return copy;
}

describe('sameAsCanonical', () => {
  it('agrees with comparing canonical texts on 2,000 random values and changed copies', () => {
    const next = generator(7);
    let state = 99;
    const draw = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    let different = 0;
    for (let i = 0; i < 2000; i++) {
      const value = next();
      const canonical = JSON.parse(canonicalJson(value)) as unknown;
      expect(sameAsCanonical(value, canonical)).toBe(true);
      const changed = mutated(value, draw);
      const same = canonicalJson(changed) === canonicalJson(value);
      if (!same) different++;
      expect(sameAsCanonical(changed, canonical)).toBe(same);
    }
    expect(different).toBeGreaterThan(1500);
  });

  it('reads undefined keys and -0 as canonical JSON writes them', () => {
    expect(sameAsCanonical({ b: 1, a: undefined }, { b: 1 })).toBe(true);
    expect(sameAsCanonical({ n: -0 }, JSON.parse(canonicalJson({ n: -0 })))).toBe(true);
    expect(sameAsCanonical({ b: 1 }, { b: 1, a: null })).toBe(false);
  });

  it('never matches what it does not recognise', () => {
    for (const odd of [
      { d: new Date(0) },
      { n: Number.NaN },
      { n: Infinity },
      [undefined],
      { f: () => 1 },
      new (class Box {
        x = 1;
      })(),
    ])
      // Against what the native serializer would make of it: close, but never trusted.
      expect(sameAsCanonical(odd, JSON.parse(JSON.stringify(odd)) as unknown)).toBe(false);
  });

  it('does not match an object whose key is inherited from Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 1;
    try {
      expect(sameAsCanonical({ b: 1 }, { b: 1 })).toBe(false);
    } finally {
      delete proto.polluted;
    }
  });
});
