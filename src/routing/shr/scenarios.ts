import type { RouteSpec } from '../graph.js';

/**
 * The 19 scenarios of the SHR paper's evaluation in its three topologies, exactly as
 * research/seeds.md §1.2 gives them (the author's `scenarios/benchmarks.py`). Node names follow
 * seeds.md; the author's code spells a few of them longer (`FlightAPI`, `ToxicityScorer`). Names
 * could only matter through Dijkstra's tie-break, and the one exact tie in these graphs (Start →
 * Flight → Hotel → Bus and Start → Flight → Hostel → Bus, both 1.0101… to Bus) decides a path only
 * when Car is down and Hotel is not, which no scenario has.
 *
 * Failures are a property of the world, not of the router: `failed` tools fail every call. How much
 * the router knows about them beforehand is the bench's mode (bench.ts).
 */
export type Topology = 'linear' | 'dag' | 'fan-out';

export interface ShrDomain {
  readonly id: 'customer-support' | 'travel-booking' | 'content-moderation';
  readonly topology: Topology;
  /** Node order as in the author's code (it only orders the pre-flight's list of down tools). */
  readonly nodes: readonly string[];
  readonly edges: ReadonlyArray<readonly [from: string, to: string, cost: number]>;
  readonly start: string;
  readonly goal: string;
  /**
   * The static baseline's hand-coded single-fallback map (seeds.md §1.2, "Baseline counting
   * rules"): when a tool is down, go to this one instead.
   */
  readonly fallbacks: Readonly<Record<string, string>>;
}

export interface ShrScenario {
  readonly id: string;
  readonly name: string;
  readonly domain: ShrDomain;
  readonly failed: readonly string[];
}

const pairs = (...list: Array<[string, string]>): Record<string, string> =>
  Object.fromEntries(
    list.flatMap(([a, b]) => [
      [a, b],
      [b, a],
    ]),
  );

export const CUSTOMER_SUPPORT: ShrDomain = {
  id: 'customer-support',
  topology: 'linear',
  nodes: ['Start', 'CRM', 'Stripe', 'Razorpay', 'Email', 'SMS', 'Complete'],
  edges: [
    ['Start', 'CRM', 0.1],
    ['CRM', 'Stripe', 0.3],
    ['CRM', 'Razorpay', 0.5],
    ['Stripe', 'Email', 0.3],
    ['Stripe', 'SMS', 0.4],
    ['Razorpay', 'Email', 0.3],
    ['Razorpay', 'SMS', 0.4],
    ['Email', 'Complete', 0.1],
    ['SMS', 'Complete', 0.1],
  ],
  start: 'Start',
  goal: 'Complete',
  fallbacks: pairs(['Stripe', 'Razorpay'], ['Email', 'SMS']),
};

export const TRAVEL_BOOKING: ShrDomain = {
  id: 'travel-booking',
  topology: 'dag',
  nodes: ['Start', 'Flight', 'Train', 'Hotel', 'Hostel', 'Car', 'Bus', 'Payment', 'Confirm'],
  edges: [
    ['Start', 'Flight', 0.3],
    ['Start', 'Train', 0.5],
    ['Flight', 'Hotel', 0.3],
    ['Flight', 'Hostel', 0.4],
    ['Train', 'Hotel', 0.3],
    ['Train', 'Hostel', 0.4],
    ['Hotel', 'Car', 0.3],
    ['Hotel', 'Bus', 0.4],
    ['Hostel', 'Car', 0.4],
    ['Hostel', 'Bus', 0.3],
    ['Car', 'Payment', 0.2],
    ['Bus', 'Payment', 0.2],
    ['Payment', 'Confirm', 0.1],
  ],
  start: 'Start',
  goal: 'Confirm',
  fallbacks: pairs(['Flight', 'Train'], ['Hotel', 'Hostel'], ['Car', 'Bus']),
};

