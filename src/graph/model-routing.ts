import type { JsonValue } from '../core/json.js';
import type { RoutingSpec } from '../core/spec.js';
import { formatPath, type PathSegment, type SpecIssue } from './issues.js';

/**
 * The checks of a workflow's model routing (docs/models.md#routing) that zod cannot make: exactly
 * one default decision and no condition on it, distinct decision names, conditions that name
 * declared signals, regexes that compile without stateful flags, and a classifier for domain
 * signals. Paths are into the document (`routing.decisions[2].when.any[0]`). Whether the models
 * and the classifier are configured is checked when a run starts.
 */
export function validateRouting(spec: RoutingSpec, at: readonly PathSegment[]): SpecIssue[] {
  return routingIssues(spec).map(({ path, message, expected, value }) => ({
    code: 'SPEC_ROUTING_INVALID',
    path: formatPath([...at, 'routing', ...path]),
    message,
    expected,
    ...(value === undefined ? {} : { value }),
  }));
}

interface RoutingIssue {
  /** Path segments below `routing`. */
  path: Array<string | number>;
  message: string;
  expected: string;
  value?: JsonValue;
}

/** Semantic checks zod cannot make: one default, known signal names, regexes that compile. */
function routingIssues(spec: RoutingSpec): RoutingIssue[] {
  const issues: RoutingIssue[] = [];
  const defaults = spec.decisions
    .map((decision, index) => ({ decision, index }))
    .filter(({ decision }) => decision.default === true);
  if (defaults.length !== 1)
    issues.push({
      path: ['decisions'],
      message:
        defaults.length === 0
          ? 'no decision is the default'
          : `${defaults.length} decisions are marked default`,
      expected: 'exactly one decision with default: true, taken when no other matches',
    });
  for (const { decision, index } of defaults)
    if (decision.when !== undefined)
      issues.push({
        path: ['decisions', index, 'when'],
        message: 'the default decision has a condition',
        expected: 'no when on the default decision: it is taken when nothing else matches',
      });
  const names = new Set<string>();
  spec.decisions.forEach((decision, index) => {
    if (names.has(decision.name))
      issues.push({
        path: ['decisions', index, 'name'],
        message: `decision name "${decision.name}" is used twice`,
        expected: 'a name per decision (it is journaled)',
        value: decision.name,
      });
    names.add(decision.name);
    for (const key of ['all', 'any', 'not'] as const)
      (decision.when?.[key] ?? []).forEach((signal, at) => {
        if (!Object.hasOwn(spec.signals, signal))
          issues.push({
            path: ['decisions', index, 'when', key, at],
            message: `no signal is named "${signal}"`,
            expected: `one of the routing signals: ${Object.keys(spec.signals).sort().join(', ') || '(none declared)'}`,
            value: signal,
          });
      });
  });
  for (const [name, signal] of Object.entries(spec.signals)) {
    if ('regex' in signal) {
      if (/[gy]/.test(signal.flags ?? ''))
        issues.push({
          path: ['signals', name, 'flags'],
          message: 'g and y make a regex stateful between tests',
          expected: 'flags among i, m, s, u',
          value: signal.flags ?? '',
        });
      try {
        new RegExp(signal.regex, (signal.flags ?? '').replace(/[gy]/g, ''));
      } catch (error) {
        issues.push({
          path: ['signals', name, 'regex'],
          message: `the regex does not compile: ${(error as Error).message}`,
          expected: 'a JavaScript regular expression',
          value: signal.regex,
        });
      }
    }
    if ('domain' in signal && spec.classifier === undefined)
      issues.push({
        path: ['signals', name],
        message: 'a domain signal needs a classifier',
        expected: 'routing.classifier: the name of a registered domain classifier',
      });
  }
  return issues;
}
