import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { SwitchyardError } from '../core/errors.js';
import type { JournalEvent } from '../core/events.js';
import type { JsonValue } from '../core/json.js';
import { RUN_STATUSES, type JournalStore, type RunStatus } from '../core/ports.js';
import { DEFAULT_STORE_URL, openStore } from '../journal/open-store.js';
import type { FaultHooks, RunOutcome } from '../runtime/driver.js';
import { connectMcpServers, type McpServers } from '../runtime/mcp.js';
import { readRunStart } from '../runtime/journal.js';
import { viewRun } from '../runtime/run-view.js';
import { Runtime } from '../runtime/runtime.js';
import { formatSpecIssue, loadWorkflowFile, SpecValidationError } from '../spec/index.js';
import { promptHistory, renderPromptHistory } from '../runtime/prompts.js';
import { registerBenchCascade } from './bench-cascade.js';
import { registerBenchShr } from './bench-shr.js';
import { hanoiVoteParser } from '../voting/hanoi/trajectory.js';
import { renderHanoiReport, runHanoiExample } from './example-hanoi.js';
import { registerPlanVote } from './plan-vote.js';
import { registerMcp } from './mcp.js';
import { registerServe } from './serve.js';
import {
  buildModels,
  findConfig,
  loadConfig,
  loadToolModules,
  type LoadedConfig,
} from './config.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { Progress } from './progress.js';
import {
  bold,
  dim,
  red,
  renderOutcome,
  renderRunView,
  renderVerify,
  statusColor,
  yellow,
} from './render.js';

interface GlobalOptions {
  store?: string;
  config?: string;
  json?: boolean;
  debug?: boolean;
  seed?: number;
}

export class UsageError extends SwitchyardError {
  constructor(message: string, hint?: string) {
    super('USAGE', message, hint === undefined ? {} : { hint });
  }
}

/** Everything a command needs, opened lazily from the global options. */
class Session {
  private storeInstance: JournalStore | undefined;
  private mcpServers: McpServers | undefined;
  /** Config loads by file ('' for none), kept for the command: see loadOnce. */
  private readonly loaded = new Map<string, Promise<LoadedConfig>>();

  constructor(
    readonly options: GlobalOptions,
    readonly cwd: string,
  ) {}

  async config(specFile?: string): Promise<LoadedConfig> {
    const file = this.options.config
      ? path.resolve(this.cwd, this.options.config)
      : findConfig(specFile ? path.dirname(path.resolve(this.cwd, specFile)) : this.cwd, this.cwd);
    return this.loadOnce(file);
  }

  /**
   * Each config file is loaded once per command: a switchyard.config.ts whose default export is a
   * function (fetching a secret, say) must not run again each time a command asks for its config.
   */
  private loadOnce(file: string | undefined): Promise<LoadedConfig> {
    const key = file ?? '';
    let config = this.loaded.get(key);
    if (config === undefined) {
      config = loadConfig(file, this.cwd);
      this.loaded.set(key, config);
    }
    return config;
  }

  /** The config a run was started with (recorded in its run-start), unless --config says otherwise. */
  /**
   * The config (and simulated-model seed) a run was started with, as recorded in its run-start, so
   * that resuming or deciding it from anywhere uses the same tools and models. --config overrides.
   */
  async configForRun(runId: string): Promise<LoadedConfig> {
    const store = await this.store(await this.config());
    // run-start records where the run came from; a damaged journal is reported by the command
    // itself, with its seq.
    const origin = (await readRunStart(store, runId).catch(() => undefined))?.origin;
    if (origin?.seed !== undefined && this.options.seed === undefined)
      this.options.seed = origin.seed;
    if (this.options.config) return await this.config();
    return origin?.config && existsSync(origin.config)
      ? await this.loadOnce(origin.config)
      : await this.config();
  }

  async store(config?: LoadedConfig): Promise<JournalStore> {
    if (!this.storeInstance) {
      const explicit = this.options.store ?? process.env.SWITCHYARD_STORE;
      const fromConfig = explicit === undefined ? config?.config.store : undefined;
      const url = explicit ?? fromConfig ?? DEFAULT_STORE_URL;
      // A relative sqlite path in a config file means next to that file (like its tools), so the
      // same config names the same journal from whatever directory a command is run.
      const cwd = fromConfig !== undefined && config ? config.dir : this.cwd;
      this.storeInstance = await openStore(url, { cwd });
    }
    return this.storeInstance;
  }