export const CONTENT_MODERATION: ShrDomain = {
  id: 'content-moderation',
  topology: 'fan-out',
  nodes: [
    'Start',
    'TextMod',
    'ImageMod',
    'VideoMod',
    'Toxicity',
    'HumanReview',
    'AutoApprove',
    'Complete',
  ],
  edges: [
    ['Start', 'TextMod', 0.2],
    ['Start', 'ImageMod', 0.3],
    ['Start', 'VideoMod', 0.5],
    ['TextMod', 'Toxicity', 0.2],
    ['ImageMod', 'Toxicity', 0.3],
    ['VideoMod', 'Toxicity', 0.4],
    ['Toxicity', 'HumanReview', 0.5],
    ['Toxicity', 'AutoApprove', 0.2],
    ['HumanReview', 'Complete', 0.1],
    ['AutoApprove', 'Complete', 0.1],
  ],
  start: 'Start',
  goal: 'Complete',
  // "Fan-out" is modelled, as in the reference, as alternative branches: one moderator runs.
  fallbacks: {
    ...pairs(['TextMod', 'ImageMod'], ['AutoApprove', 'HumanReview']),
    VideoMod: 'ImageMod',
  },
};

const scenario = (
  domain: ShrDomain,
  id: string,
  name: string,
  failed: string[] = [],
): ShrScenario => ({ id, name, domain, failed });

export const SHR_SCENARIOS: readonly ShrScenario[] = [
  scenario(CUSTOMER_SUPPORT, 'CS-1', 'happy path'),
  scenario(CUSTOMER_SUPPORT, 'CS-2', 'payment provider down', ['Stripe']),
  scenario(CUSTOMER_SUPPORT, 'CS-3', 'notification channel down', ['Email']),
  scenario(CUSTOMER_SUPPORT, 'CS-4', 'payment and notification down', ['Stripe', 'Email']),
  scenario(CUSTOMER_SUPPORT, 'CS-5', 'all payments down', ['Stripe', 'Razorpay']),
  scenario(CUSTOMER_SUPPORT, 'CS-6', 'all notifications down', ['Email', 'SMS']),
  scenario(CUSTOMER_SUPPORT, 'CS-7', 'CRM down', ['CRM']),
  scenario(TRAVEL_BOOKING, 'TB-1', 'happy path'),
  scenario(TRAVEL_BOOKING, 'TB-2', 'flight down', ['Flight']),
  scenario(TRAVEL_BOOKING, 'TB-3', 'hotel and car down', ['Hotel', 'Car']),
  scenario(TRAVEL_BOOKING, 'TB-4', 'all transport down', ['Flight', 'Train']),
  scenario(TRAVEL_BOOKING, 'TB-5', 'flight, hotel and car down', ['Flight', 'Hotel', 'Car']),
  scenario(TRAVEL_BOOKING, 'TB-6', 'payment down', ['Payment']),
  scenario(CONTENT_MODERATION, 'CM-1', 'happy path'),
  scenario(CONTENT_MODERATION, 'CM-2', 'text moderator down', ['TextMod']),
  scenario(CONTENT_MODERATION, 'CM-3', 'auto-approve down', ['AutoApprove']),
  scenario(CONTENT_MODERATION, 'CM-4', 'text moderator and auto-approve down', [
    'TextMod',
    'AutoApprove',
  ]),
  scenario(CONTENT_MODERATION, 'CM-5', 'all moderators down', ['TextMod', 'ImageMod', 'VideoMod']),
  scenario(CONTENT_MODERATION, 'CM-6', 'toxicity scorer down', ['Toxicity']),
];

/** A domain's graph as a route spec, every node with the paper's default attributes. */
export function routeSpecOf(domain: ShrDomain): RouteSpec {
  return {
    graph: {
      nodes: domain.nodes.map((id) => ({ id })),
      edges: domain.edges.map(([from, to, cost]) => ({ from, to, cost })),
    },
    start: domain.start,
    goal: domain.goal,
  };
}
