import type { RouteSpec } from '../core/spec.js';
import { formatPath, type PathSegment, type RouteIssue, type RouteIssueCode } from './issues.js';
import { didYouMean } from './suggest.js';

/**
 * Semantic checks of a route: node ids unique, edges and start/goal naming nodes that exist,
 * costs and attributes in range (Dijkstra is only correct without negative weights), and a goal
 * the start can reach at all. Pure: every problem is returned, in document order, nothing is
 * thrown. `at` is where the route sits in its document (`['steps', 2]`), so paths read
 * `steps[2].graph.edges[3].to`.
 */
export function validateRoute(route: RouteSpec, at: readonly PathSegment[] = []): RouteIssue[] {
  const issues: RouteIssue[] = [];
  const add = (
    code: RouteIssueCode,
    path: PathSegment[],
    fields: Omit<RouteIssue, 'code' | 'path'>,
  ) => issues.push({ code, path: formatPath([...at, ...path]), ...fields });

  const ids = new Set<string>();
  route.graph.nodes.forEach((node, index) => {
    const path: PathSegment[] = ['graph', 'nodes', index];
    if (ids.has(node.id)) {
      add('ROUTE_DUPLICATE_NODE', [...path, 'id'], {
        message: `node id "${node.id}" is already used by an earlier node`,
        value: node.id,
        expected: 'an id no other node of this graph has',
      });
    }
    ids.add(node.id);
    checkRange(node.latencyMs, 0, Infinity, [...path, 'latencyMs'], 'a latency of 0 ms or more');
    checkRange(node.reliability, 0, 1, [...path, 'reliability'], 'a probability from 0 to 1');
    checkRange(
      node.rateLimitProximity,
      0,
      1,
      [...path, 'rateLimitProximity'],
      'a proximity from 0 (far from the limit) to 1 (at the limit)',
    );
  });

  const known = (id: string, path: PathSegment[], role: string): boolean => {
    if (ids.has(id)) return true;
    add('ROUTE_UNKNOWN_NODE', path, {
      message: `${role} "${id}" is not a node of this graph${didYouMean(id, ids)}`,
      value: id,
      expected: `one of ${[...ids].map((n) => `"${n}"`).join(', ')}`,
    });
    return false;
  };

  route.graph.edges.forEach((edge, index) => {
    const path: PathSegment[] = ['graph', 'edges', index];
    known(edge.from, [...path, 'from'], 'edge source');
    known(edge.to, [...path, 'to'], 'edge target');
    if (edge.cost < 0) {
      add('ROUTE_NEGATIVE_COST', [...path, 'cost'], {
        message: `edge ${edge.from} → ${edge.to} has a negative cost`,
        value: edge.cost,
        expected: 'a cost of 0 or more (shortest paths are undefined with negative weights)',
      });
    } else {
      checkRange(edge.cost, 0, Infinity, [...path, 'cost'], 'a finite cost of 0 or more');
    }
  });

  const startKnown = known(route.start, ['start'], 'start');
  const goalKnown = known(route.goal, ['goal'], 'goal');
  checkCount(route.maxRetries, ['maxRetries']);
  checkCount(route.preflightThreshold, ['preflightThreshold']);

  if (startKnown && goalKnown) {
    if (route.start === route.goal) {
      add('ROUTE_START_IS_GOAL', ['goal'], {
        message: `the goal is the start node "${route.goal}", so the route would call nothing`,
        value: route.goal,
        expected: 'a goal other than the start',
      });
    } else if (!reachable(route).has(route.goal)) {
      add('ROUTE_UNREACHABLE_GOAL', ['goal'], {
        message: `no chain of edges leads from "${route.start}" to the goal "${route.goal}"`,
        value: route.goal,
        hint: `add edges so that "${route.goal}" can be reached from "${route.start}"`,
      });
    }
  }
  return issues;

  function checkRange(
    value: number | undefined,
    min: number,
    max: number,
    path: PathSegment[],
    expected: string,
  ): void {
    // Written so NaN fails too: it compares false with everything.
    if (value === undefined || (value >= min && value <= max && value !== Infinity)) return;
    add('ROUTE_OUT_OF_RANGE', path, {
      message: `${String(value)} is out of range`,
      value,
      expected,
    });
  }

  function checkCount(value: number | undefined, path: PathSegment[]): void {
    if (value === undefined || (Number.isInteger(value) && value >= 0)) return;
    add('ROUTE_OUT_OF_RANGE', path, {
      message: `${String(value)} is not a whole number of 0 or more`,
      value,
      expected: 'a whole number of 0 or more',
    });
  }
}

/** Nodes reachable from the start along edges between known nodes, ignoring weights. */
function reachable(route: RouteSpec): Set<string> {
  const seen = new Set([route.start]);
  // for-of sees elements appended during the loop, which is what a breadth-first walk needs.
  const queue = [route.start];
  for (const node of queue) {
    for (const edge of route.graph.edges) {
      if (edge.from === node && !seen.has(edge.to)) {
        seen.add(edge.to);
        queue.push(edge.to);
      }
    }
  }
  return seen;
}
