import { templateParts } from '../core/reference.js';
import type { BlockSpec, StepSpec } from '../core/spec.js';
import { analyzeExpression } from './expression.js';

/** Nested blocks of a container step, each with a stable label used in step paths. */
export function childBlocks(step: StepSpec): Array<{ label: string; block: BlockSpec }> {
  switch (step.kind) {
    case 'branch': {
      const blocks: Array<{ label: string; block: BlockSpec }> = step.cases.map((block, index) => ({
        label: String(index),
        block,
      }));
      if (step.default) blocks.push({ label: 'default', block: step.default });
      return blocks;
    }
    case 'loop':
    case 'map':
      return [{ label: 'body', block: step }];
    case 'parallel':
      return Object.keys(step.branches)
        .sort()
        .map((label) => ({ label, block: step.branches[label] as BlockSpec }));
    default:
      return [];
  }
}

/** Step ids referenced by a step's own templates and expressions (not its nested blocks). */
export function ownReferences(step: StepSpec): string[] {
  const ids: string[] = [];
  const fromTemplate = (template: Parameters<typeof templateParts>[0]): void => {
    for (const part of templateParts(template)) {
      if (part.kind === 'reference') {
        if (part.reference.stepId !== undefined) ids.push(part.reference.stepId);
      } else {
        ids.push(...analyzeExpression(part.source).stepIds);
      }
    }
  };
  switch (step.kind) {
    case 'tool':
    case 'agent':
    case 'workflow':
      fromTemplate(step.input);
      break;
    case 'map':
      fromTemplate(step.items);
      break;
    case 'loop':
      if (step.until !== undefined) ids.push(...analyzeExpression(step.until).stepIds);
      break;
    case 'branch':
      for (const c of step.cases) ids.push(...analyzeExpression(c.when).stepIds);
      break;
    default:
      break;
  }
  return ids;
}

/** Every step id a step reads, including inside its nested blocks and its fallback. */
export function allReferences(step: StepSpec): Set<string> {
  const ids = new Set<string>([...ownReferences(step), ...step.after]);
  for (const { block } of childBlocks(step)) {
    for (const part of templateParts(block.output)) {
      if (part.kind === 'reference' && part.reference.stepId !== undefined)
        ids.add(part.reference.stepId);
      if (part.kind === 'expression')
        analyzeExpression(part.source).stepIds.forEach((id) => ids.add(id));
    }
    for (const inner of block.steps) allReferences(inner).forEach((id) => ids.add(id));
  }
  if (typeof step.onError === 'object')
    allReferences(step.onError.fallback).forEach((id) => ids.add(id));
  return ids;
}

/**
 * The edges of a block's DAG: for each step, the sibling steps it must wait for — its `after` list and
 * every sibling it references, directly or from inside its nested blocks (a container waits for what its
 * body reads from outside). References to steps outside the block are satisfied by the enclosing
 * container's own dependencies.
 */
export function blockDependencies(block: BlockSpec): Map<string, string[]> {
  const siblings = new Set(block.steps.map((s) => s.id));
  const deps = new Map<string, string[]>();
  for (const step of block.steps) {
    const mine = [...allReferences(step)].filter((id) => siblings.has(id) && id !== step.id).sort();
    deps.set(step.id, mine);
  }
  return deps;
}
