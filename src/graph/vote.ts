import type { VoteStepSpec } from '../core/spec.js';
import { VoteRuleError } from '../voting/errors.js';
import { compileVoteRule, type VoteSpec } from '../voting/rule.js';
import { formatPath, type PathSegment, type SpecIssue } from './issues.js';

/**
 * A vote step's rule, checked by the voting core itself (compileVoteRule) so the spec and the
 * engine can never disagree on what is valid: maxSamples ≥ k, a regex parser that compiles with
 * accepted flags. The vote fields sit at the step's top level exactly as in a VoteSpec, so the
 * core's paths (`<at>.maxSamples`, `<at>.redFlags.parser.regex`) are paths into this document.
 *
 * User parsers and checks are named here, registered with the runtime: whether a name is
 * registered is checked when a run starts (VOTE_RULE_INVALID naming the step), not here.
 */
export function validateVote(step: VoteStepSpec, at: readonly PathSegment[]): SpecIssue[] {
  const parser = step.redFlags.parser;
  const spec: VoteSpec = {
    k: step.k,
    maxSamples: step.maxSamples,
    temperature: { ...step.temperature },
    ...(step.maxParallel === undefined ? {} : { maxParallel: step.maxParallel }),
    redFlags: {
      ...(step.redFlags.maxOutputTokens === undefined
        ? {}
        : { maxOutputTokens: step.redFlags.maxOutputTokens }),
      // A registered function is looked up at run start; stand the JSON parser in for it here.
      parser: typeof parser === 'object' && 'function' in parser ? 'json' : parser,
    },
  };
  const where = formatPath(at);
  try {
    compileVoteRule(spec, {}, where);
    return [];
  } catch (error) {
    if (!(error instanceof VoteRuleError)) throw error;
    const reported = error.path ?? where;
    const prefix = `${reported}: `;
    // The core names a regex's flags `…parser.regex.flags`; in the document they sit beside `regex`.
    const path = reported.endsWith('.regex.flags') ? `${reported.slice(0, -12)}.flags` : reported;
    const issue: SpecIssue = {
      code: 'VOTE_RULE_INVALID',
      message: error.message.startsWith(prefix)
        ? error.message.slice(prefix.length)
        : error.message,
      path,
    };
    if (error.value !== undefined) issue.value = error.value;
    if (error.hint !== undefined) issue.hint = error.hint;
    return [issue];
  }
}
