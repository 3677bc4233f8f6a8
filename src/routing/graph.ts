import type { ToolGraphSpec } from '../core/spec.js';

/**
 * The spec types of a route (tool nodes with their Eq. 1 attributes, edges, start and goal) live in
 * core/spec.ts beside the `route` step kind that embeds them; they are re-exported here for the
 * router's callers.
 */
export type { RouteSpec, ToolEdgeSpec, ToolGraphSpec, ToolNodeSpec } from '../core/spec.js';

export const NODE_DEFAULTS = { latencyMs: 100, reliability: 0.99, rateLimitProximity: 0 } as const;
export const ROUTE_DEFAULTS = { maxRetries: 3, preflightThreshold: 3 } as const;

export interface ToolNode {
  readonly id: string;
  readonly tool: string;
  readonly latencyMs: number;
  readonly reliability: number;
  readonly rateLimitProximity: number;
}

export interface ToolEdge {
  readonly from: string;
  readonly to: string;
  readonly cost: number;
}

/** A validated graph with defaults filled in; adjacency keeps the spec's edge order. */
export interface ToolGraph {
  readonly nodes: ReadonlyMap<string, ToolNode>;
  readonly edges: readonly ToolEdge[];
  readonly outgoing: ReadonlyMap<string, readonly ToolEdge[]>;
}

/** Builds a graph from nodes and edges that are known to be consistent (see validateRoute). */
export function buildToolGraph(spec: ToolGraphSpec): ToolGraph {
  const nodes = new Map<string, ToolNode>();
  const outgoing = new Map<string, ToolEdge[]>();
  for (const node of spec.nodes) {
    nodes.set(node.id, {
      id: node.id,
      tool: node.tool ?? node.id,
      latencyMs: node.latencyMs ?? NODE_DEFAULTS.latencyMs,
      reliability: node.reliability ?? NODE_DEFAULTS.reliability,
      rateLimitProximity: node.rateLimitProximity ?? NODE_DEFAULTS.rateLimitProximity,
    });
    outgoing.set(node.id, []);
  }
  const edges = spec.edges.map(({ from, to, cost }) => ({ from, to, cost }));
  for (const edge of edges) outgoing.get(edge.from)?.push(edge);
  return { nodes, edges, outgoing };
}

/** The node a route names; a missing id is a caller bug (validated routes never produce one). */
export function nodeOf(graph: ToolGraph, id: string): ToolNode {
  const node = graph.nodes.get(id);
  if (!node) throw new RangeError(`no node "${id}" in this tool graph`);
  return node;
}
