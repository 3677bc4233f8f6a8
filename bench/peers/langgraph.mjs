// LangGraph.js's side of the engine comparison (issue #4), driven by bench/lib/plain-workload.mjs.
// Written the way LangGraph's docs write graphs: a StateGraph over an Annotation.Root state,
// compiled, invoked with a thread_id.
//
//   chain  — `size` nodes s0…s<size-1> joined by addEdge, START -> s0, s<size-1> -> END; each node
//            returns { n: n + 1 }.
//   loop   — one node `step` returning { n: n + 1 } and a conditional edge back to itself while
//            n < size (the docs' loop idiom), else END.
//   fanout — map-reduce with Send (the docs' idiom for dynamic fan-out): a conditional edge from
//            START sends `width` Send('task', …); each task adds 1 to `done` (a reducer channel);
//            `task` -> `join`; join bumps `round` and fans out again while round < size, else END.
// recursionLimit (default 25 super-steps) is raised to what each workload needs.
// Durable: SqliteSaver.fromConnString(file) (WAL; synchronous=NORMAL, better-sqlite3's default in
// WAL mode), default durability ("async": a checkpoint is written while the next super-step runs).
// In memory: no checkpointer (LangGraph's fastest setting; nothing is saved).
import { readFileSync } from 'node:fs';
import { Annotation, END, START, Send, StateGraph } from '@langchain/langgraph';
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite';
import { main } from '../lib/plain-workload.mjs';

/** @typedef {{ checkpointer?: SqliteSaver }} Ctx */
/** @typedef {{ graph: any, input: unknown, recursionLimit: number }} Built */

/** @param {import('../lib/plain-workload.mjs').Hooks} hooks */
function counterState(hooks) {
  const State = Annotation.Root({ n: Annotation() });
  /** @param {{ n: number }} s */
  const inc = (s) => {
    hooks.step();
    return { n: s.n + 1 };
  };
  return { State, inc };
}

/** @type {import('../lib/plain-workload.mjs').Hooks | undefined} */
let hooks;

await main({
  engine: 'langgraph',
  build(workload, size, width, h) {
    hooks = h;
    if (workload === 'chain') {
      const { State, inc } = counterState(h);
      const graph = new StateGraph(State);
      for (let i = 0; i < size; i++) graph.addNode(`s${i}`, inc);
      graph.addEdge(START, 's0');
      for (let i = 1; i < size; i++) graph.addEdge(`s${i - 1}`, `s${i}`);
      graph.addEdge(`s${size - 1}`, END);
      return { graph, input: { n: 0 }, recursionLimit: size + 1 };
    }
    if (workload === 'loop') {
      const { State, inc } = counterState(h);
      const graph = new StateGraph(State)
        .addNode('step', inc)
        .addEdge(START, 'step')
        .addConditionalEdges('step', (s) => (s.n < size ? 'step' : END));
      return { graph, input: { n: 0 }, recursionLimit: size + 1 };
    }
    const State = Annotation.Root({
      round: Annotation(),
      done: Annotation({ reducer: (a, b) => a + b, default: () => 0 }),
    });
    /** @param {{ round: number }} s */
    const fanOut = (s) =>
      Array.from({ length: width }, (_, i) => new Send('task', { round: s.round, item: i }));
    const graph = new StateGraph(State)
      .addNode('task', () => {
        hooks?.step();
        return { done: 1 };
      })
      .addNode('join', (s) => {
        hooks?.step();
        if (s.done !== (s.round + 1) * width) throw new Error(`join saw ${s.done} tasks done`);
        return { round: s.round + 1 };
      })
      .addConditionalEdges(START, fanOut)
      .addEdge('task', 'join')
      .addConditionalEdges('join', (s) => (s.round < size ? fanOut(s) : END));
    // Two super-steps a round: the tasks, then the join.
    return { graph, input: { round: 0 }, recursionLimit: 2 * size + 1 };
  },
  async open(store, file) {
    if (store === 'memory') return {};
    const checkpointer = SqliteSaver.fromConnString(/** @type {string} */ (file));
    // Its tables, created up front (as Switchyard's store does when it opens) rather than in the
    // timed run's first put: any read sets the saver up.
    await checkpointer.getTuple({ configurable: { thread_id: 'setup' } });
    return { checkpointer };
  },
  async execute(built, ctx, runId) {
    const { graph, input, recursionLimit } = /** @type {Built} */ (built);
    const { checkpointer } = /** @type {Ctx} */ (ctx);
    const app = graph.compile(checkpointer ? { checkpointer } : {});
    return app.invoke(input, { recursionLimit, configurable: { thread_id: runId } });
  },
  async resume(built, ctx, runId) {
    // The documented path after a failure: invoke with null input on the same thread_id, which
    // continues from the thread's last checkpoint.
    const { graph, recursionLimit } = /** @type {Built} */ (built);
    const { checkpointer } = /** @type {Ctx} */ (ctx);
    const app = graph.compile({ checkpointer });
    return app.invoke(null, { recursionLimit, configurable: { thread_id: runId } });
  },
  async close(ctx) {
    /** @type {Ctx} */ (ctx).checkpointer?.db.close();
  },
  async settings(ctx) {
    const { checkpointer } = /** @type {Ctx} */ (ctx);
    if (!checkpointer) return { checkpointer: 'none' };
    return {
      checkpointer: 'SqliteSaver',
      durability: 'async (default)',
      journalMode: checkpointer.db.pragma('journal_mode', { simple: true }),
      synchronous: checkpointer.db.pragma('synchronous', { simple: true }),
    };
  },
  versions() {
    /** @param {string} name */
    const v = (name) =>
      JSON.parse(
        readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8'),
      ).version;
    return {
      '@langchain/langgraph': v('@langchain/langgraph'),
      '@langchain/langgraph-checkpoint-sqlite': v('@langchain/langgraph-checkpoint-sqlite'),
      '@langchain/core': v('@langchain/core'),
    };
  },
});
