import type { ShrScenario } from './scenarios.js';

/**
 * The two baselines of the SHR paper, with the author's counting rules (seeds.md §1.2, from
 * `baselines/baselines.py`). Both walk the scenario's graph greedily, trying a node's successors
 * in base-cost order (a stable sort, so equal costs keep edge order), and both discover a failed
 * tool only by trying it, so they behave the same whether or not failures were known beforehand.
 */
export interface BaselineRun {
  /** `gave-up` and `crash` are visible failures; `silent` claims success with a step missing. */
  readonly outcome: 'reached' | 'gave-up' | 'crash' | 'silent';
  readonly llmCalls: number;
  readonly silentFailures: number;
  /** Nodes moved to, in order (the start excluded). */
  readonly path: readonly string[];
}

function successors(scenario: ShrScenario, node: string): string[] {
  return scenario.domain.edges
    .filter(([from]) => from === node)
    .map(([, to, cost]) => ({ to, cost }))
    .sort((a, b) => a.cost - b.cost)
    .map(({ to }) => to);
}

/**
 * ReAct: every routing decision is a model call. One planning call; then at each node one call to
 * pick the next tool, plus one per failed option it meets (it observes the error and reasons about
 * the next option); at a dead end two more ("can I backtrack?", "no: give up"). It never skips a
 * step: it either moves along an edge or gives up, visibly.
 */
export function runReact(scenario: ShrScenario): BaselineRun {
  const failed = new Set(scenario.failed);
  const { start, goal, nodes } = scenario.domain;
  const path: string[] = [];
  let llmCalls = 1;
  let current = start;
  // The reference's loop bound; the graphs are acyclic, so it is never reached.
  for (let steps = 0; current !== goal && steps < nodes.length * 2; steps++) {
    const options = successors(scenario, current);
    if (options.length === 0) break;
    llmCalls += 1;
    const next = options.find((option) => {
      if (!failed.has(option)) return true;
      llmCalls += 1;
      return false;
    });
    if (next === undefined) {
      llmCalls += 2;
      return { outcome: 'gave-up', llmCalls, silentFailures: 0, path };
    }
    current = next;
    path.push(next);
  }
  return { outcome: current === goal ? 'reached' : 'gave-up', llmCalls, silentFailures: 0, path };
}

/**
 * The static-fallback workflow ("well-engineered static workflow", LangGraph-style): no model calls;
 * successors tried in cost order; a failed tool is replaced by its hand-coded fallback when that is
 * up. When no successor and no fallback works the workflow is stuck at this layer, and then:
 * - if some failed successor's fallback is down too (a compound failure), a skip edge jumps past
 *   the layer and the run reports success with the step missing: a **silent** failure;
 * - unless every target of the layer is down and there are at least 3 of them: the fan-out comes
 *   back empty, which is visible, a **crash**;
 * - a failed successor with no fallback at all raises an error: a **crash**, visible.
 */
export function runStatic(scenario: ShrScenario): BaselineRun {
  const failed = new Set(scenario.failed);
  const { start, goal, nodes, fallbacks } = scenario.domain;
  const fallbackOf = (tool: string): string | undefined =>
    Object.hasOwn(fallbacks, tool) ? fallbacks[tool] : undefined;
  const path: string[] = [];
  let current = start;
  for (let steps = 0; current !== goal && steps < nodes.length * 3; steps++) {
    const options = successors(scenario, current);
    let next: string | undefined;
    for (const option of options) {
      if (!failed.has(option)) {
        next = option;
        break;
      }
      const fallback = fallbackOf(option);
      if (fallback !== undefined && !failed.has(fallback)) {
        next = fallback;
        break;
      }
    }
    if (next === undefined) {
      const compound = options.some((option) => {
        const fallback = fallbackOf(option);
        return failed.has(option) && fallback !== undefined && failed.has(fallback);
      });
      const wholeLayerDown = options.length >= 3 && options.every((option) => failed.has(option));
      return compound && !wholeLayerDown
        ? { outcome: 'silent', llmCalls: 0, silentFailures: 1, path }
        : { outcome: 'crash', llmCalls: 0, silentFailures: 0, path };
    }
    current = next;
    path.push(next);
  }
  return {
    outcome: current === goal ? 'reached' : 'crash',
    llmCalls: 0,
    silentFailures: 0,
    path,
  };
}
