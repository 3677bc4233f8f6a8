import { SwitchyardError } from '../core/errors.js';
import { hashJson } from '../core/hash.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { RetrySchema, RoutingSchema, WorkflowSpec } from '../core/spec.js';
import type { z } from 'zod';
import { makeRefs, type ScopeRefs } from './builder-refs.js';
import { SpecValidationError } from './errors.js';
import { parseWorkflow } from './parse.js';

export {
  expr,
  jsonata,
  type Expr,
  type ExprValue,
  type Ref,
  type Refs,
  type StepRef,
} from './builder-refs.js';

/**
 * The TypeScript way to write a workflow. It produces the same raw object a YAML file would, and
 * `.build()` runs parseWorkflow on it, so defaults, validation and specHash are the YAML ones.
 *
 * The types carry the ids declared so far: `r.step('x')` compiles only if `x` was declared earlier
 * in this block or in an enclosing one (the only steps a reference may name), `after` only names
 * earlier siblings, ids cannot be declared twice in one scope, and `r.input('a', 'b')` follows the
 * declared input type. Type parameters: I = input type, Outer = ids of enclosing blocks, Own = ids
 * of this block, V = scope variables ('map' | 'loop'), Root = whether this is the workflow itself.
 */
export function workflow(name: string): WorkflowBuilder<unknown, never, never, never, true> {
  return new WorkflowBuilder({ name, steps: [], bundle: new Map() });
}

type RetryInput = z.input<typeof RetrySchema>;

const STATE: unique symbol = Symbol('switchyard.builder');
declare const ROOT: unique symbol;

/** A block callback's result: any builder (its ids are not needed once the block is closed). */
export interface BuiltBlock {
  readonly [STATE]: BlockState;
}

type Template<I, Ids extends string, V extends string> =
  JsonValue | ((r: ScopeRefs<I, Ids, V>) => JsonValue);
type Condition<I, Ids extends string, V extends string> =
  string | ((r: ScopeRefs<I, Ids, V>) => string);
type NewId<Id extends string, Taken extends string> = Id extends Taken
  ? `step id "${Id}" is already declared`
  : Id;
type Body<I, Ids extends string, V extends string> = (
  b: WorkflowBuilder<I, Ids, never, V, false>,
) => BuiltBlock;

export interface CommonConfig<I, Ids extends string, Own extends string, V extends string> {
  description?: string;
  /** Earlier steps of this block to wait for, beyond those referenced. */
  after?: readonly Own[];
  retry?: RetryInput;
  timeoutMs?: number;
  /** 'fail' (default), 'continue', or a fallback: a callback declaring exactly one step. */
  onError?: 'fail' | 'continue' | { fallback: Body<I, Ids, V> };
}

export interface ToolConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  tool: string;
  version?: string;
  input?: Template<I, Ids, V>;
}

export interface AgentConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  /** Prompt file path, relative to the spec root (as a YAML file's prompts are once loaded). */
  prompt: string;
  model?: string;
  input?: Template<I, Ids, V>;
  output?: { schema: JsonObject };
  temperature?: number;
  maxTokens?: number;
  /** What this step's model calls may spend (docs/models.md#budgets). */
  budget?: BudgetInput;
  /** Labels the workflow's model routing can match (`tag` signals). */
  tags?: readonly string[];
  costTier?: 'low' | 'standard' | 'high';
}

/** `{ usd?, tokens? }`: a limit on model spend. */
export interface BudgetInput {
  usd?: number;
  tokens?: number;
}

export interface CascadeConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  /** Prompt file path, relative to the spec root. */
  prompt: string;
  input?: Template<I, Ids, V>;
  output?: { schema: JsonObject };
  temperature?: number;
  maxTokens?: number;
  /** From cheap to expensive (docs/models.md#cascade). */
  stages: ReadonlyArray<{
    model: string;
    fallbacks?: readonly string[];
    retries?: number;
    scorer?:
      | { kind: 'schema' }
      | { kind: 'agreement'; samples?: number; temperature?: number }
      | { kind: 'judge'; model: string }
      | { kind: 'function'; name: string };
    threshold?: number;
  }>;
  budget?: BudgetInput;
}

