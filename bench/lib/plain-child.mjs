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

export function collectGarbage() {
  /** @type {{ gc?: () => void }} */ (globalThis).gc?.();
}

/** @param {readonly number[]} values */
export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A run that has not finished `capS` seconds after it started is reported, not waited for: the
 * child prints a result line saying so (with how many steps it had done) and exits. Cheaper to
 * read than a stuck child, and the cap is in the results.
 *
 * @param {number} capS
 * @param {() => ChildResult} report what to print if the cap is reached
 * @returns {() => void} disarms the cap
 */
export function armCap(capS, report) {
  const timer = setTimeout(() => {
    emit(report());
    process.exit(0);
  }, capS * 1000);
  return () => clearTimeout(timer);
}

/**
 * The result of a run that reached its cap: `dnf` = 1, the cap, and how far it got. stepUsAtLeast
 * is the cap over all the steps: the run's per-step time is at least that.
 *
 * @param {number} capS
 * @param {number} steps
 * @param {number} done
 * @param {number} elapsedUs
 * @returns {ChildResult}
 */
export function dnf(capS, steps, done, elapsedUs) {
  return {
    metrics: {
      dnf: 1,
      capS,
      steps,
      stepsDone: done,
      stepUsAtLeast: (capS * 1e6) / steps,
      stepUsSoFar: done > 0 ? elapsedUs / done : capS * 1e6,
    },
    info: { dnf: `did not finish ${steps} steps in ${capS} s (${done} done)` },
  };
}
