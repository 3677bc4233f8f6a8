import { describe, expect, it } from 'vitest';
import {
  buildToolGraph,
  compileRoute,
  driveRoute,
  shortestPath,
  type RouteRun,
} from '../../src/routing/index.js';
import { auditRoute, runShrBench, type ShrReport } from '../../src/routing/shr/bench.js';
import {
  CUSTOMER_SUPPORT,
  routeSpecOf,
  SHR_SCENARIOS,
  TRAVEL_BOOKING,
  type ShrDomain,
  type ShrScenario,
} from '../../src/routing/shr/scenarios.js';
import { cliJson } from '../support/cli.js';

/** seeds.md §1.2, per scenario: the author's run [C] — SHR LLM calls, reroutes, ReAct calls, static. */
const PAPER: Record<string, [llm: number, reroutes: number, react: number, fixed: string]> = {
  'CS-1': [0, 0, 5, 'reached'],
  'CS-2': [0, 1, 6, 'reached'],
  'CS-3': [0, 1, 6, 'reached'],
  'CS-4': [0, 2, 7, 'reached'],
  'CS-5': [1, 2, 7, 'silent'],
  'CS-6': [1, 2, 8, 'silent'],
  'CS-7': [1, 1, 5, 'crash'],
  'TB-1': [0, 0, 6, 'reached'],
  'TB-2': [0, 1, 7, 'reached'],
  'TB-3': [0, 1, 7, 'reached'],
  'TB-4': [1, 2, 6, 'silent'],
  'TB-5': [1, 2, 8, 'reached'],
  'TB-6': [1, 1, 8, 'crash'],
  'CM-1': [0, 0, 5, 'reached'],
  'CM-2': [0, 1, 6, 'reached'],
  'CM-3': [0, 1, 6, 'reached'],
  'CM-4': [0, 2, 7, 'reached'],
  'CM-5': [2, 3, 7, 'crash'],
  'CM-6': [1, 1, 6, 'crash'],
};

const rows = (report: ShrReport) =>
  Object.fromEntries(
    report.scenarios.map(({ scenario, systems }) => [
      scenario.id,
      [
        systems.switchyard.llmCalls,
        systems.switchyard.reroutes,
        systems.react.llmCalls,
        systems.static.outcome,
      ],
    ]),
  );

describe('SHR bench, paper mode', () => {
  const report = runShrBench('paper');

  it('encodes the 19 scenarios over three topologies', () => {
    expect(SHR_SCENARIOS.map((s) => s.id)).toEqual(Object.keys(PAPER));
    expect(new Set(SHR_SCENARIOS.map((s) => s.domain.topology))).toEqual(
      new Set(['linear', 'dag', 'fan-out']),
    );
  });

  it("reproduces the author's per-scenario numbers", () => {
    expect(rows(report)).toEqual(PAPER);
  });

  it('gives the headline aggregate: 19/19, 9 vs 123 LLM calls, 0 vs 3 silent failures', () => {
    expect(report.totals.switchyard).toMatchObject({
      correct: 19,
      llmCalls: 9,
      reroutes: 24,
      silentFailures: 0,
    });
    expect(report.totals.react).toMatchObject({ correct: 19, llmCalls: 123, silentFailures: 0 });
    expect(report.totals.static).toMatchObject({ correct: 16, llmCalls: 0, silentFailures: 3 });
  });

  it("gives the same numbers with the author's longer node names", () => {
    const rename: Record<string, string> = {
      Flight: 'FlightAPI',
      Train: 'TrainAPI',
      Hotel: 'HotelAPI',
      Hostel: 'HostelAPI',
      Car: 'CarAPI',
      Bus: 'BusAPI',
      Toxicity: 'ToxicityScorer',
    };
    const name = (id: string) => rename[id] ?? id;
    const domains = new Map<ShrDomain, ShrDomain>();
    const renamed: ShrScenario[] = SHR_SCENARIOS.map((scenario) => {
      const d = scenario.domain;
      let domain = domains.get(d);
      if (!domain) {
        domain = {
          ...d,
          nodes: d.nodes.map(name),
          edges: d.edges.map(([from, to, cost]) => [name(from), name(to), cost] as const),
          goal: name(d.goal),
          fallbacks: Object.fromEntries(
            Object.entries(d.fallbacks).map(([a, b]) => [name(a), name(b)]),
          ),
        };
        domains.set(d, domain);
      }
      return { ...scenario, domain, failed: scenario.failed.map(name) };
    });
    expect(rows(runShrBench('paper', renamed))).toEqual(PAPER);
  });
});

