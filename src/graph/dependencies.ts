import type { JsonValue } from '../core/json.js';
import { parseReference } from '../core/reference.js';
import type { BlockSpec, StepSpec } from '../core/spec.js';
import { analyzeExpression } from './expression.js';
import { walkTemplate } from './template-walk.js';

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

export interface ReferenceOptions {
  /**
   * Skip references and expressions that do not parse instead of throwing. Validation uses this (it
   * reports those problems itself and still wants every other edge); the executor, which only sees
   * validated specs, does not.
   */
  tolerant?: boolean;
}

/** Step ids a step reads, with `after`, from its templates, expressions, nested blocks and fallback. */
export function allReferences(step: StepSpec, options: ReferenceOptions = {}): Set<string> {
  const ids = new Set<string>(step.after);
  const guard = (read: () => void): void => {
    if (!options.tolerant) return read();
    try {
      read();
    } catch {
      // reported by validation
    }
  };
  const fromExpression = (source: string): void =>
    guard(() => analyzeExpression(source).stepIds.forEach((id) => ids.add(id)));
  const fromTemplate = (template: JsonValue | undefined): void => {
    for (const item of walkTemplate(template, [])) {
      if (item.kind === 'expression') fromExpression(item.source);
      else if (item.kind === 'reference') {
        guard(() => {
          const id = parseReference(item.text).stepId;
          if (id !== undefined) ids.add(id);
        });
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
    case 'route':
      fromTemplate(step.input);
      fromTemplate(step.request);
      break;
    case 'vote':
    case 'cascade':
    case 'consortium':
      fromTemplate(step.input);
      break;
    case 'loop':
      if (step.until !== undefined) fromExpression(step.until);
      break;
    case 'branch':
      for (const c of step.cases) fromExpression(c.when);
      break;
    default:
      break;
  }
  for (const { block } of childBlocks(step)) {
    fromTemplate(block.output);
    for (const inner of block.steps) allReferences(inner, options).forEach((id) => ids.add(id));
  }
  if (typeof step.onError === 'object') {
    allReferences(step.onError.fallback, options).forEach((id) => ids.add(id));
  }
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
