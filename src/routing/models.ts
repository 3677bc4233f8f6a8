import type { JsonValue } from '../core/json.js';
import type {
  CostTier,
  RoutingDecisionSpec,
  RoutingSignalSpec,
  RoutingSpec,
} from '../core/spec.js';

/**
 * Signal-based model routing (docs/models.md#routing; the vLLM Semantic Router's signals → YAML
 * decisions, research/seeds.md §7): for an agent step that names no model, compute which of the
 * workflow's signals fire on the step (its rendered prompt, input, tags and cost tier), then take the
 * decision of highest priority whose condition holds — ties to the one listed first — or the
 * default. Pure: the same step always routes the same way, so replay re-derives the choice, and the
 * engine journals it (`model-route`) with the signals that fired.
 */

/** A registered domain classifier: `(prompt, input)` → a domain label. Must be pure. */
export type DomainClassifier = (prompt: string, input: JsonValue) => string;

export interface RoutingContext {
  prompt: string;
  input: JsonValue;
  tags: readonly string[];
  costTier: CostTier | undefined;
  /** The workflow's classifier, when it names one. */
  classify?: DomainClassifier | undefined;
}

export interface ModelRoute {
  decision: string;
  model: string;
  /** The signals that fired, sorted by name. */
  signals: string[];
  /** The classifier's label, when it was asked. */
  domain?: string;
}

interface CompiledSignal {
  name: string;
  test(context: RoutingContext, domain: () => string): boolean;
}

interface CompiledRouting {
  signals: CompiledSignal[];
  /** Decisions in the order they are tried: priority, highest first, then as listed. */
  ordered: RoutingDecisionSpec[];
  fallback: RoutingDecisionSpec;
  usesDomain: boolean;
}

const compiled = new WeakMap<RoutingSpec, CompiledRouting>();

/** Tokens a prompt counts for in `contextLength` signals: characters / 3, rounded up. */
export function routingTokens(prompt: string): number {
  return Math.ceil(prompt.length / 3);
}

function compileSignal(name: string, spec: RoutingSignalSpec): CompiledSignal {
  if ('keyword' in spec) {
    const fold = (text: string): string => (spec.keyword.caseSensitive ? text : text.toLowerCase());
    const any = (spec.keyword.any ?? []).map(fold);
    const all = (spec.keyword.all ?? []).map(fold);
    return {
      name,
      test: ({ prompt }) => {
        const text = fold(prompt);
        return (
          (any.length === 0 || any.some((word) => text.includes(word))) &&
          all.every((word) => text.includes(word))
        );
      },
    };
  }
  if ('regex' in spec) {
    const pattern = new RegExp(spec.regex, spec.flags ?? '');
    return { name, test: ({ prompt }) => pattern.test(prompt) };
  }
  if ('contextLength' in spec) {
    const { minTokens, maxTokens } = spec.contextLength;
    return {
      name,
      test: ({ prompt }) => {
        const tokens = routingTokens(prompt);
        return (
          (minTokens === undefined || tokens >= minTokens) &&
          (maxTokens === undefined || tokens <= maxTokens)
        );
      },
    };
  }
  if ('domain' in spec) return { name, test: (_context, domain) => domain() === spec.domain };
  if ('tag' in spec) return { name, test: ({ tags }) => tags.includes(spec.tag) };
  return { name, test: ({ costTier }) => costTier === spec.costTier };
}

/** Compiles a validated routing spec (validateRouting has accepted it) once per spec object. */
export function compileRouting(spec: RoutingSpec): CompiledRouting {
  const cached = compiled.get(spec);
  if (cached) return cached;
  const signals = Object.keys(spec.signals)
    .sort()
    .map((name) => compileSignal(name, spec.signals[name] as RoutingSignalSpec));
  const indexed = spec.decisions.map((decision, index) => ({ decision, index }));
  const ordered = indexed
    .filter(({ decision }) => decision.default !== true)
    .sort((a, b) => b.decision.priority - a.decision.priority || a.index - b.index)
    .map(({ decision }) => decision);
  const fallback = spec.decisions.find((decision) => decision.default === true);
  if (!fallback) throw new Error('internal: a routing spec without a default was not validated');
  const result: CompiledRouting = {
    signals,
    ordered,
    fallback,
    usesDomain: Object.values(spec.signals).some((signal) => 'domain' in signal),
  };
  compiled.set(spec, result);
  return result;
}

/** The model an agent step is routed to, the decision taken and the signals that fired. */
export function routeModel(spec: RoutingSpec, context: RoutingContext): ModelRoute {
  const routing = compileRouting(spec);
  let label: string | undefined;
  const domain = (): string => {
    if (label === undefined) {
      if (!context.classify)
        throw new Error('a domain signal needs the workflow routing to name a classifier');
      label = context.classify(context.prompt, context.input);
      if (typeof label !== 'string')
        throw new Error(`the domain classifier returned ${String(label)}, not a string label`);
    }
    return label;
  };
  const fired = new Set<string>();
  for (const signal of routing.signals) if (signal.test(context, domain)) fired.add(signal.name);
  const holds = (decision: RoutingDecisionSpec): boolean => {
    const when = decision.when;
    if (!when) return true;
    return (
      (when.all ?? []).every((name) => fired.has(name)) &&
      (when.any === undefined || when.any.some((name) => fired.has(name))) &&
      !(when.not ?? []).some((name) => fired.has(name))
    );
  };
  const chosen = routing.ordered.find(holds) ?? routing.fallback;
  return {
    decision: chosen.name,
    model: chosen.model,
    signals: [...fired],
    ...(label === undefined ? {} : { domain: label }),
  };
}
