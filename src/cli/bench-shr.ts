import type { Command } from 'commander';
import { runShrBench } from '../routing/shr/bench.js';
import { renderShrReport, shrJson } from '../routing/shr/report.js';

/**
 * `switchyard bench shr [--json] [--runtime-failures]`: the SHR paper's 19 scenarios through the
 * router and the two baselines (src/routing/shr/). It needs no store, config or model: the whole
 * benchmark is a pure computation, so its numbers are the same on every machine.
 */
export function registerBenchShr(program: Command): void {
  const bench =
    program.commands.find((command) => command.name() === 'bench') ??
    program.command('bench').description('reproducible benchmarks (no store or model needed)');
  bench
    .command('shr')
    .description(
      'self-healing routing: the SHR paper scenarios through Switchyard, ReAct and a static workflow',
    )
    .option(
      '--runtime-failures',
      'health starts empty and failures show only when a tool is called; a demoted goal is degraded',
    )
    .action((options: { runtimeFailures?: boolean }, command: Command) => {
      const report = runShrBench(options.runtimeFailures ? 'runtime-failures' : 'paper');
      // --json is the program's global option; commander files it with the root command.
      const json = command.optsWithGlobals<{ json?: boolean }>().json === true;
      process.stdout.write(
        `${json ? JSON.stringify(shrJson(report), null, 2) : renderShrReport(report)}\n`,
      );
    });
}
