// Cold start, LangGraph.js (issue #4): a fresh plain-Node process imports @langchain/langgraph and
// runs a one-node graph without a checkpointer. Times from the process's start, as
// bench/scenarios/switchyard-cold.mjs does.
import { runChild } from '../lib/plain-child.mjs';

const bootMs = performance.now();

await runChild(async () => {
  let t = performance.now();
  const { Annotation, END, START, StateGraph } = await import('@langchain/langgraph');
  const importMs = performance.now() - t;
  t = performance.now();
  const State = Annotation.Root({ n: Annotation() });
  const app = new StateGraph(State)
    .addNode('only', (s) => ({ n: s.n + 1 }))
    .addEdge(START, 'only')
    .addEdge('only', END)
    .compile();
  const out = await app.invoke({ n: 0 });
  const runMs = performance.now() - t;
  const totalMs = performance.now();
  if (out.n !== 1) throw new Error(`ended with n = ${out.n}`);
  return {
    metrics: { bootMs, importMs, runMs, totalMs },
    info: { engine: 'langgraph', store: 'none' },
  };
});
