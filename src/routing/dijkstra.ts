import type { ToolGraph } from './graph.js';
import { edgeWeight } from './weight.js';

export interface ShortestPath {
  /** Node ids from the start of the search to the goal, both included. */
  readonly path: readonly string[];
  /** Sum of Eq. 1 weights along the path. */
  readonly cost: number;
}

interface Label {
  cost: number;
  path: string[];
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Dijkstra over Eq. 1 weights, skipping infinite edges (those touching a `blocked` node). Returns
 * null when every path to `to` is blocked.
 *
 * Tie-break rule, so the same graph and blocked set always give the same path whatever the edge
 * order in the spec: among paths of equal cost, fewer hops wins; among those, the path whose node
 * ids are smaller, compared id by id from the start in UTF-16 code-unit order (`<` on strings, not
 * locale order). Costs are IEEE doubles summed from the start along the path; "equal" means
 * bit-equal, so two paths whose real-number costs tie can still differ by rounding, and then the
 * smaller double wins. Either way the result is a pure function of the inputs.
 *
 * The rule is applied as a total order on labels (cost, hops, ids). In exact arithmetic, extending
 * two labels by the same edge never reverses their order, so the label settled for a node is the
 * rule's smallest. With doubles, one addition can round two different costs to the same sum; the
 * path found is then still the same on every run, though possibly not the rule's smallest. Tool
 * graphs hold dozens of nodes, so the next label is chosen by a linear scan, which keeps the whole
 * rule in one comparator.
 */
export function shortestPath(
  graph: ToolGraph,
  from: string,
  to: string,
  blocked: ReadonlySet<string> = NONE,
): ShortestPath | null {
  if (!graph.nodes.has(from) || !graph.nodes.has(to) || blocked.has(from) || blocked.has(to))
    return null;
  const best = new Map<string, Label>([[from, { cost: 0, path: [from] }]]);
  const settled = new Set<string>();
  for (;;) {
    let node: string | undefined;
    let label: Label | undefined;
    for (const [candidate, candidateLabel] of best) {
      if (settled.has(candidate)) continue;
      if (label === undefined || compareLabels(candidateLabel, label) < 0) {
        node = candidate;
        label = candidateLabel;
      }
    }
    if (node === undefined || label === undefined) return null;
    if (node === to) return { path: label.path, cost: label.cost };
    settled.add(node);
    for (const edge of graph.outgoing.get(node) ?? []) {
      if (settled.has(edge.to)) continue;
      const weight = edgeWeight(graph, edge, blocked);
      if (weight === Infinity) continue;
      const next: Label = { cost: label.cost + weight, path: [...label.path, edge.to] };
      const current = best.get(edge.to);
      if (current === undefined || compareLabels(next, current) < 0) best.set(edge.to, next);
    }
  }
}

/** Cost, then hops, then node ids in order: negative when `a` is the better path. */
function compareLabels(a: Label, b: Label): number {
  if (a.cost !== b.cost) return a.cost < b.cost ? -1 : 1;
  if (a.path.length !== b.path.length) return a.path.length - b.path.length;
  for (let i = 0; i < a.path.length; i++) {
    const x = a.path[i] as string;
    const y = b.path[i] as string;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