  async runtime(config: LoadedConfig, progress?: Progress): Promise<Runtime> {
    const faults = faultHooks(process.env.SWITCHYARD_FAULT);
    const modules = await loadToolModules(config);
    const runtime = new Runtime({
      store: await this.store(config),
      tools: modules.tools,
      voteFunctions: withBuiltInVoteFunctions(modules.voteFunctions),
      models: buildModels(config.config, this.options.seed, {
        ...(config.file ? { file: config.file } : {}),
        onWarning: (message) => process.stderr.write(`${yellow('warning')}: ${message}\n`),
      }),
      ...(faults ? { faults } : {}),
      ...(progress ? { onEvents: (runId, events) => progress.update(runId, events) } : {}),
      origin: {
        ...(config.file ? { config: config.file } : {}),
        ...(this.options.seed === undefined ? {} : { seed: this.options.seed }),
      },
      onWarning: (message) => process.stderr.write(`${yellow('warning')}: ${message}\n`),
    });
    // The config's MCP servers' tools join the registry as <server>.<tool> (docs/mcp.md).
    this.mcpServers = await connectMcpServers(runtime, config, {
      onWarning: (message) => process.stderr.write(`${yellow('warning')}: ${message}\n`),
    });
    return runtime;
  }

  async close(): Promise<void> {
    await this.mcpServers?.close();
    await this.storeInstance?.close();
  }

  print(human: () => string, machine: () => unknown): void {
    process.stdout.write(`${this.options.json ? JSON.stringify(machine(), null, 2) : human()}\n`);
  }
}

function parseJsonArgument(value: string, what: string, cwd: string): JsonValue {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(path.resolve(cwd, value.slice(1)), 'utf8');
    } catch {
      throw new UsageError(`${what} file ${value.slice(1)} cannot be read`);
    }
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new UsageError(
      `${what} is not valid JSON: ${(error as Error).message}`,
      `pass JSON, e.g. '{"name":"Ada"}', or @file.json`,
    );
  }
}

function outcomeExit(outcome: RunOutcome): number {
  if (outcome.status === 'completed') return EXIT.ok;
  if (outcome.status === 'waiting' || outcome.status === 'outcome-unknown') return EXIT.paused;
  return EXIT.runFailed;
}

async function reportOutcome(
  session: Session,
  runtime: Runtime,
  outcome: RunOutcome,
): Promise<number> {
  const run = await runtime.getRun(outcome.runId);
  const view = viewRun(run, await runtime.events(outcome.runId));
  session.print(
    () =>
      renderOutcome(outcome, view) +
      (view.simulatedModelCalls ? `\n${dim('model: simulated (no provider configured)')}` : ''),
    () => ({ ...outcome, summary: summaryOf(view) }),
  );
  return outcomeExit(outcome);
}

function summaryOf(view: ReturnType<typeof viewRun>): Record<string, JsonValue> {
  return {
    events: view.events,
    steps: view.steps.length,
    toolCalls: view.toolCalls,
    modelCalls: view.modelCalls,
    simulatedModelCalls: view.simulatedModelCalls,
    retries: view.retries,
  };
}

/** Parses SWITCHYARD_FAULT (kill-after-event:N, kill-after-effect:N) for crash testing. */
function faultHooks(spec: string | undefined): FaultHooks | undefined {
  if (!spec) return undefined;
  const match = /^(kill-after-event|kill-after-effect):(\d+)$/.exec(spec);
  if (!match)
    throw new UsageError(
      `SWITCHYARD_FAULT=${spec} is not understood`,
      'use kill-after-event:N or kill-after-effect:N',
    );
  const limit = Number(match[2]);
  let count = 0;
  const kill = (): never => {
    process.kill(process.pid, 'SIGKILL');
    throw new Error('unreachable');
  };
  if (match[1] === 'kill-after-event') {
    return {
      afterAppend(events) {
        count += events.length;
        if (count >= limit) kill();
      },
    };
  }
  return {
    afterEffect() {
      count += 1;
      if (count >= limit) kill();
    },
  };
}

