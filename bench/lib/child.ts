// The protocol between the orchestrator (bench/run.ts) and a scenario child: the child gets its
// parameters as one JSON argument and prints exactly one JSON line on stdout. Everything else a
// child prints goes to stderr, so a chatty dependency cannot corrupt the result.
import { writeSync } from 'node:fs';

export type Metrics = Record<string, number>;

export interface ChildResult {
  /** Numbers the orchestrator summarises over rounds (median, min, max). */
  metrics: Metrics;
  /** Anything descriptive (settings, counts that cannot vary); copied from the first round. */
  info?: Record<string, unknown>;
}

export interface ChildLine extends ChildResult {
  ok: true;
  /** Peak resident set size of this child, from process.resourceUsage().maxRSS (KiB). */
  maxRssKb: number;
}

export interface ChildFailure {
  ok: false;
  error: string;
}

export function childArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/**
 * Writes the result line synchronously: a child that SIGKILLs itself right after (the crash
 * scenario) must not lose it in a stream buffer.
 */
export function emit(result: ChildResult): void {
  const line: ChildLine = {
    ok: true,
    ...result,
    maxRssKb: process.resourceUsage().maxRSS,
  };
  writeSync(1, JSON.stringify(line) + '\n');
}

/** Runs a scenario body and reports a failure as a result line (and exit code 1), not a stack. */
export async function runChild(body: () => Promise<ChildResult>): Promise<void> {
  try {
    emit(await body());
  } catch (error) {
    const failure: ChildFailure = {
      ok: false,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
    writeSync(1, JSON.stringify(failure) + '\n');
    process.exitCode = 1;
  }
}

/** Microseconds since `start` (a process.hrtime.bigint() reading). */
export function sinceUs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** CPU time (user + system, all threads) since `start`, in microseconds. */
export function cpuSinceUs(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/**
 * Collects garbage before a timed repetition when the child runs with --expose-gc, so one
 * repetition does not pay for the previous one's short-lived garbage; each still pays for its own.
 * The previous repetitions' old-generation garbage is left to V8's own full collections, which a
 * later repetition may then pay for, as in a long-lived process.
 *
 * A minor collection (the young generation) unless the orchestrator says `--gc full`. Node 20's
 * `gc()` is a full collection that also drops every hidden class no live object uses (maps that
 * V8's own full collections keep for a while, --retain-maps-for-n-gc), and V8 then discards the
 * optimized code that embeds one ("weak objects" in --trace-deopt). Measured in one process on a
 * Switchyard 1,000-step chain: after gc(), ~9 hot functions deoptimized per repetition (the
 * driver's loop, the tool-call path, the engine's handlers) and 52 µs/step (38–74); after a minor
 * collection none and 15–28 µs/step; with the repetitions separated instead by ordinary full
 * collections (allocation churn: 20 of them over 13 repetitions), 8 such deoptimizations in all.
 * (`gc({ type: 'major' })` is no way out: Node 20 runs a minor collection for it.)
 */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: (options?: { type: 'minor' }) => void }).gc;
  if (process.env.SWITCHYARD_BENCH_GC === 'full') gc?.();
  else gc?.({ type: 'minor' });
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
