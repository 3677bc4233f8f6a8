import { isJsonObject, type JsonValue } from '../core/json.js';
import { VoteRuleError } from './errors.js';
import { regexParser, strictJsonParser, type OutputParser } from './parsers.js';
import type { RedFlags, SampleCheck } from './red-flags.js';
import { estimateTokens, type TokenCounter } from './tokens.js';

/**
 * A vote rule: everything that decides a vote, compiled from plain data (`VoteSpec`, what a `vote`
 * step will hold in YAML and journal in run-start) plus named user functions.
 */

export interface SamplingPlan {
  /** Temperature of sample 0 (the paper: 0, so the model's best guess is among the votes). */
  readonly firstTemperature: number;
  /** Temperature of every later sample (the paper: 0.1). */
  readonly laterTemperature: number;
  /** At most this many samples requested at once; null: as many as the next batch needs. */
  readonly maxParallel: number | null;
}

export interface VoteRule {
  /** The lead that decides: first-to-ahead-by-k. */
  readonly k: number;
  /** Samples drawn (flagged ones included) before the vote is exhausted. */
  readonly maxSamples: number;
  readonly sampling: SamplingPlan;
  readonly redFlags: RedFlags;
}

export const SAMPLING_DEFAULTS: SamplingPlan = {
  firstTemperature: 0,
  laterTemperature: 0.1,
  maxParallel: null,
};

/** The parser, as data: the built-in strict JSON parser, a regex with groups, or a named function. */
export type ParserSpec = 'json' | { regex: string; flags?: string } | { function: string };

export interface RedFlagSpec {
  /** Flag samples longer than this many output tokens. Absent: no limit. */
  maxOutputTokens?: number;
  /** Default 'json'. */
  parser?: ParserSpec;
  /** The name of a registered SampleCheck run on each parsed sample. */
  check?: string;
}

export interface VoteSpec {
  k: number;
  maxSamples: number;
  temperature?: { first?: number; later?: number };
  maxParallel?: number;
  redFlags?: RedFlagSpec;
}

/** The user functions a spec may name, registered with the runtime like tools. */
export interface VoteFunctions {
  readonly parsers?: Readonly<Record<string, OutputParser>>;
  readonly checks?: Readonly<Record<string, SampleCheck>>;
  /** The token counter for samples that carry no provider count (default estimateTokens). */
  readonly countTokens?: TokenCounter;
}

function whole(value: unknown, min: number, at: string, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new VoteRuleError(
      at,
      `${what} must be a whole number of at least ${min}`,
      `set ${at} to a whole number ≥ ${min}`,
      value,
    );
  }
  return value;
}

function temperature(value: unknown, fallback: number, at: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new VoteRuleError(
      at,
      'a temperature must be a finite number ≥ 0',
      `set ${at} to e.g. 0.1`,
      value,
    );
  }
  return value;
}

function named<T>(
  table: Readonly<Record<string, T>> | undefined,
  name: string,
  at: string,
  what: string,
): T {
  const found = table !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
  if (found === undefined) {
    const known = table === undefined ? [] : Object.keys(table);
    throw new VoteRuleError(
      at,
      `no ${what} named ${JSON.stringify(name)} is registered`,
      known.length === 0
        ? `register a ${what} function with that name`
        : `registered: ${known.join(', ')}`,
      name,
    );
  }
  return found;
}

function compileParser(
  spec: ParserSpec | undefined,
  functions: VoteFunctions,
  at: string,
): OutputParser {
  if (spec === undefined || spec === 'json') return strictJsonParser;
  const value = spec as JsonValue;
  if (
    isJsonObject(value) &&
    typeof value.regex === 'string' &&
    Object.keys(value).every((key) => key === 'regex' || key === 'flags')
  ) {
    if (value.flags !== undefined && typeof value.flags !== 'string') {
      throw new VoteRuleError(
        `${at}.flags`,
        'regex flags must be a string',
        'e.g. flags: "i"',
        value.flags,
      );
    }
    return regexParser(value.regex, value.flags, `${at}.regex`);
  }
  if (
    isJsonObject(value) &&
    typeof value.function === 'string' &&
    Object.keys(value).length === 1
  ) {
    return named(functions.parsers, value.function, `${at}.function`, 'parser');
  }
  throw new VoteRuleError(
    at,
    'the parser must be "json", { regex, flags? } or { function }',
    'use the strict JSON parser, a regex whose named groups make the vote, or a registered function',
    spec,
  );
}

/** Compiles a vote spec; every problem is a VoteRuleError (VOTE_RULE_INVALID) naming its path. */
export function compileVoteRule(
  spec: VoteSpec,
  functions: VoteFunctions = {},
  at = 'vote',
): VoteRule {
  const k = whole(spec.k, 1, `${at}.k`, 'k');
  const maxSamples = whole(spec.maxSamples, 1, `${at}.maxSamples`, 'maxSamples');
  if (maxSamples < k) {
    throw new VoteRuleError(
      `${at}.maxSamples`,
      `a cap of ${maxSamples} samples can never give one answer a lead of ${k}`,
      `set maxSamples to at least k (${k}); a few times k leaves room for disagreement and red flags`,
      maxSamples,
    );
  }
  const flags = spec.redFlags ?? {};
  const maxOutputTokens =
    flags.maxOutputTokens === undefined
      ? null
      : whole(flags.maxOutputTokens, 1, `${at}.redFlags.maxOutputTokens`, 'maxOutputTokens');
  return {
    k,
    maxSamples,
    sampling: {
      firstTemperature: temperature(
        spec.temperature?.first,
        SAMPLING_DEFAULTS.firstTemperature,
        `${at}.temperature.first`,
      ),
      laterTemperature: temperature(
        spec.temperature?.later,
        SAMPLING_DEFAULTS.laterTemperature,
        `${at}.temperature.later`,
      ),
      maxParallel:
        spec.maxParallel === undefined
          ? null
          : whole(spec.maxParallel, 1, `${at}.maxParallel`, 'maxParallel'),
    },
    redFlags: {
      maxOutputTokens,
      countTokens: functions.countTokens ?? estimateTokens,
      parser: compileParser(flags.parser, functions, `${at}.redFlags.parser`),
      check:
        flags.check === undefined
          ? null
          : named(functions.checks, flags.check, `${at}.redFlags.check`, 'check'),
    },
  };
}
