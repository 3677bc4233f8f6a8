import type { Command } from 'commander';
import { renderCascadeBench, runCascadeBench } from '../runtime/cascade-bench.js';

/**
 * `switchyard bench cascade [--queries N] [--seed S] [--json]`: issue #7's benchmark — questions of
 * mixed difficulty through the engine on two simulated quiz profiles, the cascade against each
 * model alone (src/runtime/cascade-bench.ts). Needs no store, config or provider: it runs on an
 * in-memory journal, and its numbers are the same on every machine for a given seed.
 */
export function registerBenchCascade(program: Command): void {
  const bench =
    program.commands.find((command) => command.name() === 'bench') ??
    program.command('bench').description('reproducible benchmarks (no store or model needed)');
  bench
    .command('cascade')
    .description(
      'cascades and budgets: cheap → expensive on simulated quiz profiles, against each model alone',
    )
    .option('--queries <n>', 'questions to ask (default 1000)', (value) =>
      Number.parseInt(value, 10),
    )
    .option('--seed <n>', 'seed of the questions and the simulated models (default 7)', (value) =>
      Number.parseInt(value, 10),
    )
    .action(async (options: { queries?: number; seed?: number }, command: Command) => {
      const report = await runCascadeBench({
        ...(options.queries === undefined ? {} : { queries: options.queries }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
      });
      const json = command.optsWithGlobals<{ json?: boolean }>().json === true;
      process.stdout.write(
        `${json ? JSON.stringify(report, null, 2) : renderCascadeBench(report)}\n`,
      );
    });
}
