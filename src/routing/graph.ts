/**
 * A node of a route's tool graph: a tool the route may call, with the attributes the edge weight
 * (Eq. 1, weight.ts) reads. Absent attributes take the paper's defaults, under which every edge
 * weighs `cost / 0.99`.
 */
export interface ToolNodeSpec {
  id: string;
  /** The registered tool this node calls; defaults to `id`. The start node is never called. */
  tool?: string;
  /** Typical latency in milliseconds (default 100). */
  latencyMs?: number;
  /** Probability a call succeeds, 0..1 (default 0.99). */
  reliability?: number;
  /** How close the tool is to its rate limit: 0 far, 1 at the limit (default 0). */
  rateLimitProximity?: number;
}

/** A directed edge: after `from` has run, `to` may run, at base cost `cost` (≥ 0). */
export interface ToolEdgeSpec {
  from: string;
  to: string;
  cost: number;
}

export interface ToolGraphSpec {
  nodes: ToolNodeSpec[];
  edges: ToolEdgeSpec[];
}

/**
 * A route as a spec writes it. `start` is an entry point that is never called (the paper's
 * `Start`); every other node on the path is called, the goal included.
 */
export interface RouteSpec {
  graph: ToolGraphSpec;
  start: string;
  goal: string;
  /** Tool failures tolerated before escalating: the (maxRetries + 1)-th failure escalates (default 3). */
  maxRetries?: number;
  /**
   * When at least this many of the route's tools are already known to be down at the start, the
   * model is consulted once on feasibility before anything runs (default 3, the paper's pre-flight).
   */
  preflightThreshold?: number;
}

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
