import { describe, expect, it } from 'vitest';
import {
  compileRoute,
  RouteInvalidError,
  validateRoute,
  type RouteIssue,
} from '../../src/routing/index.js';
import { routeOf } from './fixtures.js';

const codes = (issues: RouteIssue[]) => issues.map((i) => `${i.code} ${i.path}`);

describe('route validation', () => {
  it('accepts a well-formed route', () => {
    expect(
      validateRoute(
        routeOf([
          ['S', 'a', 0.1],
          ['a', 'G', 0.2],
        ]),
      ),
    ).toEqual([]);
  });

  it('names an edge to an unknown node by its path inside the step, with a suggestion', () => {
    const route = routeOf([
      ['S', 'a', 1],
      ['a', 'b', 1],
      ['b', 'G', 1],
      ['a', 'G', 1],
    ]);
    const edges = route.graph.edges.map((edge, i) => (i === 3 ? { ...edge, to: 'Gg' } : edge));
    const issues = validateRoute({ ...route, graph: { ...route.graph, edges } }, ['steps', 2]);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'ROUTE_UNKNOWN_NODE',
        path: 'steps[2].graph.edges[3].to',
        value: 'Gg',
        message: expect.stringContaining('did you mean "G"?') as string,
      }),
    ]);
  });

  it('refuses a negative cost, since Dijkstra is wrong with negative weights', () => {
    const issues = validateRoute(
      routeOf([
        ['S', 'a', 1],
        ['a', 'G', -0.5],
      ]),
      ['steps', 0],
    );
    expect(codes(issues)).toEqual(['ROUTE_NEGATIVE_COST steps[0].graph.edges[1].cost']);
    expect(issues[0]?.value).toBe(-0.5);
  });

  it('refuses a goal no chain of edges reaches', () => {
    const issues = validateRoute(
      routeOf([
        ['S', 'a', 1],
        ['G', 'a', 1],
      ]),
      ['steps', 1],
    );
    expect(codes(issues)).toEqual(['ROUTE_UNREACHABLE_GOAL steps[1].goal']);
  });

  it('lists every problem at once, in document order', () => {
    const route = routeOf(
      [
        ['S', 'a', Number.NaN],
        ['a', 'G', 1],
      ],
      { start: 'X', maxRetries: 1.5 },
    );
    route.graph.nodes.push({ id: 'a', reliability: 2 });
    expect(codes(validateRoute(route))).toEqual([
      'ROUTE_DUPLICATE_NODE graph.nodes[3].id',
      'ROUTE_OUT_OF_RANGE graph.nodes[3].reliability',
      'ROUTE_OUT_OF_RANGE graph.edges[0].cost',
      'ROUTE_UNKNOWN_NODE start',
      'ROUTE_OUT_OF_RANGE maxRetries',
    ]);
  });

  it('refuses a route whose goal is its start', () => {
    expect(codes(validateRoute(routeOf([['S', 'G', 1]], { goal: 'S' })))).toEqual([
      'ROUTE_START_IS_GOAL goal',
    ]);
  });

  it('makes compileRoute throw a typed error carrying every issue', () => {
    let caught: unknown;
    try {
      compileRoute(routeOf([['S', 'a', -1]]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RouteInvalidError);
    const error = caught as RouteInvalidError;
    expect(error.code).toBe('ROUTE_INVALID');
    expect(error.issues.map((i) => i.code)).toEqual(['ROUTE_NEGATIVE_COST', 'ROUTE_UNKNOWN_NODE']);
  });

  it('fills in defaults when compiling', () => {
    const route = compileRoute(
      routeOf([
        ['S', 'a', 1],
        ['a', 'G', 1],
      ]),
    );
    expect(route.maxRetries).toBe(3);
    expect(route.preflightThreshold).toBe(3);
    expect(route.tools).toEqual(['a', 'G']);
    expect(route.graph.nodes.get('a')).toEqual({
      id: 'a',
      tool: 'a',
      latencyMs: 100,
      reliability: 0.99,
      rateLimitProximity: 0,
    });
  });
});