describe('the SHR graphs', () => {
  it("settles the travel graph's one real tie (to Bus via Hotel or Hostel) by id order", () => {
    const graph = buildToolGraph(routeSpecOf(TRAVEL_BOOKING).graph);
    const viaHotel = shortestPath(graph, 'Start', 'Bus', new Set(['Hostel']));
    const viaHostel = shortestPath(graph, 'Start', 'Bus', new Set(['Hotel']));
    expect(viaHotel?.cost).toBe(viaHostel?.cost);
    // "Hostel" < "Hotel" in code-unit order.
    expect(shortestPath(graph, 'Start', 'Bus')?.path).toEqual(['Start', 'Flight', 'Hostel', 'Bus']);
  });
});

describe('the silent-failure audit', () => {
  const route = compileRoute(routeSpecOf(CUSTOMER_SUPPORT));
  const honest: RouteRun = driveRoute(
    route,
    {},
    {
      observe: () => ({ down: [] }),
      call: (_node, tool) => (tool === 'Stripe' ? { ok: false, message: 'down' } : { ok: true }),
      consult: () => ({ kind: 'proceed' }),
      escalate: () => ({ kind: 'demote', goal: 'less' }),
    },
  );

  it('finds nothing in an honest run', () => {
    expect(auditRoute(route, honest)).toBe(0);
  });

  it('counts a failed call answered by neither a reroute nor an escalation', () => {
    const swallowed = {
      ...honest,
      records: honest.records.map((record) => ({
        ...record,
        decisions: record.decisions.filter((d) => d.type !== 'route-reroute'),
      })),
    };
    expect(auditRoute(route, swallowed)).toBe(1);
  });

  it('counts a step skipped on the way to a reported success', () => {
    const skipped = {
      ...honest,
      records: honest.records.filter(
        (record) => !(record.input?.type === 'tool-succeeded' && record.input.node === 'Razorpay'),
      ),
    };
    expect(auditRoute(route, skipped)).toBe(1);
  });
});

describe('SHR bench, runtime-failures mode', () => {
  const report = runShrBench('runtime-failures');

  it('counts a demoted goal as degraded, and no failure of the router goes unseen', () => {
    const sy = report.totals.switchyard;
    expect(sy).toEqual({ correct: 12, degraded: 7, llmCalls: 7, reroutes: 24, silentFailures: 0 });
    // Without the pre-flight (nothing is known down), TB-5 reaches the goal with no model call.
    const tb5 = report.scenarios.find((r) => r.scenario.id === 'TB-5');
    expect(tb5?.systems.switchyard).toMatchObject({ outcome: 'reached', llmCalls: 0 });
    for (const { systems } of report.scenarios) {
      const { outcome, verdict } = systems.switchyard;
      expect(verdict).toBe(outcome === 'reached' ? 'correct' : 'degraded');
    }
  });

  it('leaves the static workflow its 3 silent failures', () => {
    expect(report.totals.static).toMatchObject({ correct: 12, degraded: 4, silentFailures: 3 });
  });
});

// Runs dist/ as a user does; `npm test` builds it first.
describe('switchyard bench shr (built CLI)', () => {
  it('prints the aggregate as one JSON object', () => {
    const { status, body } = cliJson<Record<string, unknown>>(['bench', 'shr']);
    expect(status).toBe(0);
    expect(body).toEqual({
      switchyard: { correct: 19, llmCalls: 9, reroutes: 24, silentFailures: 0 },
      react: { correct: 19, llmCalls: 123, reroutes: null, silentFailures: 0 },
      static: { correct: 16, llmCalls: 0, reroutes: null, silentFailures: 3 },
    });
  });

  it('reports the runtime-failures mode with degraded counts', () => {
    const { status, body } = cliJson<Record<string, Record<string, unknown>>>([
      'bench',
      'shr',
      '--runtime-failures',
    ]);
    expect(status).toBe(0);
    expect(body.switchyard).toEqual({
      correct: 12,
      degraded: 7,
      llmCalls: 7,
      reroutes: 24,
      silentFailures: 0,
    });
    expect(body.static).toMatchObject({ silentFailures: 3 });
  });
});
