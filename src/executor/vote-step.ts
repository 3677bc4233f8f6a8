import { Validator } from '@cfworker/json-schema';
import type { Failure } from '../core/errors.js';
import type { DecisionEvent, ModelCallEndEvent, Unsequenced } from '../core/events.js';
import type { JsonValue } from '../core/json.js';
import type { VoteStepSpec } from '../core/spec.js';
import { VoteRuleError } from '../voting/errors.js';
import type { VoteFunctionLookup } from '../voting/functions.js';
import type { SampleCheck, VoteSample } from '../voting/red-flags.js';
import { compileVoteRule, type VoteRule, type VoteSpec } from '../voting/rule.js';
import { exhaustedError, type VoteDecision, type VoteState } from '../voting/vote.js';

/**
 * The vote step's pieces that are not engine plumbing: its rule, compiled once per plan and bound
 * per step to the registered functions and the step's input; its progress as plain JSON (part of
 * the engine snapshot); and its decisions as journal events. The engine (engine.ts) draws the
 * samples and feeds them to the voting core (voting/vote.ts) in sample-index order.
 */

/** A vote step's rule as planned: compiled with stand-ins for the registered functions it names. */
export interface PlannedVote {
  /** null when the rule does not compile (validation refuses such a spec; a journal may not). */
  readonly rule: VoteRule | null;
  readonly error: Failure | null;
  /** The registered parser and check the step names, bound per step (they also get its input). */
  readonly parser: string | null;
  readonly check: string | null;
  /** The step's output schema: a parsed sample that does not match it is flagged `rejected`. */
  readonly schema: Record<string, JsonValue> | null;
}

/** One sample requested and not yet added to the vote. Plain JSON. */
export interface PendingSample {
  index: number;
  temperature: number;
  /** The attempt number of this sample's latest call: unique within the step (its sampleKey). */
  attempt: number;
  /** Calls made for this sample; a provider error is retried up to the step's retry.maxAttempts. */
  tries: number;
  /** 'model': its call is in flight; 'timer': it waits to be retried; null: answered. */
  waiting: 'model' | 'timer' | null;
  answer: VoteSample | null;
}

/**
 * A vote step's progress, plain JSON (it is part of the snapshot): the vote so far and the samples
 * of the current batch not yet added (answers that arrived before an earlier sample wait here, so
 * samples are always added in index order). Bounded by the batch and the candidates, which the
 * sample cap bounds: never by the length of the run.
 */
export interface VoteRun {
  state: VoteState;
  pending: PendingSample[];
}

const STAND_IN_PARSER = (): never => {
  throw new Error('internal: a vote rule was used before its functions were bound');
};

export function planVote(spec: VoteStepSpec): PlannedVote {
  const parser = spec.redFlags.parser;
  const parserName = typeof parser === 'object' && 'function' in parser ? parser.function : null;
  const checkName = spec.redFlags.check ?? null;
  const voteSpec: VoteSpec = {
    k: spec.k,
    maxSamples: spec.maxSamples,
    temperature: { ...spec.temperature },
    ...(spec.maxParallel === undefined ? {} : { maxParallel: spec.maxParallel }),
    redFlags: {
      ...(spec.redFlags.maxOutputTokens === undefined
        ? {}
        : { maxOutputTokens: spec.redFlags.maxOutputTokens }),
      parser: parser,
      ...(checkName === null ? {} : { check: checkName }),
    },
  };
  const schema = spec.output?.schema ?? null;
  try {
    const rule = compileVoteRule(voteSpec, {
      parsers: parserName === null ? {} : { [parserName]: STAND_IN_PARSER },
      checks: checkName === null ? {} : { [checkName]: STAND_IN_PARSER },
    });
    return { rule, error: null, parser: parserName, check: checkName, schema };
  } catch (error) {
    if (!(error instanceof VoteRuleError)) throw error;
    return {
      rule: null,
      error: ruleFailure(error.message),
      parser: parserName,
      check: checkName,
      schema,
    };
  }
}

function ruleFailure(message: string): Failure {
  return { type: 'vote-rule', code: 'VOTE_RULE_INVALID', message, retryable: false };
}

