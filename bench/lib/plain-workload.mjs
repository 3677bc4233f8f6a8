// One driver for the engine-comparison children (issue #4): Switchyard, LangGraph.js and Mastra
// each supply an adapter that builds the workload idiomatically for that engine; this file runs it
// the same way for all three, so the timing, the checks and the crash are identical and only the
// engine differs. (The files they write are measured by the orchestrator, bench/lib/engine-files.ts.)
//
// Workloads (every step a no-op but for passing a counter on, so a run can be checked):
//   chain  — `size` steps in a line, each step's output the next one's input: { n } -> { n + 1 };
//   loop   — one step repeated `size` times by the engine's loop construct, same { n } -> { n + 1 };
//   fanout — `size` rounds of: `width` parallel tasks, then one join step that waits for all.
// Steps of a run: chain and loop `size`; fanout size × (width + 1). Per-step time is the wall time of
// the whole run over its steps, so run start and end are included.
//
// Modes (args.mode):
//   run    — warm-up runs, then timed runs on a fresh store each (memory or a new SQLite file);
//   build  — one durable loop run of `size` steps into journal.db (storage growth);
//   crash  — a durable loop run that SIGKILLs its own process inside step killAt + 1;
//   resume — a fresh process resumes that run by the engine's documented path and finishes it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  capEnd,
  capProgress,
  capStart,
  childArgs,
  collectGarbage,
  cpuSinceUs,
  emit,
  median,
  runChild,
  sinceUs,
} from './plain-child.mjs';

/**
 * @typedef {'chain' | 'loop' | 'fanout'} Workload
 * @typedef {{ step(): void }} Hooks what every no-op step calls first (counts it, or crashes)
 * @typedef {{ n?: number, round?: number }} Final the run's final state, for the check
 * @typedef {{
 *   engine: string,
 *   build(workload: Workload, size: number, width: number, hooks: Hooks): unknown,
 *   open(store: 'memory' | 'sqlite', file: string | undefined, built: unknown): Promise<unknown>,
 *   execute(built: unknown, ctx: unknown, runId: string): Promise<Final>,
 *   resume(built: unknown, ctx: unknown, runId: string): Promise<Final>,
 *   close(ctx: unknown): Promise<void>,
 *   settings?(ctx: unknown): Promise<Record<string, unknown>>,
 *   versions?(): Record<string, string>,
 * }} Adapter
 */

/** @param {Workload} workload @param {number} size @param {number} width */
export function stepsOf(workload, size, width) {
  return workload === 'fanout' ? size * (width + 1) : size;
}

/** @param {Workload} workload @param {number} size @param {number} width @param {Final} final */
function check(workload, size, width, final, calls) {
  const steps = stepsOf(workload, size, width);
  if (workload === 'fanout') {
    if (final.round !== size) throw new Error(`fanout ended at round ${final.round}, not ${size}`);
  } else if (final.n !== size)
    throw new Error(`${workload} ended with n = ${final.n}, not ${size}`);
  if (calls !== undefined && calls !== steps)
    throw new Error(`${workload} ran ${calls} steps, not ${steps}`);
}

