import type { BlockSpec, StepSpec } from '../core/spec.js';
import type { PathSegment } from './issues.js';

export type BlockRole = 'case' | 'default' | 'body' | 'branch';

export interface NestedBlock {
  block: BlockSpec;
  /**
   * Path of the object holding the block's `steps` and `output` (for loop/map: the step itself).
   */
  path: PathSegment[];
  role: BlockRole;
}

/** A container's nested blocks, in document order, each with its path inside the spec. */
export function nestedBlocks(step: StepSpec, stepPath: PathSegment[]): NestedBlock[] {
  switch (step.kind) {
    case 'branch': {
      const blocks: NestedBlock[] = step.cases.map((block, index) => ({
        block,
        path: [...stepPath, 'cases', index],
        role: 'case' as const,
      }));
      if (step.default)
        blocks.push({ block: step.default, path: [...stepPath, 'default'], role: 'default' });
      return blocks;
    }
    case 'loop':
    case 'map':
      return [{ block: step, path: stepPath, role: 'body' }];
    case 'parallel':
      return Object.entries(step.branches).map(([name, block]) => ({
        block,
        path: [...stepPath, 'branches', name],
        role: 'branch' as const,
      }));
    default:
      return [];
  }
}

/**
 * Visits every step of a block and, depth first in document order, every step nested below it:
 * container bodies and onError fallbacks. `blockPath` is the path of the object holding `steps`.
 */
export function forEachStep(
  steps: readonly StepSpec[],
  blockPath: PathSegment[],
  visit: (step: StepSpec, path: PathSegment[]) => void,
): void {
  steps.forEach((step, index) => visitStep(step, [...blockPath, 'steps', index], visit));
}

function visitStep(
  step: StepSpec,
  path: PathSegment[],
  visit: (step: StepSpec, path: PathSegment[]) => void,
): void {
  visit(step, path);
  for (const nested of nestedBlocks(step, path))
    forEachStep(nested.block.steps, nested.path, visit);
  if (typeof step.onError === 'object')
    visitStep(step.onError.fallback, [...path, 'onError', 'fallback'], visit);
}