/**
 * The rule one vote step runs: the planned rule with its named parser and check bound to the
 * registered functions and the step's input, and its output schema added to the check. The plain
 * rule itself (no functions, no schema) is shared by every step of the plan.
 */
export function bindVoteRule(
  planned: PlannedVote,
  functions: VoteFunctionLookup | undefined,
  input: JsonValue,
): VoteRule | Failure {
  if (planned.rule === null) return planned.error as Failure;
  if (planned.parser === null && planned.check === null && planned.schema === null)
    return planned.rule;
  const flags = planned.rule.redFlags;
  let parser = flags.parser;
  if (planned.parser !== null) {
    const parse = functions?.parser(planned.parser);
    if (parse === undefined)
      return ruleFailure(`no vote parser named ${JSON.stringify(planned.parser)} is registered`);
    parser = (text) => parse(text, input);
  }
  let user: SampleCheck | null = null;
  if (planned.check !== null) {
    const check = functions?.check(planned.check);
    if (check === undefined)
      return ruleFailure(`no vote check named ${JSON.stringify(planned.check)} is registered`);
    user = (value, text) => check(value, text, input);
  }
  const schema = planned.schema === null ? null : schemaCheck(planned.schema);
  const check: SampleCheck | null =
    schema !== null && user !== null
      ? (value, text) => schema(value, text) ?? user(value, text)
      : (schema ?? user);
  return { ...planned.rule, redFlags: { ...flags, parser, check } };
}

export function isFailure(value: VoteRule | Failure): value is Failure {
  return 'retryable' in value;
}

// One validator per schema object: plans are cached per spec, so schema objects are stable.
const validators = new WeakMap<object, Validator>();

function schemaCheck(schema: Record<string, JsonValue>): SampleCheck {
  return (value) => {
    let validator = validators.get(schema);
    if (!validator) {
      validator = new Validator(schema, '2020-12', false);
      validators.set(schema, validator);
    }
    const result = validator.validate(value);
    if (result.valid) return null;
    const detail = result.errors[result.errors.length - 1];
    return `does not match the output schema at ${detail?.instanceLocation ?? '#'}: ${detail?.error ?? 'invalid'}`;
  };
}

/**
 * A sample as the vote reads it: the text, and the provider's output-token count when it gave one
 * (a count of 0 for a non-empty text means it did not: the rule's own counter is used then).
 */
export function sampleOf(event: Pick<ModelCallEndEvent, 'text' | 'usage'>): VoteSample {
  const tokens = event.usage.outputTokens;
  return tokens > 0 || event.text === ''
    ? { text: event.text, outputTokens: tokens }
    : { text: event.text };
}

/** The step's failure when its vote is exhausted: VOTE_EXHAUSTED with every candidate's votes. */
export function exhaustedFailure(rule: VoteRule, state: VoteState): Failure {
  const error = exhaustedError(rule, state);
  return { type: 'vote-exhausted', code: error.code, message: error.message, retryable: false };
}

/** A voting-core decision as a journal event of the vote step at `path`. */
export function voteEvent(
  decision: VoteDecision,
  at: number,
  path: string,
): Unsequenced<DecisionEvent> {
  switch (decision.type) {
    case 'vote-flagged':
      return {
        type: decision.type,
        at,
        path,
        sample: decision.sample,
        reason: decision.reason,
        message: decision.message,
      };
    // Keys in canonical order, as the journal writes them (see engine.ts startNode).
    case 'vote-cast':
      return {
        at,
        candidate: decision.candidate,
        path,
        sample: decision.sample,
        type: decision.type,
        votes: decision.votes,
      };
    case 'vote-decided':
      return {
        at,
        candidate: decision.candidate,
        lead: decision.lead,
        path,
        samples: decision.samples,
        type: decision.type,
        votes: decision.votes,
      };
    case 'vote-exhausted':
      return {
        type: decision.type,
        at,
        path,
        samples: decision.samples,
        counts: decision.counts.map(({ key, votes }) => ({ key, votes })),
        flagged: { ...decision.flagged },
      };
  }
}

/** The key of a sample's outstanding call (or retry timer) in the engine's and driver's maps. */
export function sampleKey(path: string, sample: number): string {
  return `${path}#s${sample}`;
}
