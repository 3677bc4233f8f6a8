import { assertJson, canonicalJson, MAX_DEPTH, type JsonValue } from '../core/json.js';
import type { OutputParser } from './parsers.js';
import type { TokenCounter } from './tokens.js';

/**
 * Red flags (MAKER §3.3; research/seeds.md §2.3): a sample whose *form* suggests the model was
 * confused is discarded before it votes, and never repaired. Checked in this order, the first one
 * that fires names the reason:
 *
 * 1. `too-long`: more than `maxOutputTokens` output tokens (the paper: 750; error rates rise
 *    "precipitously" past about 700);
 * 2. `unparseable`: the parser refused the output (or threw);
 * 3. `rejected`: the user's check refused the parsed value (or threw).
 */
export const FLAG_REASONS = ['too-long', 'unparseable', 'rejected'] as const;
export type FlagReason = (typeof FLAG_REASONS)[number];
export type FlagCounts = { readonly [reason in FlagReason]: number };

export const NO_FLAGS: FlagCounts = { 'too-long': 0, unparseable: 0, rejected: 0 };

/** A user hook run on a parsed sample: a message to flag it with, or null to let it vote. */
export type SampleCheck = (value: JsonValue, text: string) => string | null;

export interface RedFlags {
  /** null: no length limit. */
  readonly maxOutputTokens: number | null;
  /** Used when a sample does not carry the provider's own count. */
  readonly countTokens: TokenCounter;
  readonly parser: OutputParser;
  readonly check: SampleCheck | null;
}

/** One model answer, as the engine journals it. */
export interface VoteSample {
  readonly text: string;
  /** The provider's output-token count, when it reported one; preferred over `countTokens`. */
  readonly outputTokens?: number;
}

export type Screened =
  | { readonly ok: true; readonly value: JsonValue; readonly key: string }
  | { readonly ok: false; readonly reason: FlagReason; readonly message: string };

/**
 * True when `value` is JSON that canonicalJson writes faithfully: the fast check run on every
 * sample; assertJson (which builds a path for every node) only runs to explain a failure.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth > MAX_DEPTH) return false;
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) if (!isPlainJson(item, depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key of Object.keys(value))
        if (!isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

function thrown(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Applies the red flags to one sample: either the reason it is discarded, or the parsed value and
 * its vote key (the value's RFC 8785 canonical JSON, so `{"a":1,"b":2}` and `{ "b": 2, "a": 1 }`
 * are one vote). A pure function of (flags, sample) as long as the parser and check are.
 *
 * A parser that returns something that is not JSON is a bug in the parser, not a confused model:
 * that throws (VALUE_NOT_JSON) instead of flagging.
 */
export function screenSample(flags: RedFlags, sample: VoteSample): Screened {
  if (flags.maxOutputTokens !== null) {
    const tokens = sample.outputTokens ?? flags.countTokens(sample.text);
    if (tokens > flags.maxOutputTokens) {
      return {
        ok: false,
        reason: 'too-long',
        message: `${tokens} output tokens, more than the limit of ${flags.maxOutputTokens}`,
      };
    }
  }
  let parsed;
  try {
    parsed = flags.parser(sample.text);
  } catch (error) {
    return { ok: false, reason: 'unparseable', message: `the parser threw: ${thrown(error)}` };
  }
  if (!parsed.ok) return { ok: false, reason: 'unparseable', message: parsed.message };
  const value = parsed.value;
  if (!isPlainJson(value, 0)) assertJson(value, '$parsed'); // throws, naming the offending path
  if (flags.check !== null) {
    let problem: string | null;
    try {
      problem = flags.check(value, sample.text);
    } catch (error) {
      problem = `the check threw: ${thrown(error)}`;
    }
    if (problem !== null) return { ok: false, reason: 'rejected', message: problem };
  }
  return { ok: true, value, key: canonicalJson(value) };
}