export interface ConsortiumConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  /** Prompt file path, relative to the spec root. */
  prompt: string;
  input?: Template<I, Ids, V>;
  output?: { schema: JsonObject };
  temperature?: number;
  maxTokens?: number;
  /** The models that draft, in parallel (at least two). */
  drafters: readonly string[];
  minDrafts?: number;
  /** The consolidating model. */
  merge: { model: string };
  budget?: BudgetInput;
}

export interface ApprovalConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  message?: string;
}

export interface SubWorkflowConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  /** A built workflow (bundled under `workflows` by name) or the name of one already bundled. */
  workflow: WorkflowSpec | string;
  input?: Template<I, Ids, V>;
}

export interface RouteConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  /** The tool graph: nodes (tools with their attributes) and directed edges with a base cost. */
  graph: {
    nodes: ReadonlyArray<{
      id: string;
      tool?: string;
      latencyMs?: number;
      reliability?: number;
      rateLimitProximity?: number;
    }>;
    edges: ReadonlyArray<{ from: string; to: string; cost: number }>;
  };
  start: string;
  goal: string;
  maxRetries?: number;
  preflightThreshold?: number;
  /** What every node's tool receives. */
  input?: Template<I, Ids, V>;
  /** `{ text?, amount?, riskFlags? }` for the intent and risk monitors. */
  request?: Template<I, Ids, V>;
  /** The model asked when no path is left (default 'default'). */
  model?: string;
}

export interface VoteConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  /** Prompt file path, relative to the spec root (as a YAML file's prompts are once loaded). */
  prompt: string;
  model?: string;
  input?: Template<I, Ids, V>;
  /** Each parsed sample must match it, or it is flagged `rejected`. */
  output?: { schema: JsonObject };
  maxTokens?: number;
  /** The lead that decides: first-to-ahead-by-k. */
  k: number;
  /** Samples drawn (flagged ones included) before the vote is exhausted. */
  maxSamples: number;
  /** Sample 0's temperature (default 0) and every later one's (default 0.1). */
  temperature?: { first?: number; later?: number };
  maxParallel?: number;
  redFlags?: {
    maxOutputTokens?: number;
    /** 'json' (default), a regex whose groups make the vote, or a registered parser. */
    parser?: 'json' | { regex: string; flags?: string } | { function: string };
    /** A registered check. */
    check?: string;
  };
  budget?: BudgetInput;
}

export interface MapConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  items: Template<I, Ids, V>;
  concurrency?: number;
  steps: Body<I, Ids, V | 'map'>;
}

export interface LoopConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
  BodyIds extends string,
> extends CommonConfig<I, Ids, Own, V> {
  maxIterations: number;
  steps: (
    b: WorkflowBuilder<I, Ids, never, V | 'loop', false>,
  ) => WorkflowBuilder<I, Ids, BodyIds, V | 'loop', false>;
  /** Checked after each iteration; sees the body's steps. */
  until?: Condition<I, Ids | BodyIds, V | 'loop'>;
}

export interface BranchConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  cases: ReadonlyArray<{ when: Condition<I, Ids, V>; steps: Body<I, Ids, V> }>;
  default?: Body<I, Ids, V>;
}

export interface ParallelConfig<
  I,
  Ids extends string,
  Own extends string,
  V extends string,
> extends CommonConfig<I, Ids, Own, V> {
  branches: Readonly<Record<string, Body<I, Ids, V>>>;
}

interface BlockState {
  name?: string;
  meta?: JsonObject;
  input?: JsonObject;
  steps: JsonObject[];
  output?: JsonValue;
  /** Sub-workflows used anywhere below, by name; merged upwards as blocks close. */
  bundle: Map<string, WorkflowSpec>;
}

export class WorkflowBuilder<
  I,
  Outer extends string,
  Own extends string,
  V extends string,
  Root extends boolean,
