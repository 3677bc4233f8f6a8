/**
 * One cycle per strongly connected component of a directed graph, each written as a closed walk
 * (`['a', 'b', 'a']`): the shortest cycle through the component's first node in `nodes` order.
 * Reporting one cycle per component, not every cycle, keeps the error list short and deterministic.
 */
export function findCycles(
  nodes: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
  includeSelfLoops = false,
): string[][] {
  const order = new Map(nodes.map((node, index) => [node, index]));
  const targets = (node: string): string[] => (edges.get(node) ?? []).filter((t) => order.has(t));
  const cycles: string[][] = [];
  for (const component of stronglyConnected(nodes, targets)) {
    const start = component[0] as string;
    if (component.length === 1) {
      if (includeSelfLoops && targets(start).includes(start)) cycles.push([start, start]);
      continue;
    }
    const members = new Set(component);
    cycles.push(shortestCycle(start, (n) => targets(n).filter((t) => members.has(t))));
  }
  return cycles.sort((a, b) => (order.get(a[0] as string) ?? 0) - (order.get(b[0] as string) ?? 0));
}

/** Tarjan's algorithm; each component's nodes in `nodes` order. */
function stronglyConnected(
  nodes: readonly string[],
  targets: (node: string) => string[],
): string[][] {
  const position = new Map(nodes.map((node, index) => [node, index]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of targets(node)) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    components.push(component.sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0)));
  };
  for (const node of nodes) if (!index.has(node)) connect(node);
  return components;
}

function shortestCycle(start: string, targets: (node: string) => string[]): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  // for-of sees elements appended during the loop, which is what a breadth-first walk needs.
  for (const node of queue) {
    for (const next of targets(node)) {
      if (next === start) {
        const walk = [node];
        while (walk[0] !== start) walk.unshift(previous.get(walk[0] as string) as string);
        return [...walk, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
