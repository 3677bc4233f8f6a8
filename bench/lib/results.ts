// The shape of bench/results/<date>.json, shared by the orchestrator, the report and the CI test.
import type { Metrics } from './child.js';

export const RESULTS_SCHEMA = 'switchyard-bench/1';

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export interface RoundRecord {
  round: number;
  /** Position of this child in its round's (rotated) order. */
  position: number;
  metrics: Metrics;
  maxRssKb: number;
  /** Wall time of the whole child, start-up included. */
  childMs: number;
}

export interface ScenarioRecord {
  id: string;
  engine: string;
  workload: string;
  label: string;
  phase: 'setup' | 'round';
  rounds: RoundRecord[];
  info: Record<string, unknown>;
  /** Every metric, and maxRssMb, summarised over rounds. */
  summary: Record<string, Summary>;
}

export interface RatioRecord {
  id: string;
  label: string;
  /** Taken within each round (numerator and floor from the same round), then summarised. */
  perRound: number[];
  summary: Summary;
  goal?: string;
  /** The comparison table it belongs in (issue #4: a workload); none for issue #3's ratios. */
  group?: string;
}

export interface GoalRecord {
  id: string;
  goal: string;
  value: number;
  unit: string;
  target: string;
  /** null when not evaluated (--quick runs smaller sizes than the goals speak of). */
  met: boolean | null;
  note: string;
}

export interface BenchResults {
  schema: typeof RESULTS_SCHEMA;
  date: string;
  startedAt: string;
  durationS: number;
  quick: boolean;
  rounds: number;
  sizes: Record<string, number>;
  /** Where the children imported Switchyard from: 'src' (through tsx) or 'dist'. */
  source: 'src' | 'dist';
  /**
   * The collection each child made before a timed repetition (bench/lib/child.ts). Results
   * written before this field existed made a full one.
   */
  gc?: 'minor' | 'full';
  machine: {
    nproc: number;
    cpuModel: string;
    memoryGiB: number;
    platform: string;
    arch: string;
    loadavgStart: number[];
    loadavgEnd: number[];
  };
  versions: Record<string, string>;
  scenarios: Record<string, ScenarioRecord>;
  ratios: RatioRecord[];
  goals: GoalRecord[];
}

export function summarize(values: readonly number[]): Summary {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    median,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    n: sorted.length,
  };
}
