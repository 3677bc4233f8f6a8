import type { BlockSpec, StepSpec, WorkflowSpec } from '../core/spec.js';
import { blockDependencies, childBlocks } from '../graph/dependencies.js';

export interface GraphNode {
  /** The step id: unique across a workflow's nested blocks, and the last segment of its paths. */
  id: string;
  kind: string;
  /** The container step it is nested in (loop, map, branch, parallel), or null at the top. */
  parent: string | null;
  label: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** dependency: `to` waits for `from`; contains: `to` opens `from`'s block; fallback: onError. */
  kind: 'dependency' | 'contains' | 'fallback';
}

export interface WorkflowGraph {
  workflow: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/**
 * The DAG the dashboard draws: every step of the workflow (nested ones included, sub-workflows
 * excluded: they are runs of their own), the dependencies inside each block, an edge from each
 * container to the first steps of its blocks, and from a step to its fallback.
 */
export function workflowGraph(spec: WorkflowSpec): WorkflowGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const walk = (block: BlockSpec, parent: string | null): void => {
    const dependencies = blockDependencies(block);
    for (const step of block.steps) {
      addStep(step, parent);
      const mine = dependencies.get(step.id) ?? [];
      for (const from of mine) edges.push({ from, to: step.id, kind: 'dependency' });
      if (parent !== null && mine.length === 0)
        edges.push({ from: parent, to: step.id, kind: 'contains' });
    }
  };
  const addStep = (step: StepSpec, parent: string | null): void => {
    nodes.push({ id: step.id, kind: step.kind, parent, label: labelOf(step) });
    for (const { block } of childBlocks(step)) walk(block, step.id);
    if (typeof step.onError === 'object') {
      addStep(step.onError.fallback, parent);
      edges.push({ from: step.id, to: step.onError.fallback.id, kind: 'fallback' });
    }
  };
  walk(spec, null);
  return { workflow: spec.name, nodes, edges };
}

function labelOf(step: StepSpec): string {
  switch (step.kind) {
    case 'tool':
      return step.tool;
    case 'agent':
      return step.model ?? 'default model';
    case 'workflow':
      return step.workflow;
    default:
      return step.kind;
  }
}
