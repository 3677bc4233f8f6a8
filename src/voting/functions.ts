import { SwitchyardError } from '../core/errors.js';
import type { JsonValue } from '../core/json.js';
import type { ParseResult } from './parsers.js';

/**
 * User parsers and checks for vote steps, registered with the runtime like tools and named by a
 * step's `redFlags` (`parser: { function: hanoi }`, `check: no-empty`). Each also receives the vote
 * step's resolved input, so one registered function can serve steps that differ only in their data
 * (the Hanoi parser reads the disk count from it). They must be pure functions of their arguments:
 * replay re-runs them on the journaled samples and requires the same decisions, so a run journals
 * the names and versions it used in `run-start` (a changed function is reported on resume).
 */

/** `(text, input)` → the parsed value, or why the output is refused (flagged `unparseable`). */
export type VoteParserFunction = (text: string, input: JsonValue) => ParseResult;

/** `(value, text, input)` → a message to flag the sample with (`rejected`), or null to let it vote. */
export type VoteCheckFunction = (value: JsonValue, text: string, input: JsonValue) => string | null;

export interface VoteParserDefinition {
  readonly kind: 'parser';
  readonly name: string;
  /** Recorded in run-start; a run resumed under another version is warned about. */
  readonly version?: string;
  readonly description?: string;
  readonly parse: VoteParserFunction;
}

export interface VoteCheckDefinition {
  readonly kind: 'check';
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  readonly check: VoteCheckFunction;
}

/**
 * `(value, text, input)` → a cascade stage's score, 0..1 (docs/models.md#cascade): `value` is the
 * parsed answer (the text itself when the step declares no output schema). Pure, like the others.
 */
export type CascadeScorerFunction = (value: JsonValue, text: string, input: JsonValue) => number;

export interface CascadeScorerDefinition {
  readonly kind: 'scorer';
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  readonly score: CascadeScorerFunction;
}

/**
 * `(prompt, input)` → a domain label for model routing's `domain` signals (docs/models.md#routing).
 * Pure, like the others: replay asks it again and must get the same label.
 */
export type DomainClassifierFunction = (prompt: string, input: JsonValue) => string;

export interface DomainClassifierDefinition {
  readonly kind: 'classifier';
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  readonly classify: DomainClassifierFunction;
}

export type VoteFunctionDefinition =
  VoteParserDefinition | VoteCheckDefinition | CascadeScorerDefinition | DomainClassifierDefinition;

/** A parser for `redFlags.parser: { function: <name> }`. */
export function defineVoteParser(
  definition: Omit<VoteParserDefinition, 'kind'>,
): VoteParserDefinition {
  return { ...definition, kind: 'parser' };
}

/** A check for `redFlags.check: <name>`. */
export function defineVoteCheck(
  definition: Omit<VoteCheckDefinition, 'kind'>,
): VoteCheckDefinition {
  return { ...definition, kind: 'check' };
}

/** A scorer for a cascade stage's `scorer: { kind: function, name }`. */
export function defineCascadeScorer(
  definition: Omit<CascadeScorerDefinition, 'kind'>,
): CascadeScorerDefinition {
  return { ...definition, kind: 'scorer' };
}

/** A classifier for model routing's `routing.classifier: <name>`. */
export function defineDomainClassifier(
  definition: Omit<DomainClassifierDefinition, 'kind'>,
): DomainClassifierDefinition {
  return { ...definition, kind: 'classifier' };
}

/** True for a value that is a vote function definition (how tool modules are scanned for them). */
export function isVoteFunction(value: unknown): value is VoteFunctionDefinition {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { name?: unknown; kind?: unknown; parse?: unknown; check?: unknown };
  if (typeof candidate.name !== 'string') return false;
  return (
    (candidate.kind === 'parser' && typeof candidate.parse === 'function') ||
    (candidate.kind === 'check' && typeof candidate.check === 'function') ||
    (candidate.kind === 'scorer' && typeof (value as { score?: unknown }).score === 'function') ||
    (candidate.kind === 'classifier' &&
      typeof (value as { classify?: unknown }).classify === 'function')
  );
}

/** What the engine looks vote functions up in. */
export interface VoteFunctionLookup {
  parser(name: string): VoteParserFunction | undefined;
  check(name: string): VoteCheckFunction | undefined;
  /** Cascade scorers (optional, so lookups written before them still fit). */
  scorer?(name: string): CascadeScorerFunction | undefined;
  /** Domain classifiers for model routing (optional, like scorers). */
  classifier?(name: string): DomainClassifierFunction | undefined;
}

/** Vote parsers and checks by name; one name space for both kinds, like tools. */
export class VoteFunctionRegistry implements VoteFunctionLookup {
  private readonly byName = new Map<string, VoteFunctionDefinition>();

  constructor(definitions: readonly VoteFunctionDefinition[] = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: VoteFunctionDefinition): this {
    if (this.byName.has(definition.name)) {
      throw new SwitchyardError(
        'VOTE_FUNCTION_DUPLICATE',
        `a vote function named ${JSON.stringify(definition.name)} is already registered`,
        { hint: 'give each vote parser and check its own name' },
      );
    }
    this.byName.set(definition.name, definition);
    return this;
  }

  get(name: string): VoteFunctionDefinition | undefined {
    return this.byName.get(name);
  }

  parser(name: string): VoteParserFunction | undefined {
    const found = this.byName.get(name);
    return found?.kind === 'parser' ? found.parse : undefined;
  }

  check(name: string): VoteCheckFunction | undefined {
    const found = this.byName.get(name);
    return found?.kind === 'check' ? found.check : undefined;
  }

  scorer(name: string): CascadeScorerFunction | undefined {
    const found = this.byName.get(name);
    return found?.kind === 'scorer' ? found.score : undefined;
  }

  classifier(name: string): DomainClassifierFunction | undefined {
    const found = this.byName.get(name);
    return found?.kind === 'classifier' ? found.classify : undefined;
  }

  /** Registered names of one kind, sorted. */
  names(kind: VoteFunctionDefinition['kind']): string[] {
    return [...this.byName.values()]
      .filter((definition) => definition.kind === kind)
      .map((definition) => definition.name)
      .sort();
  }
}
