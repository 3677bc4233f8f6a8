// The workflow's DAG, laid out in columns by longest path from the first steps, coloured by state.
import type { NodeSummary } from './state.js';
import type { GraphEdge, GraphNode, WorkflowGraph } from './types.js';

const WIDTH = 168;
const HEIGHT = 46;
const GAP_X = 56;
const GAP_Y = 18;
const PAD = 12;

interface Placed {
  node: GraphNode;
  x: number;
  y: number;
}

export interface Layout {
  placed: Map<string, Placed>;
  width: number;
  height: number;
}

/** Columns by longest path (every edge points right), rows ordered by their predecessors' rows. */
export function layoutGraph(graph: WorkflowGraph): Layout {
  const incoming = new Map<string, string[]>();
  for (const node of graph.nodes) incoming.set(node.id, []);
  for (const edge of graph.edges) incoming.get(edge.to)?.push(edge.from);
  const rank = new Map<string, number>();
  const rankOf = (id: string, seen: Set<string>): number => {
    const known = rank.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot pass validation; never loop on one here
    seen.add(id);
    const from = incoming.get(id) ?? [];
    const value = from.length === 0 ? 0 : Math.max(...from.map((p) => rankOf(p, seen) + 1));
    rank.set(id, value);
    return value;
  };
  const columns: GraphNode[][] = [];
  for (const node of graph.nodes) {
    const column = rankOf(node.id, new Set());
    (columns[column] ??= []).push(node);
  }
  const row = new Map<string, number>();
  columns.forEach((column, index) => {
    if (index > 0) {
      const weight = (node: GraphNode): number => {
        const rows = (incoming.get(node.id) ?? []).map((p) => row.get(p) ?? 0);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
      };
      column.sort((a, b) => weight(a) - weight(b));
    }
    column.forEach((node, position) => row.set(node.id, position));
  });
  const placed = new Map<string, Placed>();
  columns.forEach((column, index) =>
    column.forEach((node, position) =>
      placed.set(node.id, {
        node,
        x: PAD + index * (WIDTH + GAP_X),
        y: PAD + position * (HEIGHT + GAP_Y),
      }),
    ),
  );
  const tallest = Math.max(1, ...columns.map((column) => column.length));
  return {
    placed,
    width: PAD * 2 + columns.length * (WIDTH + GAP_X) - GAP_X,
    height: PAD * 2 + tallest * (HEIGHT + GAP_Y) - GAP_Y,
  };
}

function edgePath(from: Placed, to: Placed): string {
  const x1 = from.x + WIDTH;
  const y1 = from.y + HEIGHT / 2;
  const x2 = to.x;
  const y2 = to.y + HEIGHT / 2;
  const bend = Math.max(24, (x2 - x1) / 2);
  return `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
}

function countText(summary: NodeSummary | undefined): string {
  if (!summary || summary.instances <= 1) return '';
  const done = (summary.counts.completed ?? 0) + (summary.counts.skipped ?? 0);
  return ` ${done}/${summary.instances}`;
}

export function Dag(props: { graph: WorkflowGraph; summaries: Map<string, NodeSummary> }) {
  const layout = layoutGraph(props.graph);
  const edges = props.graph.edges.filter(
    (edge: GraphEdge) => layout.placed.has(edge.from) && layout.placed.has(edge.to),
  );
  return (
    <div class="dag-scroll">
      <svg
        class="dag"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="img"
        aria-label={`DAG of ${props.graph.workflow}`}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" class="arrow" />
          </marker>
        </defs>
        {edges.map((edge) => (
          <path
            key={`${edge.from}>${edge.to}`}
            class={`edge edge-${edge.kind}`}
            d={edgePath(
              layout.placed.get(edge.from) as Placed,
              layout.placed.get(edge.to) as Placed,
            )}
            marker-end="url(#arrow)"
          />
        ))}
        {[...layout.placed.values()].map(({ node, x, y }) => {
          const summary = props.summaries.get(node.id);
          const state = summary?.state ?? 'pending';
          return (
            <g
              key={node.id}
              class={`node state-${state}`}
              data-node-id={node.id}
              data-state={state}
              transform={`translate(${x},${y})`}
            >
              <title>{`${node.id} (${node.kind}): ${state}${countText(summary)}`}</title>
              <rect width={WIDTH} height={HEIGHT} rx="7" />
              <text x="10" y="19" class="node-id">
                {node.id}
                {countText(summary)}
              </text>
              <text x="10" y="36" class="node-label">
                {node.kind === node.label ? node.kind : `${node.kind} · ${node.label}`}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