export function buildProgram(cwd: string, exit: { code: number }): Command {
  // exitOverride before any subcommand exists: subcommands copy it, so their usage errors are
  // thrown (and mapped to exit 2) instead of exiting with commander's own code.
  const program = new Command('switchyard')
    .exitOverride()
    .description('Deterministic, crash-safe workflows for LLM agents')
    .version('0.1.0')
    .option(
      '--store <url>',
      `journal store: sqlite:PATH, postgres://…, memory: (default ${DEFAULT_STORE_URL})`,
    )
    .option(
      '--config <file>',
      'config file (default: switchyard.config.yaml next to the spec or in the working directory)',
    )
    .option('--json', 'machine-readable output')
    .option('--debug', 'print stack traces')
    .addOption(
      new Option('--seed <n>', 'seed for the simulated model (recorded with the run)').argParser(
        (v) => wholeNumber(v, '--seed'),
      ),
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(red(text)) });

  const session = (): Session => new Session(program.opts<GlobalOptions>(), cwd);
  const run =
    (action: (s: Session, ...args: never[]) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      const s = session();
      const command = args[args.length - 1] as Command;
      Object.assign(s.options, command.opts());
      try {
        exit.code = await action(s, ...(args as never[]));
      } finally {
        await s.close();
      }
    };

  program
    .command('validate <spec>')
    .description('check a workflow file and print its spec hash')
    .action(
      run(async (s, file: string) => {
        const loaded = await loadWorkflowFile(path.resolve(cwd, file));
        s.print(
          () =>
            `${bold('ok')} ${loaded.spec.name}: ${loaded.spec.steps.length} steps, spec ${loaded.specHash}`,
          () => ({ ok: true, workflow: loaded.spec.name, specHash: loaded.specHash }),
        );
        return EXIT.ok;
      }),
    );

  program
    .command('run <spec>')
    .description('start a run and drive it until it finishes or waits')
    .option('--input <json>', 'workflow input as JSON or @file.json', '{}')
    .action(
      run(async (s, file: string, options: { input: string }) => {
        const specFile = path.resolve(cwd, file);
        const loaded = await loadWorkflowFile(specFile);
        const input = parseJsonArgument(options.input, '--input', cwd);
        const config = await s.config(file);
        const progress = new Progress(!s.options.json);
        const runtime = await s.runtime(config, progress);
        let outcome: RunOutcome;
        try {
          outcome = await runtime.start(loaded, input, {
            onStarted: (runId) => progress.start(runId),
          });
        } finally {
          progress.stop();
        }
        return reportOutcome(s, runtime, outcome);
      }),
    );

  program
    .command('resume <runId>')
    .description('continue a run after a crash or restart (finished steps are not redone)')
    .action(
      run(async (s, runId: string) => {
        const progress = new Progress(!s.options.json);
        const runtime = await s.runtime(await s.configForRun(runId), progress);
        progress.start(runId);
        try {
          return await reportOutcome(s, runtime, await runtime.resume(runId));
        } finally {
          progress.stop();
        }
      }),
    );

  program
    .command('approve <runId> <stepPath>')
    .description('approve (or --reject) a pending approval and continue the run')
    .option('--reject', 'reject instead of approving')
    .option('--value <json>', 'a value to hand to the workflow with the decision')
    .option('--comment <text>', 'a note kept in the journal')
    .option('--force', 'decide even though the run is recorded as running')
    .action(
      run(
        async (
          s,
          runId: string,
          stepPath: string,
          options: { reject?: boolean; value?: string; comment?: string; force?: boolean },
        ) => {
          const runtime = await s.runtime(await s.configForRun(runId));
          const outcome = await runtime.approve(
            runId,
            stepPath,
            {
              approved: !options.reject,
              ...(options.value === undefined
                ? {}
                : { value: parseJsonArgument(options.value, '--value', cwd) }),
              ...(options.comment === undefined ? {} : { comment: options.comment }),
            },
            { force: options.force === true },
          );
          return reportOutcome(s, runtime, outcome);
        },
      ),
    );

  program
    .command('resolve <runId> <stepPath>')
    .description('decide a call whose outcome is unknown after a crash')
    .option('--retry', 'it did not happen: call it again (same idempotency key)')
    .option('--force', 'decide even though the run is recorded as running')
    .option('--complete', 'it happened: record --value as its output')
    .option('--fail', 'fail the step (its onError policy applies)')
    .option('--value <json>', 'output to record with --complete')
    .action(
      run(
        async (
          s,
          runId: string,
          stepPath: string,
          options: {
            retry?: boolean;
            complete?: boolean;
            fail?: boolean;
            value?: string;
            force?: boolean;
          },
        ) => {
          const chosen = (['retry', 'complete', 'fail'] as const).filter((k) => options[k]);
          if (chosen.length !== 1)
            throw new UsageError('choose exactly one of --retry, --complete, --fail');
          const runtime = await s.runtime(await s.configForRun(runId));
          const value =
            options.value === undefined
              ? undefined
              : parseJsonArgument(options.value, '--value', cwd);
          return reportOutcome(
            s,
            runtime,
            await runtime.resolveOutcome(runId, stepPath, chosen[0] as 'retry', value, {
              force: options.force === true,
            }),
          );
        },
      ),
    );

  program
    .command('cancel <runId>')
    .description('cancel a run')
    .option('--reason <text>', 'why, kept in the journal')
    .action(
      run(async (s, runId: string, options: { reason?: string }) => {
        const runtime = await s.runtime(await s.configForRun(runId));
        return reportOutcome(s, runtime, await runtime.cancel(runId, options.reason));
      }),
    );

  program
    .command('replay <runId>')
    .description(
      're-derive every decision of a run from its journal without calling tools or models',
    )
    .option('--verify', 'check hashes and decisions (the default and only mode for now)')
    .action(
      run(async (s, runId: string) => {
        // Vote steps re-derive their decisions with the vote parsers and checks they name: those
        // come from the tool modules of the run's config (no model or key is needed to verify). A
        // config that cannot be loaded leaves none: a run that needs one then fails verification
        // naming it (VOTE_RULE_INVALID), and every other run verifies as before.
        const store = await s.store(await s.config());
        const voteFunctions = withBuiltInVoteFunctions(
          await s
            .configForRun(runId)
            .then(async (config) => (await loadToolModules(config)).voteFunctions)
            .catch(() => []),
        );
        const runtime = new Runtime({ store, voteFunctions });
        const report = await runtime.verify(runId);
        s.print(
          () => renderVerify(report),
          () => report,
        );
        return report.ok ? EXIT.ok : EXIT.verifyFailed;
      }),
    );

  const runs = program.command('runs').description('list and inspect runs');
  runs
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', 'only runs with this status')
    .option('--workflow <name>', 'only runs of this workflow')
    .option('--limit <n>', 'at most this many', '50')
    .option('--all', 'include sub-workflow runs')
    .action(
      run(
        async (
          s,
          options: { status?: RunStatus; workflow?: string; limit: string; all?: boolean },
        ) => {
          const store = await s.store(await s.config());
          const list = await store.listRuns({
            ...(options.status ? { status: runStatus(options.status) as RunStatus } : {}),
            ...(options.workflow ? { workflow: options.workflow } : {}),
            ...(options.all ? {} : { parentRunId: null }),
            limit: wholeNumber(options.limit, '--limit', 1),
          });
          s.print(
            () =>
              list.length === 0
                ? dim('no runs')
                : list
                    .map(
                      (r) =>
                        `${r.runId}  ${statusColor(r.status.padEnd(15))}  ${r.workflow.padEnd(20)}  ${new Date(r.createdAt).toISOString()}`,
                    )
                    .join('\n'),
            () => list,
          );
          return EXIT.ok;
        },
      ),
    );
  runs
    .command('show <runId>')
    .description('steps, states, timings, retries and outcome of a run')
    .action(
      run(async (s, runId: string) => {
        const runtime = new Runtime({ store: await s.store(await s.config()) });
        const view = viewRun(await runtime.getRun(runId), await runtime.events(runId));
        s.print(
          () => renderRunView(view),
          () => view,
        );
        return EXIT.ok;
      }),
    );
  runs
    .command('events <runId>')
    .description("print a run's journal")
    .action(
      run(async (s, runId: string) => {
        const runtime = new Runtime({ store: await s.store(await s.config()) });
        const events = await runtime.events(runId);
        s.print(
          () => events.map(describeEvent).join('\n'),
          () => events,
        );
        return EXIT.ok;
      }),
    );

  program
    .command('example')
    .description('built-in demonstrations on the simulated model')
    .command('hanoi')
    .description(
      "MAKER's Towers of Hanoi: one voted agent call per move, the trajectory checked by the simulator",
    )
    .addOption(
      new Option('--disks <n>', 'disks (2^n − 1 moves; 20 is 1,048,575)')
        .default(10)
        .argParser((v) => wholeNumber(v, '--disks', 1, 20)),
    )
    .addOption(
      new Option('--error-rate <p>', "the simulated model's per-sample error rate, 1 − p")
        .default(0.01)
        .argParser((v) => fraction(v, '--error-rate')),
    )
    .addOption(
      new Option('--k <n>', 'first-to-ahead-by-k')
        .default(3)
        .argParser((v) => wholeNumber(v, '--k', 1)),
    )
    .addOption(
      new Option('--max-samples <n>', 'samples per move before the step fails')
        .default(50)
        .argParser((v) => wholeNumber(v, '--max-samples', 1)),
    )
    .option('--resume <runId>', 'continue a killed run (its settings come from its journal)')
    .action(
      run(
        async (
          s,
          options: {
            disks: number;
            errorRate: number;
            k: number;
            maxSamples: number;
            resume?: string;
          },
        ) => {
          const url = s.options.store ?? process.env.SWITCHYARD_STORE ?? DEFAULT_STORE_URL;
          const file = url.startsWith('sqlite:')
            ? path.resolve(cwd, url.slice('sqlite:'.length).split('?')[0] as string)
            : null;
          const report = await runHanoiExample(await s.store(), file, {
            disks: options.disks,
            errorRate: options.errorRate,
            k: options.k,
            maxSamples: options.maxSamples,
            seed: s.options.seed ?? 1,
            ...(options.resume === undefined ? {} : { resume: options.resume }),
            // Progress goes to stderr, so --json output stays clean.
            onProgress: (line) => process.stderr.write(`${line}\n`),
            ...withFaults(faultHooks(process.env.SWITCHYARD_FAULT)),
          });
          s.print(
            () => renderHanoiReport(report),
            () => report,
          );
          return report.status === 'completed' && report.check.ok ? EXIT.ok : EXIT.runFailed;
        },
      ),
    );

  program
    .command('prompts')
    .description('prompt files and their versions')
    .command('list')
    .description(
      'every prompt file the runs in the store used: its versions (content hashes) and which runs used each',
    )
    .action(
      run(async (s) => {
        const history = await promptHistory(await s.store(await s.config()));
        s.print(
          () => renderPromptHistory(history),
          () => history,
        );
        return EXIT.ok;
      }),
    );

  registerBenchShr(program);
  registerBenchCascade(program);
  registerPlanVote(program);
  registerServe(program, cwd, exit);
  registerMcp(program, cwd, exit);
  return program;
}

