import { describe, expect, it } from 'vitest';
import {
  buildToolGraph,
  edgeWeight,
  eq1Weight,
  shortestPath,
  type ToolGraph,
} from '../../src/routing/index.js';
import { routeOf } from './fixtures.js';

const graphOf = (edges: Parameters<typeof routeOf>[0]): ToolGraph =>
  buildToolGraph(routeOf(edges).graph);

describe('Eq. 1 edge weight', () => {
  it('is base / 0.99 with the default attributes', () => {
    expect(eq1Weight(0.3, { latencyMs: 100, reliability: 0.99, rateLimitProximity: 0 })).toBe(
      0.3 / 0.99,
    );
  });

  it('scales with latency, unreliability and rate-limit proximity, clamped at the extremes', () => {
    const base = { latencyMs: 100, reliability: 1, rateLimitProximity: 0 };
    expect(eq1Weight(1, { ...base, latencyMs: 300 })).toBe(3);
    // A very fast tool still costs half its base; a useless one 100x, not infinity.
    expect(eq1Weight(1, { ...base, latencyMs: 1 })).toBe(0.5);
    expect(eq1Weight(1, { ...base, reliability: 0 })).toBe(100);
    expect(eq1Weight(1, { ...base, reliability: 0.5 })).toBe(2);
    expect(eq1Weight(1, { ...base, rateLimitProximity: 1 })).toBe(6);
  });

  it('reads the target node, so a slow tool makes the edges into it expensive', () => {
    const graph = buildToolGraph({
      nodes: [{ id: 'S' }, { id: 'slow', latencyMs: 1000 }, { id: 'fast' }, { id: 'G' }],
      edges: [
        { from: 'S', to: 'slow', cost: 0.1 },
        { from: 'S', to: 'fast', cost: 0.5 },
        { from: 'slow', to: 'G', cost: 0.1 },
        { from: 'fast', to: 'G', cost: 0.1 },
      ],
    });
    expect(shortestPath(graph, 'S', 'G')?.path).toEqual(['S', 'fast', 'G']);
  });
});

describe('Dijkstra', () => {
  it('finds the cheapest path, not the one with fewest hops', () => {
    const graph = graphOf([
      ['S', 'G', 1],
      ['S', 'a', 0.1],
      ['a', 'b', 0.1],
      ['b', 'G', 0.1],
    ]);
    const found = shortestPath(graph, 'S', 'G');
    expect(found?.path).toEqual(['S', 'a', 'b', 'G']);
    expect(found?.cost).toBeCloseTo(0.3 / 0.99, 12);
  });

  it('breaks a cost tie by fewer hops', () => {
    const graph = graphOf([
      ['S', 'a', 0.5],
      ['a', 'b', 0],
      ['b', 'G', 0.5],
      ['S', 'z', 0.5],
      ['z', 'G', 0.5],
    ]);
    expect(shortestPath(graph, 'S', 'G')?.path).toEqual(['S', 'z', 'G']);
  });

  it('breaks a cost and hop tie by node ids in order, whatever the edge order', () => {
    const forward = graphOf([
      ['S', 'b', 1],
      ['S', 'a', 1],
      ['b', 'G', 1],
      ['a', 'G', 1],
    ]);
    const backward = graphOf([
      ['a', 'G', 1],
      ['b', 'G', 1],
      ['S', 'a', 1],
      ['S', 'b', 1],
    ]);
    expect(shortestPath(forward, 'S', 'G')?.path).toEqual(['S', 'a', 'G']);
    expect(shortestPath(backward, 'S', 'G')?.path).toEqual(['S', 'a', 'G']);
  });

  it('returns null when the goal is unreachable', () => {
    const graph = graphOf([
      ['S', 'a', 1],
      ['G', 'a', 1],
    ]);
    expect(shortestPath(graph, 'S', 'G')).toBeNull();
    expect(shortestPath(graph, 'S', 'nowhere')).toBeNull();
  });

  it('gives every edge touching a blocked node infinite weight and routes around it', () => {
    const graph = graphOf([
      ['S', 'a', 0.1],
      ['a', 'G', 0.1],
      ['S', 'b', 0.5],
      ['b', 'G', 0.5],
    ]);
    const blocked = new Set(['a']);
    for (const edge of graph.edges) {
      const touches = edge.from === 'a' || edge.to === 'a';
      expect(edgeWeight(graph, edge, blocked) === Infinity).toBe(touches);
    }
    expect(shortestPath(graph, 'S', 'G', blocked)?.path).toEqual(['S', 'b', 'G']);
    expect(shortestPath(graph, 'S', 'G', new Set(['a', 'b']))).toBeNull();
    expect(shortestPath(graph, 'S', 'G', new Set(['G']))).toBeNull();
  });

  it('finds the original path again once a blocked node is restored', () => {
    const graph = graphOf([
      ['S', 'a', 0.1],
      ['a', 'G', 0.1],
      ['S', 'b', 0.5],
      ['b', 'G', 0.5],
    ]);
    const blocked = new Set(['a']);
    expect(shortestPath(graph, 'S', 'G', blocked)?.path).toEqual(['S', 'b', 'G']);
    blocked.delete('a');
    expect(shortestPath(graph, 'S', 'G', blocked)?.path).toEqual(['S', 'a', 'G']);
  });

  it('terminates on cycles and zero-cost edges', () => {
    const graph = graphOf([
      ['S', 'a', 0],
      ['a', 'S', 0],
      ['a', 'b', 0],
      ['b', 'a', 0],
      ['b', 'G', 0],
    ]);
    expect(shortestPath(graph, 'S', 'G')).toEqual({ path: ['S', 'a', 'b', 'G'], cost: 0 });
  });
});
