import { MAX_DEPTH, type JsonValue } from '../core/json.js';
import { VoteRuleError } from './errors.js';

/**
 * Output parsers: a sample votes with the value its parser returns (the vote key is that value's
 * canonical JSON), and a sample its parser refuses is red-flagged and discarded. Parsers never
 * repair (research/seeds.md §2.3: "discard, never repair"): an output that needs fixing is a sign
 * the model was confused.
 */
export type ParseResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly message: string };

/** A pure function of the output text. User parsers have the same shape. */
export type OutputParser = (text: string) => ParseResult;

// ─── Strict JSON ────────────────────────────────────────────────────────────────────────────────

class JsonSyntax extends Error {}

/** `target[key] = value` as an own property, even for "__proto__" (as JSON.parse does it). */
function setOwn(target: { [key: string]: JsonValue }, key: string, value: JsonValue): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else target[key] = value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** A recursive-descent reader for RFC 8259 JSON, stricter than JSON.parse where a vote needs it. */
class StrictJsonReader {
  private at = 0;

  constructor(private readonly text: string) {}

  document(): JsonValue {
    this.space();
    const value = this.value(0);
    this.space();
    if (this.at < this.text.length) this.fail('more text after the JSON value');
    return value;
  }

  private fail(problem: string): never {
    const found = this.at < this.text.length ? JSON.stringify(this.text[this.at]) : 'the end';
    throw new JsonSyntax(`${problem} at offset ${this.at} (found ${found})`);
  }

  private space(): void {
    const text = this.text;
    while (this.at < text.length) {
      const code = text.charCodeAt(this.at);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.at++;
    }
  }

  private value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`JSON nested more than ${MAX_DEPTH} levels deep`);
    const char = this.text[this.at];
    switch (char) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) this.fail('expected a JSON value');
    this.at += word.length;
    return value;
  }

  private number(): number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('expected a JSON value');
    const value = Number(match[0]);
    // JSON.parse turns 1e400 into Infinity, which is not JSON and would vote as `null`.
    if (!Number.isFinite(value)) this.fail('a number too large for a double');
    this.at += match[0].length;
    return value;
  }

  private string(): string {
    const text = this.text;
    const start = this.at;
    let i = start + 1;
    for (;;) {
      if (i >= text.length) {
        this.at = i;
        this.fail('unterminated string');
      }
      const code = text.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) {
        this.at = i;
        this.fail('a control character inside a string');
      }
      i += code === 0x5c ? 2 : 1;
    }
    this.at = i + 1;
    try {
      // The escapes are JSON.parse's to decode: the same rules, and fast.
      return JSON.parse(text.slice(start, i + 1)) as string;
    } catch {
      this.at = start;
      return this.fail('an invalid escape in a string');
    }
  }

  private array(depth: number): JsonValue[] {
    const out: JsonValue[] = [];
    this.at++;
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.space();
      const char = this.text[this.at];
      this.at++;
      if (char === ']') return out;
      if (char !== ',') {
        this.at--;
        this.fail('expected , or ] in an array');
      }
      this.space();
    }
  }

  private object(depth: number): { [key: string]: JsonValue } {
    const out: { [key: string]: JsonValue } = {};
    this.at++;
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      if (this.text[this.at] !== '"') this.fail('expected a string key');
      const keyAt = this.at;
      const key = this.string();
      if (Object.hasOwn(out, key)) {
        this.at = keyAt;
        this.fail(`duplicate key ${JSON.stringify(key)}`);
      }
      this.space();
      if (this.text[this.at] !== ':') this.fail('expected : after a key');
      this.at++;
      this.space();
      const value = this.value(depth + 1);
      setOwn(out, key, value);
      this.space();
      const char = this.text[this.at];
      this.at++;
      if (char === '}') return out;
      if (char !== ',') {
        this.at--;
        this.fail('expected , or } in an object');
      }
      this.space();
    }
  }
}

/**
 * The built-in strict JSON parser: the whole output must be exactly one JSON value (whitespace
 * around it is allowed, as JSON allows it). Unlike JSON.parse it refuses duplicate keys (which
 * value did the model mean?) and numbers beyond a double's range, and it never strips a Markdown
 * fence or a sentence around the value: such an output is flagged.
 */
export function parseStrictJson(text: string): ParseResult {
  try {
    return { ok: true, value: new StrictJsonReader(text).document() };
  } catch (error) {
    if (error instanceof JsonSyntax)
      return { ok: false, message: `not one JSON value: ${error.message}` };
    throw error;
  }
}

export const strictJsonParser: OutputParser = parseStrictJson;

// ─── Regex with groups ──────────────────────────────────────────────────────────────────────────

const ALLOWED_FLAGS = new Set(['i', 's', 'u', 'v', 'd']);

/**
 * The built-in regex parser. The pattern must match the *whole* output (it is compiled as
 * `^(?:pattern)$`; the `m` flag, which would let that match a single line, is refused, as are `g`
 * and `y`). The value is an object of the named groups (an unmatched optional group is null) when
 * the pattern has named groups, else the array of numbered groups, else the matched text. Values are
 * strings as matched: `"07"` and `"7"` are different votes.
 */
export function regexParser(pattern: string, flags = '', at = 'parser.regex'): OutputParser {
  for (const flag of flags) {
    if (!ALLOWED_FLAGS.has(flag)) {
      throw new VoteRuleError(
        `${at}.flags`,
        `flag ${JSON.stringify(flag)} is not allowed`,
        flag === 'm'
          ? 'the pattern must match the whole output; match line breaks with \\n or the s flag instead of m'
          : 'use only the flags i, s, u, v, d',
        flags,
      );
    }
  }
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${pattern})$`, flags);
  } catch (error) {
    throw new VoteRuleError(
      at,
      `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`,
      'write the pattern in JavaScript RegExp syntax; name the groups to vote on with (?<name>…)',
      pattern,
    );
  }
  return (text) => {
    const match = regex.exec(text);
    if (match === null)
      return { ok: false, message: `the output does not match /${pattern}/${flags} as a whole` };
    if (match.groups !== undefined) {
      const value: { [key: string]: JsonValue } = {};
      for (const name of Object.keys(match.groups)) setOwn(value, name, match.groups[name] ?? null);
      return { ok: true, value };
    }
    if (match.length > 1) {
      const groups: JsonValue[] = [];
      for (let i = 1; i < match.length; i++) groups.push(match[i] ?? null);
      return { ok: true, value: groups };
    }
    return { ok: true, value: match[0] };
  };
}
