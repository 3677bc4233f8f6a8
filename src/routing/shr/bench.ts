import { downTools, markDown, reportFailure, reportSuccess, type ToolHealth } from '../breaker.js';
import { compileRoute, type Route } from '../compile.js';
import { driveRoute, type RouteRun } from '../drive.js';
import { runReact, runStatic, type BaselineRun } from './baselines.js';
import { routeSpecOf, SHR_SCENARIOS, type ShrScenario } from './scenarios.js';

/**
 * The SHR benchmark: each scenario through Switchyard's router and the two baselines, scored with
 * the paper's counting rules.
 *
 * Modes:
 * - `paper`: the author's setup. Failed tools are marked down in the health table before the run
 *   (breaker tripped) *and* fail when called. Correctness is the paper's: a demoted goal counts as
 *   correct for the router, ReAct is correct whether it reaches the goal or gives up (it says so),
 *   and the static workflow is correct unless it fails silently (a crash is visible).
 * - `runtime-failures`: the harder setup seeds.md proposes. Health starts empty; a failure shows
 *   only when the tool is called. Only reaching the goal is correct; a demoted goal, an escalation,
 *   giving up and a crash count as degraded (visible); a silent failure is a silent failure.
 *
 * Control-plane LLM calls are counted where the model would be asked: for the router, at its
 * model port (each pre-flight consult and each escalation); for ReAct, by its rule. Nothing here
 * is a hard-coded result: change the router and the numbers move.
 */
export type ShrMode = 'paper' | 'runtime-failures';
export type Verdict = 'correct' | 'degraded' | 'silent';
export type SystemName = 'switchyard' | 'react' | 'static';

export interface SystemResult {
  readonly outcome: 'reached' | 'demoted' | 'escalated' | 'gave-up' | 'crash' | 'silent';
  readonly verdict: Verdict;
  readonly llmCalls: number;
  /** Logged reroutes; null for the baselines, which have no such notion. */
  readonly reroutes: number | null;
  readonly silentFailures: number;
  /** Nodes the system moved through (the start excluded). */
  readonly path: readonly string[];
}

export interface ScenarioResult {
  readonly scenario: ShrScenario;
  readonly systems: Readonly<Record<SystemName, SystemResult>>;
}

export interface Aggregate {
  readonly correct: number;
  readonly degraded: number;
  readonly llmCalls: number;
  readonly reroutes: number | null;
  readonly silentFailures: number;
}

export interface ShrReport {
  readonly mode: ShrMode;
  readonly scenarios: readonly ScenarioResult[];
  readonly totals: Readonly<Record<SystemName, Aggregate>>;
}

export const SYSTEMS: readonly SystemName[] = ['switchyard', 'react', 'static'];

export function runShrBench(
  mode: ShrMode,
  scenarios: readonly ShrScenario[] = SHR_SCENARIOS,
): ShrReport {
  const results = scenarios.map((scenario) => ({
    scenario,
    systems: {
      switchyard: runSwitchyard(scenario, mode),
      react: scoreBaseline(runReact(scenario), mode),
      static: scoreBaseline(runStatic(scenario), mode),
    },
  }));
  const totals = Object.fromEntries(
    SYSTEMS.map((system) => [system, aggregate(results.map((r) => r.systems[system]))]),
  ) as Record<SystemName, Aggregate>;
  return { mode, scenarios: results, totals };
}

function aggregate(results: readonly SystemResult[]): Aggregate {
  const count = (verdict: Verdict) => results.filter((r) => r.verdict === verdict).length;
  const reroutes = results.map((r) => r.reroutes);
  return {
    correct: count('correct'),
    degraded: count('degraded'),
    llmCalls: results.reduce((sum, r) => sum + r.llmCalls, 0),
    reroutes: reroutes.every((n) => n === null)
      ? null
      : reroutes.reduce<number>((sum, n) => sum + (n ?? 0), 0),
    silentFailures: results.reduce((sum, r) => sum + r.silentFailures, 0),
  };
}

/** The bench's clock: one tick (1 ms) per tool call, far inside the breaker's cooldown. */
const TICK_MS = 1;