function wholeNumber(text: string, option: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${option} must be a whole number ${range}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * The built-in example's parser is always known, so `replay --verify` and `resume` of a `switchyard
 * example hanoi` run need no config; a tool module may still define its own `hanoi`.
 */
function withBuiltInVoteFunctions<F extends { name: string }>(
  functions: readonly F[],
): Array<F | typeof hanoiVoteParser> {
  return functions.some((f) => f.name === hanoiVoteParser.name)
    ? [...functions]
    : [...functions, hanoiVoteParser];
}

function withFaults(faults: FaultHooks | undefined): { faults?: FaultHooks } {
  return faults ? { faults } : {};
}

function fraction(text: string, option: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value >= 0.5) {
    throw new UsageError(
      `${option} must be a number from 0 to below 0.5 (voting cannot converge at 0.5 or more), got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function runStatus(text: string | undefined): RunStatus | undefined {
  if (text === undefined) return undefined;
  if (!(RUN_STATUSES as readonly string[]).includes(text)) {
    throw new UsageError(
      `--status must be one of ${RUN_STATUSES.join(', ')}, got ${JSON.stringify(text)}`,
    );
  }
  return text as RunStatus;
}

function describeEvent(event: JournalEvent): string {
  const { seq, type, at: _at, ...rest } = event as JournalEvent & Record<string, unknown>;
  const where = typeof rest.path === 'string' ? ` ${rest.path}` : '';
  delete rest.path;
  const detail = JSON.stringify(rest);
  return `${String(seq).padStart(6)}  ${type.padEnd(22)}${where}  ${dim(detail.length > 160 ? `${detail.slice(0, 160)}…` : detail)}`;
}

/** Turns any error into `error[CODE]: message` plus a hint; stack traces only with --debug. */
export function reportError(error: unknown, debug: boolean): number {
  if (error instanceof SpecValidationError) {
    process.stderr.write(`${red(`error[${error.code}]`)}: ${error.message}\n`);
    for (const issue of error.issues)
      process.stderr.write(`  ${red(`[${issue.code}]`)} ${formatSpecIssue(issue)}\n`);
    if (debug) process.stderr.write(`${error.stack ?? ''}\n`);
    return EXIT.usage;
  }
  if (error instanceof SwitchyardError) {
    // Prefix the file unless the message already names it (store errors do).
    const where =
      error.file && !error.message.includes(error.file)
        ? `${error.file}${error.line ? `:${error.line}:${error.column ?? 1}` : ''}: `
        : '';
    process.stderr.write(`${red(`error[${error.code}]`)}: ${where}${error.message}\n`);
    if (error.hint) process.stderr.write(`  ${dim('hint:')} ${error.hint}\n`);
    if (debug) process.stderr.write(`${error.stack ?? ''}\n`);
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `${red('error[INTERNAL]')}: ${message}\n  ${dim('hint:')} this is a bug in Switchyard; rerun with --debug and report it\n`,
  );
  if (debug && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
  return EXIT.internal;
}
