import type { RouteSpec, ToolEdgeSpec } from '../../src/routing/index.js';

/** A route over default-attribute nodes named by its edges; `start`/`goal` default to S and G. */
export function routeOf(
  edges: Array<[from: string, to: string, cost: number]>,
  options: Partial<Omit<RouteSpec, 'graph'>> = {},
): RouteSpec {
  const ids: string[] = [];
  for (const [from, to] of edges) for (const id of [from, to]) if (!ids.includes(id)) ids.push(id);
  const specEdges: ToolEdgeSpec[] = edges.map(([from, to, cost]) => ({ from, to, cost }));
  return {
    graph: { nodes: ids.map((id) => ({ id })), edges: specEdges },
    start: 'S',
    goal: 'G',
    ...options,
  };
}
