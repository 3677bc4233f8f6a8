import type { ToolEdge, ToolGraph, ToolNode } from './graph.js';

/** The attributes of an edge's target that Eq. 1 reads. */
export type WeightAttributes = Pick<ToolNode, 'latencyMs' | 'reliability' | 'rateLimitProximity'>;

/**
 * The paper's Eq. 1: W = base × max(0.5, latency/100 ms) × 1/max(0.01, reliability)
 * × (1 + 5·rateLimitProximity), taken from the edge's *target*, since that is the tool the edge
 * leads to. The clamps keep a very fast or very unreliable tool from making an edge free or
 * infinite; infinity is reserved for failed tools. The factors are multiplied left to right, as in
 * the author's code, so weights (and therefore tie-breaks) are bit-identical to the reference.
 */
export function eq1Weight(baseCost: number, target: WeightAttributes): number {
  const latencyFactor = Math.max(0.5, target.latencyMs / 100);
  const reliabilityFactor = 1 / Math.max(0.01, target.reliability);
  const rateLimitFactor = 1 + target.rateLimitProximity * 5;
  return baseCost * latencyFactor * reliabilityFactor * rateLimitFactor;
}

/**
 * The weight Dijkstra uses: Infinity when either end is blocked (the paper's reweight sets every
 * edge touching a failed node, in and out, to ∞), Eq. 1 otherwise. Blocking is a set passed in,
 * not a mutation of the graph, so restoring a node is dropping it from the set and a route's graph
 * can be shared by every run.
 */
export function edgeWeight(graph: ToolGraph, edge: ToolEdge, blocked: ReadonlySet<string>): number {
  if (blocked.has(edge.from) || blocked.has(edge.to)) return Infinity;
  const target = graph.nodes.get(edge.to);
  return target ? eq1Weight(edge.cost, target) : Infinity;
}
