import { RouteInvalidError } from './errors.js';
import { buildToolGraph, ROUTE_DEFAULTS, type RouteSpec, type ToolGraph } from './graph.js';
import { validateRoute } from './validate.js';

/** A validated route with defaults filled in: what the router runs on. Immutable and shareable. */
export interface Route {
  readonly graph: ToolGraph;
  readonly start: string;
  readonly goal: string;
  readonly maxRetries: number;
  readonly preflightThreshold: number;
  /** The tools the route may call (every node but the start), in node order, without repeats. */
  readonly tools: readonly string[];
}

/** Validates a route and fills in defaults; throws RouteInvalidError listing every problem. */
export function compileRoute(spec: RouteSpec): Route {
  const issues = validateRoute(spec);
  if (issues.length > 0) throw new RouteInvalidError(issues);
  const graph = buildToolGraph(spec.graph);
  const tools: string[] = [];
  for (const node of graph.nodes.values()) {
    if (node.id !== spec.start && !tools.includes(node.tool)) tools.push(node.tool);
  }
  return {
    graph,
    start: spec.start,
    goal: spec.goal,
    maxRetries: spec.maxRetries ?? ROUTE_DEFAULTS.maxRetries,
    preflightThreshold: spec.preflightThreshold ?? ROUTE_DEFAULTS.preflightThreshold,
    tools,
  };
}