/** @param {Adapter} adapter */
export async function main(adapter) {
  await runChild(async () => {
    const args = childArgs();
    const { mode } = args;
    const width = args.width ?? 0;
    let calls = 0;
    /** @type {number | undefined} */
    let firstStepUs;
    let t0 = process.hrtime.bigint();
    /** @type {Hooks} */
    const hooks = {
      step() {
        firstStepUs ??= sinceUs(t0);
        calls++;
        if ((calls & 1023) === 0) capProgress(calls);
        if (mode === 'crash' && calls === args.killAt + 1) {
          // Inside step killAt + 1: killAt steps have finished, this one is in flight.
          emit({
            metrics: { killedAtStep: args.killAt, buildUsPerStep: sinceUs(t0) / args.killAt },
            info: { engine: adapter.engine, runId: args.runId },
          });
          process.kill(process.pid, 'SIGKILL');
        }
      },
    };
    const versions = adapter.versions?.() ?? {};
    mkdirSync(args.dir, { recursive: true });

    if (mode === 'run') {
      const { workload, store, size, warmupSize, capS } = args;
      const steps = stepsOf(workload, size, width);
      const built = adapter.build(workload, size, width, hooks);
      const warm = warmupSize === size ? built : adapter.build(workload, warmupSize, width, hooks);
      let settings = {};
      /** One run on a fresh store; only execute() is timed. @param {string} label @param {number} n */
      const once = async (label, n) => {
        const file = store === 'sqlite' ? join(args.dir, `${label}.db`) : undefined;
        const runId = `run_${label}`;
        const workflow = n === size ? built : warm;
        const ctx = await adapter.open(store, file, workflow);
        calls = 0;
        collectGarbage();
        const runSteps = stepsOf(workload, n, width);
        capStart(capS, runSteps, steps);
        t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        const final = await adapter.execute(workflow, ctx, runId);
        const cpuUs = cpuSinceUs(c0);
        const wallUs = sinceUs(t0);
        capEnd();
        check(workload, n, width, final, calls);
        settings = (await adapter.settings?.(ctx)) ?? {};
        await adapter.close(ctx);
        return { wall: wallUs / runSteps, cpu: cpuUs / runSteps };
      };
      for (let w = 0; w < args.warmup; w++) await once(`warmup-${w}`, warmupSize);
      const wall = [];
      const cpu = [];
      for (let r = 0; r < args.reps; r++) {
        const one = await once(`rep-${r}`, size);
        wall.push(one.wall);
        cpu.push(one.cpu);
      }
      return {
        metrics: {
          stepUs: median(wall),
          stepUsBest: Math.min(...wall),
          stepCpuUs: median(cpu),
          steps,
          runMs: (median(wall) * steps) / 1000,
        },
        info: {
          engine: adapter.engine,
          workload,
          store,
          size,
          width,
          warmup: args.warmup,
          warmupSize,
          reps: args.reps,
          capS,
          settings,
          versions,
        },
      };
    }

    if (mode === 'build') {
      const { size, capS } = args;
      const file = join(args.dir, 'journal.db');
      const built = adapter.build('loop', size, 0, hooks);
      const ctx = await adapter.open('sqlite', file, built);
      capStart(capS, size);
      t0 = process.hrtime.bigint();
      const final = await adapter.execute(built, ctx, args.runId);
      const us = sinceUs(t0);
      capEnd();
      check('loop', size, 0, final, calls);
      const settings = (await adapter.settings?.(ctx)) ?? {};
      await adapter.close(ctx);
      // The file itself is measured by the orchestrator once this process has exited.
      return {
        metrics: { steps: size, buildUsPerStep: us / size },
        info: { engine: adapter.engine, settings, versions },
      };
    }

    if (mode === 'crash') {
      const built = adapter.build('loop', args.size, 0, hooks);
      const ctx = await adapter.open('sqlite', join(args.dir, 'journal.db'), built);
      t0 = process.hrtime.bigint();
      await adapter.execute(built, ctx, args.runId);
      throw new Error(`the run finished instead of being killed at step ${args.killAt + 1}`);
    }

    if (mode === 'resume') {
      const { size, killAt } = args;
      const built = adapter.build('loop', size, 0, hooks);
      t0 = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      const ctx = await adapter.open('sqlite', join(args.dir, 'journal.db'), built);
      const openUs = sinceUs(t0);
      capStart(args.capS, size - killAt);
      const final = await adapter.resume(built, ctx, args.runId);
      const totalUs = sinceUs(t0);
      capEnd();
      const cpu = process.cpuUsage(c0);
      await adapter.close(ctx);
      // The state must come out as if the run had never stopped; the steps run here say whether
      // the interrupted step (or more) ran again.
      check('loop', size, 0, final, undefined);
      return {
        metrics: {
          openMs: openUs / 1000,
          resumeMs: (firstStepUs ?? totalUs) / 1000,
          totalMs: totalUs / 1000,
          totalCpuMs: (cpu.user + cpu.system) / 1000,
          stepsRun: calls,
          stepsRerun: calls - (size - killAt),
          finalN: final.n ?? Number.NaN,
        },
        info: { engine: adapter.engine, size, killAt, versions },
      };
    }

    throw new Error(`unknown mode ${String(mode)}`);
  });
}
