import type { BlockSpec, RetryPolicy, StepSpec, WorkflowSpec } from '../core/spec.js';
import { blockDependencies } from '../graph/dependencies.js';
import { compileRoute, type Route } from '../routing/compile.js';
import {
  compileExpression,
  compileTemplate,
  type CompiledExpression,
  type CompiledTemplate,
} from './template.js';
import { planVote, type PlannedVote } from './vote-step.js';

/**
 * A workflow spec compiled once into the shape the engine walks: each block's DAG as index lists
 * (so starting dependents is O(out-degree), not a scan), and templates and expressions pre-parsed.
 */
export interface PlannedStep {
  spec: StepSpec;
  id: string;
  index: number;
  deps: number[];
  dependents: number[];
  retry: RetryPolicy;
  input: CompiledTemplate;
  items?: CompiledTemplate;
  until?: CompiledExpression;
  cases?: Array<{ when: CompiledExpression; block: PlannedBlock }>;
  defaultBlock?: PlannedBlock;
  body?: PlannedBlock;
  branches?: Array<[string, PlannedBlock]>;
  fallback?: PlannedStep;
  /** A route step's compiled tool graph (shared by every run of the plan) and request template. */
  route?: Route;
  request?: CompiledTemplate;
  /** A vote step's rule, compiled once (its registered functions are bound per step). */
  vote?: PlannedVote;
}

export interface PlannedBlock {
  steps: PlannedStep[];
  indexById: Map<string, number>;
  output: CompiledTemplate | undefined;
  roots: number[];
  /** Each step's number of dependencies: a frame starts from a copy. */
  depCounts: readonly number[];
}

export interface WorkflowPlan {
  spec: WorkflowSpec;
  root: PlannedBlock;
}

const NO_RETRY: RetryPolicy = {
  maxAttempts: 1,
  backoff: { initialMs: 200, factor: 2, maxMs: 30_000, jitter: true },
};

function planStep(spec: StepSpec, index: number): PlannedStep {
  const step: PlannedStep = {
    spec,
    id: spec.id,
    index,
    deps: [],
    dependents: [],
    retry: spec.retry ?? NO_RETRY,
    input: compileTemplate('input' in spec ? spec.input : undefined),
  };
  switch (spec.kind) {
    case 'map':
      step.items = compileTemplate(spec.items);
      step.body = planBlock(spec);
      break;
    case 'loop':
      if (spec.until !== undefined) step.until = compileExpression(spec.until);
      step.body = planBlock(spec);
      break;
    case 'branch':
      step.cases = spec.cases.map((c) => ({
        when: compileExpression(c.when),
        block: planBlock(c),
      }));
      if (spec.default) step.defaultBlock = planBlock(spec.default);
      break;
    case 'route':
      step.route = compileRoute(spec);
      step.request = compileTemplate(spec.request);
      break;
    case 'vote':
      step.vote = planVote(spec);
      break;
    case 'parallel':
      step.branches = Object.keys(spec.branches)
        .sort()
        .map((name) => [name, planBlock(spec.branches[name] as BlockSpec)]);
      break;
    default:
      break;
  }
  if (typeof spec.onError === 'object') step.fallback = planStep(spec.onError.fallback, -1);
  return step;
}

export function planBlock(block: BlockSpec): PlannedBlock {
  const steps = block.steps.map(planStep);
  const indexById = new Map(steps.map((s) => [s.id, s.index]));
  const deps = blockDependencies(block);
  for (const step of steps) {
    for (const id of deps.get(step.id) ?? []) {
      const dep = indexById.get(id);
      if (dep === undefined) continue;
      step.deps.push(dep);
      (steps[dep] as PlannedStep).dependents.push(step.index);
    }
  }
  return {
    steps,
    indexById,
    output: block.output === undefined ? undefined : compileTemplate(block.output),
    roots: steps.filter((s) => s.deps.length === 0).map((s) => s.index),
    depCounts: steps.map((s) => s.deps.length),
  };
}

export function planWorkflow(spec: WorkflowSpec): WorkflowPlan {
  return { spec, root: planBlock(spec) };
}
