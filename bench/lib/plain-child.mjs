// The child protocol of bench/lib/child.ts, for the engine-comparison children (issue #4), which
// run as plain JavaScript under `node --expose-gc`, without tsx: tsx's loader hooks every module a
// child loads, and measured on the bench machine that costs a Mastra child 1.3–2 s of import time
// and ~370 MB of peak RSS it does not have under plain Node (LangGraph +0.4 s, +55 MB). So the peers,
// and Switchyard compiled by tsc beside them, run as a user would run them. Same result line: one
// JSON object on stdout with the metrics and the child's peak RSS.
import { writeSync } from 'node:fs';

/** @typedef {Record<string, number>} Metrics */
/** @typedef {{ metrics: Metrics, info?: Record<string, unknown> }} ChildResult */

/** @returns {any} the JSON argument the orchestrator passed */
export function childArgs() {
  return JSON.parse(process.argv[2] ?? '{}');
}

/**
 * Writes the result line synchronously (a child that SIGKILLs itself right after must not lose it).
 * @param {ChildResult} result
 */
export function emit(result) {
  const line = { ok: true, ...result, maxRssKb: process.resourceUsage().maxRSS };
  writeSync(1, JSON.stringify(line) + '\n');
}

/**
 * Runs a scenario body and reports a failure as a result line (and exit code 1), not a stack.
 * @param {() => Promise<ChildResult>} body
 */
export async function runChild(body) {
  try {
    emit(await body());
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    writeSync(1, JSON.stringify({ ok: false, error: message }) + '\n');
    process.exitCode = 1;
  }
}

/** @param {bigint} start a process.hrtime.bigint() reading */
export function sinceUs(start) {
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** @param {NodeJS.CpuUsage} start */
export function cpuSinceUs(start) {
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

/** As bench/lib/child.ts#collectGarbage (which says why a minor collection by default). */
export function collectGarbage() {
  const { gc } = /** @type {{ gc?: (options?: { type: 'minor' }) => void }} */ (globalThis);
  if (process.env.SWITCHYARD_BENCH_GC === 'full') gc?.();
  else gc?.({ type: 'minor' });
}

/** @param {readonly number[]} values */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The cap on a run is kept by the orchestrator, not by the child: an engine that never yields to
 * the event loop's timers during a run (LangGraph's in-memory loop runs on promise jobs alone) would
 * never see a timer of its own fire. So the child says on stderr when a capped run starts and ends,
 * and every 1,024 steps how far it is; the orchestrator arms the cap on the first line, and if the
 * run outlives it, reads the child's peak RSS, kills it and reports "did not finish" with the
 * steps reached. One short write per 1,024 steps, the same for every engine.
 */
export const CAP_MARK = '@@bench-cap';

/**
 * @param {number} capS
 * @param {number} steps steps of this run
 * @param {number} timedSteps steps of the child's timed runs (more than `steps` in a warm-up)
 */
export function capStart(capS, steps, timedSteps = steps) {
  writeSync(2, `${CAP_MARK} start ${JSON.stringify({ capS, steps, timedSteps })}\n`);
}

export function capEnd() {
  writeSync(2, `${CAP_MARK} end\n`);
}

/** @param {number} steps steps done so far in the capped run */
export function capProgress(steps) {
  writeSync(2, `${CAP_MARK} progress ${steps}\n`);
}