> {
  readonly [STATE]: BlockState;
  /**
   * Type-only: makes root and nested builders distinct types, so build() exists only on the root.
   */
  declare readonly [ROOT]: Root;

  /** @internal use workflow(name) */
  constructor(state: BlockState) {
    this[STATE] = state;
  }

  /** Declares the input type (and optionally its JSON Schema, written to `input.schema`). */
  input<T>(
    this: WorkflowBuilder<unknown, never, never, never, true>,
    schema?: JsonObject,
  ): WorkflowBuilder<T, never, never, never, true> {
    return new WorkflowBuilder(
      schema === undefined ? state(this) : { ...state(this), input: { schema } },
    );
  }

  describe(
    this: WorkflowBuilder<I, Outer, Own, V, true>,
    description: string,
  ): WorkflowBuilder<I, Outer, Own, V, true> {
    return new WorkflowBuilder({ ...state(this), meta: { ...state(this).meta, description } });
  }

  version(
    this: WorkflowBuilder<I, Outer, Own, V, true>,
    version: string,
  ): WorkflowBuilder<I, Outer, Own, V, true> {
    return new WorkflowBuilder({ ...state(this), meta: { ...state(this).meta, version } });
  }

  tool<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: ToolConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { tool, version, input, ...common } = config;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      { id, kind: 'tool', tool, version, input: this.template(input) },
      common,
    );
  }

  agent<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: AgentConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const {
      prompt,
      model,
      input,
      output,
      temperature,
      maxTokens,
      budget,
      tags,
      costTier,
      ...common
    } = config;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      {
        id,
        kind: 'agent',
        prompt,
        model,
        input: this.template(input),
        output,
        temperature,
        maxTokens,
        budget: definedOnly(budget),
        tags: tags ? [...tags] : undefined,
        costTier,
      },
      common,
    );
  }

  /** Several models draft in parallel; a consolidating model merges the drafts. */
  consortium<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: ConsortiumConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const {
      prompt,
      input,
      output,
      temperature,
      maxTokens,
      drafters,
      minDrafts,
      merge,
      budget,
      ...common
    } = config;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      {
        id,
        kind: 'consortium',
        prompt,
        input: this.template(input),
        output,
        temperature,
        maxTokens,
        drafters: [...drafters],
        minDrafts,
        merge: { model: merge.model },
        budget: definedOnly(budget),
      },
      common,
    );
  }

  /** Models from cheap to expensive, each answer scored before the next is asked. */
  cascade<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: CascadeConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { prompt, input, output, temperature, maxTokens, stages, budget, ...common } = config;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      {
        id,
        kind: 'cascade',
        prompt,
        input: this.template(input),
        output,
        temperature,
        maxTokens,
        stages: stages.map((stage) => {
          const copy = definedOnly(stage) as JsonObject;
          if (stage.fallbacks) copy.fallbacks = [...stage.fallbacks];
          if (stage.scorer) copy.scorer = definedOnly(stage.scorer) as JsonObject;
          return copy;
        }),
        budget: definedOnly(budget),
      },
      common,
    );
  }

  /**
   * Signal-based model choice for agent steps that name no model (docs/models.md#routing), written
   * as in YAML: `{ classifier?, signals: { name: signal }, decisions: [...] }`.
   */
  routing(
    this: WorkflowBuilder<I, Outer, Own, V, true>,
    routing: z.input<typeof RoutingSchema>,
  ): WorkflowBuilder<I, Outer, Own, V, true> {
    // A JSON copy: plain JavaScript callers may leave keys undefined, which YAML cannot say.
    const copy = JSON.parse(JSON.stringify(routing)) as JsonObject;
    return new WorkflowBuilder({ ...state(this), meta: { ...state(this).meta, routing: copy } });
  }

  /** What the run's model calls may spend in all (docs/models.md#budgets). */
  budget(
    this: WorkflowBuilder<I, Outer, Own, V, true>,
    budget: BudgetInput,
  ): WorkflowBuilder<I, Outer, Own, V, true> {
    return new WorkflowBuilder({
      ...state(this),
      meta: { ...state(this).meta, budget: definedOnly(budget) as JsonObject },
    });
  }

  approval<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: ApprovalConfig<I, Outer | Own, Own, V> = {},
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { message, ...common } = config;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      { id, kind: 'approval', message },
      common,
    );
  }

  /**
   * A sub-workflow step. A built spec is bundled under `workflows`, with the workflows it bundles.
   */
  workflow<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: SubWorkflowConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { workflow: child, input, ...common } = config;
    const bundle = new Map<string, WorkflowSpec>();
    if (typeof child !== 'string') {
      const { workflows, ...own } = child;
      for (const [name, spec] of Object.entries(workflows ?? {})) bundleInto(bundle, name, spec);
      bundleInto(bundle, child.name, own);
    }
    const name = typeof child === 'string' ? child : child.name;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      { id, kind: 'workflow', workflow: name, input: this.template(input) },
      common,
      [bundle],
    );
  }

  /** A self-healing route through a tool graph (docs/routing.md). */
  route<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: RouteConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { graph, start, goal, maxRetries, preflightThreshold, input, request, model, ...common } =
      config;
    const nodes = graph.nodes.map((node) => {
      const copy: JsonObject = {};
      // Plain JavaScript callers may write `tool: undefined`: leave such keys out, as YAML would.
      for (const [key, value] of Object.entries(node) as Array<[string, JsonValue | undefined]>)
        if (value !== undefined) copy[key] = value;
      return copy;
    });
    const edges = graph.edges.map(({ from, to, cost }) => ({ from, to, cost }));
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      {
        id,
        kind: 'route',
        graph: { nodes, edges },
        start,
        goal,
        maxRetries,
        preflightThreshold,
        input: this.template(input),
        request: this.template(request),
        model,
      },
      common,
    );
  }

  /** An agent call decided by first-to-ahead-by-k voting, with red flags (docs/voting.md). */
  vote<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: VoteConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const {
      prompt,
      model,
      input,
      output,
      maxTokens,
      k,
      maxSamples,
      temperature,
      maxParallel,
      redFlags,
      budget,
      ...common
    } = config;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      {
        id,
        kind: 'vote',
        prompt,
        model,
        input: this.template(input),
        output,
        maxTokens,
        k,
        maxSamples,
        temperature: definedOnly(temperature),
        maxParallel,
        redFlags: definedOnly(redFlags),
        budget: definedOnly(budget),
      },
      common,
    );
  }

  map<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: MapConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { items, concurrency, steps, ...common } = config;
    const body = this.nested(steps);
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      { id, kind: 'map', items: this.template(items) ?? null, concurrency, ...blockFields(body) },
      common,
      [body.bundle],
    );
  }

  loop<const Id extends string, BodyIds extends string>(
    id: NewId<Id, Outer | Own>,
    config: LoopConfig<I, Outer | Own, Own, V, BodyIds>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { maxIterations, steps, until, ...common } = config;
    const body = this.nested(steps);
    const condition = typeof until === 'function' ? until(makeRefs() as never) : until;
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      { id, kind: 'loop', maxIterations, until: condition, ...blockFields(body) },
      common,
      [body.bundle],
    );
  }

  branch<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: BranchConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { cases, default: fallthrough, ...common } = config;
    const bodies: BlockState[] = [];
    const built = cases.map((c) => {
      const body = this.nested(c.steps);
      bodies.push(body);
      const when = typeof c.when === 'function' ? c.when(makeRefs() as never) : c.when;
      return { when, ...blockFields(body) };
    });
    let otherwise: JsonObject | undefined;
    if (fallthrough) {
      const body = this.nested(fallthrough);
      bodies.push(body);
      otherwise = blockFields(body);
    }
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      { id, kind: 'branch', cases: built, default: otherwise },
      common,
      bodies.map((b) => b.bundle),
    );
  }

  parallel<const Id extends string>(
    id: NewId<Id, Outer | Own>,
    config: ParallelConfig<I, Outer | Own, Own, V>,
  ): WorkflowBuilder<I, Outer, Own | Id, V, Root> {
    const { branches, ...common } = config;
    const bodies: BlockState[] = [];
    const built: JsonObject = {};
    for (const [name, steps] of Object.entries(branches)) {
      const body = this.nested(steps);
      bodies.push(body);
      built[name] = blockFields(body);
    }
    return this.add<WorkflowBuilder<I, Outer, Own | Id, V, Root>>(
      { id, kind: 'parallel', branches: built },
      common,
      bodies.map((b) => b.bundle),
    );
  }

  /**
   * The block's output (for the workflow: the run's output). Sees every step declared before it.
   */
  output(template: Template<I, Outer | Own, V>): WorkflowBuilder<I, Outer, Own, V, Root> {
    const value = this.template(template);
    const next: BlockState = { ...state(this) };
    if (value === undefined) delete next.output;
    else next.output = value;
    return new WorkflowBuilder(next);
  }

  /** The raw spec, as a YAML file would hold it (before defaults). */
  toRaw(this: WorkflowBuilder<I, Outer, Own, V, true>): JsonObject {
    const s = state(this);
    const raw: JsonObject = { name: s.name ?? '', ...s.meta };
    if (s.input !== undefined) raw.input = s.input;
    raw.steps = s.steps;
    if (s.output !== undefined) raw.output = s.output;
    if (s.bundle.size > 0) raw.workflows = Object.fromEntries(s.bundle) as unknown as JsonObject;
    return raw;
  }

  /** The canonical spec: parsed and validated exactly like a loaded YAML file. */
  build(this: WorkflowBuilder<I, Outer, Own, V, true>): WorkflowSpec {
    return parseWorkflow(this.toRaw());
  }

  private template<T extends JsonValue>(
    template: T | ((r: never) => JsonValue) | undefined,
  ): JsonValue | undefined {
    return typeof template === 'function' ? template(makeRefs() as never) : template;
  }

  private nested(body: (b: never) => BuiltBlock): BlockState {
    // Typed callers always return a builder; plain JavaScript callers may not.
    const result = body(new WorkflowBuilder({ steps: [], bundle: new Map() }) as never) as
      Partial<BuiltBlock> | undefined;
    const nested = result?.[STATE];
    if (nested === undefined) {
      throw new SwitchyardError(
        'SPEC_BUILDER_MISUSE',
        'a block callback must return the builder it was given',
      );
    }
    return nested;
  }

  /** Appends a step; `Next` is the caller's result type (the builder with the new id). */
  private add<Next>(
    fields: Record<string, JsonValue | undefined>,
    common: CommonConfig<I, Outer | Own, Own, V>,
    bundles: Array<Map<string, WorkflowSpec>> = [],
  ): Next {
    const { description, after, retry, timeoutMs, onError } = common;
    const step: JsonObject = {};
    const all: Record<string, unknown> = { ...fields, description, after, retry, timeoutMs };
    for (const [key, value] of Object.entries(all))
      if (value !== undefined) step[key] = value as JsonValue;
    const bundle = new Map(state(this).bundle);
    if (onError === 'fail' || onError === 'continue') step.onError = onError;
    else if (onError !== undefined) {
      const body = this.nested(onError.fallback);
      const [fallback, ...extra] = body.steps;
      if (fallback === undefined || extra.length > 0) {
        throw new SwitchyardError(
          'SPEC_BUILDER_MISUSE',
          `the onError fallback of step ${JSON.stringify(fields.id)} must declare exactly ` +
            `one step, not ${body.steps.length}`,
        );
      }
      step.onError = { fallback };
      bundles.push(body.bundle);
    }
    for (const other of bundles) for (const [name, spec] of other) bundleInto(bundle, name, spec);
    return new WorkflowBuilder({
      ...state(this),
      steps: [...state(this).steps, step],
      bundle,
    }) as Next;
  }
}

function state(builder: BuiltBlock): BlockState {
  return builder[STATE];
}

/** A copy without the keys a plain JavaScript caller set to undefined (YAML would leave them out). */
function definedOnly(value: object | undefined): JsonObject | undefined {
  if (value === undefined) return undefined;
  const copy: JsonObject = {};
  for (const [key, field] of Object.entries(value) as Array<[string, JsonValue | undefined]>)
    if (field !== undefined) copy[key] = field;
  return copy;
}

function blockFields(body: BlockState): JsonObject {
  const fields: JsonObject = { steps: body.steps };
  if (body.output !== undefined) fields.output = body.output;
  return fields;
}

function bundleInto(bundle: Map<string, WorkflowSpec>, name: string, spec: WorkflowSpec): void {
  const existing = bundle.get(name);
  if (
    existing &&
    hashJson(existing as unknown as JsonValue) !== hashJson(spec as unknown as JsonValue)
  ) {
    throw new SpecValidationError([
      {
        code: 'SPEC_WORKFLOW_NAME_CONFLICT',
        message: `two different sub-workflows are named "${name}"`,
        path: `workflows.${name}`,
        expected: 'one workflow per name',
        hint: 'rename one of them',
      },
    ]);
  }
  bundle.set(name, spec);
}
