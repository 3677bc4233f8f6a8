import { describe, expect, it } from 'vitest';
import {
  compileVoteRule,
  estimateTokens,
  parseStrictJson,
  regexParser,
  VoteRuleError,
  type ParseResult,
} from '../../src/voting/index.js';

const ok = (value: unknown): ParseResult => ({ ok: true, value: value as never });

describe('strict JSON parser', () => {
  it.each([
    ['{"a":1}', { a: 1 }],
    ['  [1, 2.5, -3e2, true, false, null]\n', [1, 2.5, -300, true, false, null]],
    ['"\\u00e9\\n"', 'é\n'],
    ['0', 0],
    ['{"a":{"b":[{}]}}', { a: { b: [{}] } }],
  ])('accepts exactly one JSON value: %s', (text, value) => {
    expect(parseStrictJson(text)).toEqual(ok(value));
  });

  it.each([
    ['', /expected a JSON value at offset 0/],
    ['{"a":1} extra', /more text after the JSON value at offset 8/],
    ['```json\n{"a":1}\n```', /expected a JSON value at offset 0/],
    ['The answer is {"a":1}', /expected a JSON value/],
    ['{"a":1,"a":2}', /duplicate key "a"/],
    ['1e400', /too large for a double/],
    ["{'a':1}", /expected a string key/],
    ['[1,]', /expected a JSON value/],
    ['01', /more text after the JSON value/],
    ['"tab\there"', /control character/],
    ['"\\x"', /invalid escape/],
    ['[1 2]', /expected , or \]/],
    ['{"a" 1}', /expected : after a key/],
    ['"open', /unterminated string/],
    ['NaN', /expected a JSON value/],
  ])('refuses %j', (text, message) => {
    const result = parseStrictJson(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  it('agrees with JSON.parse on what both accept', () => {
    for (const text of ['{"b":1,"a":[true,{"c":"d"}]}', '-0.5e-3', '"\\ud83d\\ude00"', '[[],{}]']) {
      expect(parseStrictJson(text)).toEqual(ok(JSON.parse(text)));
    }
  });

  it('keeps "__proto__" as an own key, as JSON.parse does', () => {
    const result = parseStrictJson('{"__proto__":{"x":1}}');
    expect(result.ok && Object.hasOwn(result.value as object, '__proto__')).toBe(true);
    expect(({} as { x?: number }).x).toBeUndefined();
  });

  it('refuses nesting beyond MAX_DEPTH instead of overflowing the stack', () => {
    const result = parseStrictJson('['.repeat(600) + ']'.repeat(600));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/nested more than 512/);
  });
});

describe('regex parser', () => {
  it('named groups make an object; the whole output must match', () => {
    const parse = regexParser(
      String.raw`move (?<disk>\d+) from (?<from>\d) to (?<to>\d)(?<note> !)?`,
    );
    expect(parse('move 3 from 0 to 2')).toEqual(ok({ disk: '3', from: '0', to: '2', note: null }));
    expect(parse('move 3 from 0 to 2 !')).toEqual(
      ok({ disk: '3', from: '0', to: '2', note: ' !' }),
    );
    expect(parse('I think: move 3 from 0 to 2').ok).toBe(false);
    expect(parse('move 3 from 0 to 2\n').ok).toBe(false);
  });

  it('a full match is found even when an alternative matches a prefix first', () => {
    expect(regexParser('a|ab')('ab')).toEqual(ok('ab'));
  });

  it('without named groups: the numbered groups, else the matched text', () => {
    expect(regexParser(String.raw`(\d+)-(\d+)?`)('12-')).toEqual(ok(['12', null]));
    expect(regexParser('yes|no', 'i')('YES')).toEqual(ok('YES'));
  });

  it('the s flag lets a pattern span lines', () => {
    expect(regexParser('(?<a>.+)', 's')('x\ny')).toEqual(ok({ a: 'x\ny' }));
  });

  it.each([
    ['m', /flag "m" is not allowed/],
    ['g', /flag "g" is not allowed/],
  ])('refuses the %s flag', (flags, message) => {
    expect(() => regexParser('x', flags)).toThrow(message);
  });

  it('an invalid pattern is VOTE_RULE_INVALID', () => {
    expect(() => regexParser('(unclosed')).toThrow(VoteRuleError);
  });
});

describe('compiling a vote rule', () => {
  it('defaults: strict JSON, no length limit, temperatures 0 then 0.1', () => {
    const rule = compileVoteRule({ k: 3, maxSamples: 20 });
    expect(rule.redFlags.maxOutputTokens).toBeNull();
    expect(rule.redFlags.parser('{"a":1}')).toEqual(ok({ a: 1 }));
    expect(rule.sampling).toEqual({
      firstTemperature: 0,
      laterTemperature: 0.1,
      maxParallel: null,
    });
  });

  it('a regex or a registered function as the parser', () => {
    const regex = compileVoteRule({
      k: 1,
      maxSamples: 1,
      redFlags: { parser: { regex: '(?<n>\\d+)' } },
    });
    expect(regex.redFlags.parser('42')).toEqual(ok({ n: '42' }));
    const named = compileVoteRule(
      { k: 1, maxSamples: 1, redFlags: { parser: { function: 'upper' } } },
      { parsers: { upper: (text) => ok(text.toUpperCase()) } },
    );
    expect(named.redFlags.parser('x')).toEqual(ok('X'));
  });

  it.each([
    [{ k: 0, maxSamples: 3 }, 'vote.k', /whole number of at least 1/],
    [{ k: 2.5, maxSamples: 3 }, 'vote.k', /whole number/],
    [{ k: 3, maxSamples: 2 }, 'vote.maxSamples', /can never give one answer a lead of 3/],
    [{ k: 1, maxSamples: 1, temperature: { later: -1 } }, 'vote.temperature.later', /temperature/],
    [{ k: 1, maxSamples: 1, maxParallel: 0 }, 'vote.maxParallel', /at least 1/],
    [
      { k: 1, maxSamples: 1, redFlags: { maxOutputTokens: 0 } },
      'vote.redFlags.maxOutputTokens',
      /at least 1/,
    ],
    [
      { k: 1, maxSamples: 1, redFlags: { parser: 'yaml' } },
      'vote.redFlags.parser',
      /must be "json"/,
    ],
    [
      { k: 1, maxSamples: 1, redFlags: { parser: { function: 'nope' } } },
      'vote.redFlags.parser.function',
      /no parser named "nope"/,
    ],
    [
      { k: 1, maxSamples: 1, redFlags: { check: 'nope' } },
      'vote.redFlags.check',
      /no check named "nope"/,
    ],
    [
      { k: 1, maxSamples: 1, redFlags: { parser: { regex: 'x', flags: 'm' } } },
      'vote.redFlags.parser.regex.flags',
      /flag "m"/,
    ],
  ])('%j is VOTE_RULE_INVALID at %s', (spec, path, message) => {
    try {
      compileVoteRule(spec as never);
      throw new Error('compiled');
    } catch (error) {
      expect(error).toBeInstanceOf(VoteRuleError);
      expect((error as VoteRuleError).code).toBe('VOTE_RULE_INVALID');
      expect((error as VoteRuleError).path).toBe(path);
      expect((error as VoteRuleError).message).toMatch(message);
    }
  });
});

describe('token estimate', () => {
  it('counts letter runs of up to 6, digit runs of up to 3, and every other non-space character', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('move = [1, 0, 2]')).toBe(9);
    expect(estimateTokens('reconsidering')).toBe(3);
    expect(estimateTokens('1048575')).toBe(3);
    expect(estimateTokens('é 😀')).toBe(3);
  });

  it('is the number of matches of /[A-Za-z]{1,6}|\\d{1,3}|\\S/g', () => {
    const alphabet = 'ab Z9 0\t\n.,[]é\u00a0\u2003x';
    let seed = 7;
    for (let n = 0; n < 500; n++) {
      let text = '';
      for (let i = 0; i < n % 40; i++) {
        seed = (seed * 48271) % 2147483647;
        text += alphabet.charAt(seed % alphabet.length);
      }
      expect(estimateTokens(text)).toBe(text.match(/[A-Za-z]{1,6}|\d{1,3}|\S/g)?.length ?? 0);
    }
  });
});