export function runSwitchyard(scenario: ShrScenario, mode: ShrMode): SystemResult {
  const route = compileRoute(routeSpecOf(scenario.domain));
  const failing = new Set(scenario.failed);
  let now = 0;
  let health: ToolHealth = {};
  if (mode === 'paper') for (const tool of scenario.failed) health = markDown(health, tool, now);
  let llmCalls = 0;

  const run = driveRoute(
    route,
    { text: scenario.name },
    {
      observe: () => ({ down: downTools(health, route.tools, now) }),
      call: (_node, tool) => {
        now += TICK_MS;
        if (!failing.has(tool)) {
          health = reportSuccess(health, tool);
          return { ok: true };
        }
        health = reportFailure(health, tool, now);
        return { ok: false, message: `${tool} is unavailable (injected failure)` };
      },
      // The mock model of the reference: the task is feasible; the demoted goal is "degraded_<goal>".
      consult: () => {
        llmCalls += 1;
        return { kind: 'proceed' };
      },
      escalate: () => {
        llmCalls += 1;
        return { kind: 'demote', goal: `degraded: ${scenario.name}` };
      },
    },
  );

  const silentFailures = auditRoute(route, run);
  const { outcome } = run;
  const reroutes = run.records
    .flatMap((record) => record.decisions)
    .filter((decision) => decision.type === 'route-reroute').length;
  const path = outcome.status === 'reached' ? outcome.path.slice(1) : outcome.completed;
  const reachedOrDemoted = outcome.status === 'reached' || outcome.status === 'demoted';
  const verdict: Verdict =
    silentFailures > 0
      ? 'silent'
      : (mode === 'paper' ? reachedOrDemoted : outcome.status === 'reached')
        ? 'correct'
        : 'degraded';
  return { outcome: outcome.status, verdict, llmCalls, reroutes, silentFailures, path };
}

function scoreBaseline(run: BaselineRun, mode: ShrMode): SystemResult {
  // Paper rules: ReAct is correct when it reaches the goal or gives up (it says so); the static
  // workflow is correct unless it fails silently. Runtime mode: only reaching the goal is correct.
  const verdict: Verdict =
    run.silentFailures > 0
      ? 'silent'
      : mode === 'paper' || run.outcome === 'reached'
        ? 'correct'
        : 'degraded';
  return {
    outcome: run.outcome,
    verdict,
    llmCalls: run.llmCalls,
    reroutes: null,
    silentFailures: run.silentFailures,
    path: run.path,
  };
}

/**
 * Counts silent failures in a router run from its journal records alone, so the router's 0 is
 * measured, not assumed (the reference hard-codes it). A failure is silent when:
 * - a failed call is not answered, in the same step, by a reroute or escalation naming its node;
 * - the nodes that ran do not form a chain of edges from the start (a step was skipped);
 * - the route reports the goal reached without the goal's call having succeeded;
 * - the route ends short of the goal without an explicit escalation.
 */
export function auditRoute(route: Route, run: RouteRun): number {
  let silent = 0;
  const ran: string[] = [];
  for (const { input, decisions } of run.records) {
    if (input?.type === 'tool-succeeded') ran.push(input.node);
    if (input?.type === 'tool-failed') {
      const visible = decisions.some(
        (d) =>
          (d.type === 'route-reroute' && d.node === input.node) ||
          (d.type === 'route-escalate' && d.failed === input.node),
      );
      if (!visible) silent += 1;
    }
  }
  const chain = [route.start, ...ran];
  for (let i = 1; i < chain.length; i++) {
    const from = chain[i - 1] as string;
    const to = chain[i] as string;
    if (!(route.graph.outgoing.get(from) ?? []).some((edge) => edge.to === to)) silent += 1;
  }
  const { outcome } = run;
  if (outcome.status === 'reached' && ran[ran.length - 1] !== route.goal) silent += 1;
  if (outcome.status !== 'reached') {
    const escalated = run.records.some((r) =>
      r.decisions.some((d) => d.type === 'route-escalate' || d.type === 'route-consult'),
    );
    if (!escalated) silent += 1;
  }
  return silent;
}
