import { Validator } from '@cfworker/json-schema';
import { SwitchyardError } from '../core/errors.js';
import type { RunOrigin } from '../core/events.js';
import type {
  ModelInfo,
  ChildRunStartEvent,
  JournalEvent,
  RunStartEvent,
  ToolInfo,
  Unsequenced,
  VoteFunctionInfo,
  WorldEvent,
} from '../core/events.js';
import { parsePromptFile } from '../core/prompt-file.js';
import { encodeEvent } from '../core/journal-codec.js';
import { assertJson, canonicalCopy, type JsonValue } from '../core/json.js';
import {
  isTerminalStatus,
  type Clock,
  type IdSource,
  type JournalStore,
  type RunFilter,
  type RunRecord,
  type RunStatus,
  type ToolDefinition,
} from '../core/ports.js';
import type { RoutingSpec, StepSpec, WorkflowSpec } from '../core/spec.js';
import { RunEngine, SNAPSHOT_VERSION, SnapshotError } from '../executor/engine.js';
import { planWorkflow, type WorkflowPlan } from '../executor/plan.js';
import { JournalInvalidError } from '../executor/errors.js';
import { replayJournal } from '../executor/replay.js';
import { childBlocks } from '../graph/dependencies.js';
import { RunNotFoundError } from '../journal/errors.js';
import { modelInfo } from '../providers/metered.js';
import { ModelRegistry } from '../providers/registry.js';
import { SimulatedModel } from '../providers/simulated.js';
import { ToolRegistry } from '../tools/registry.js';
import { randomIds, systemClock } from './clock.js';
import { RunDriver, type FaultHooks, type RunOutcome } from './driver.js';
import { ToolHealthTable } from './health.js';
import { specForm } from './spec-form.js';
import type { BreakerPolicy } from '../routing/breaker.js';
import type { EngineOptions } from '../executor/engine.js';
import { VoteRuleError } from '../voting/errors.js';
import { VoteFunctionRegistry, type VoteFunctionDefinition } from '../voting/functions.js';
import {
  InputInvalidError,
  RunBusyError,
  ModelNotFoundError,
  PendingAmbiguousError,
  RunNotWaitingError,
  ToolNotFoundError,
} from './errors.js';
import {
  CHECKPOINT_MIN_BYTES,
  checkpointState,
  snapshotVersion,
  loadFromCheckpoint,
  loadJournal,
  readJournalPages,
  RunJournal,
} from './journal.js';

export interface RuntimeOptions {
  store: JournalStore;
  tools?: ToolRegistry | ToolDefinition[];
  models?: ModelRegistry;
  clock?: Clock;
  ids?: IdSource;
  faults?: FaultHooks;
  onEvents?(runId: string, events: readonly JournalEvent[]): void;
  /** Things an operator should know that do not stop the run, e.g. a tool that changed underneath it. */
  onWarning?(message: string): void;
  /** Recorded in run-start so that resume can load the same config. */
  origin?: RunOrigin;
  /**
   * Journal bytes appended between engine checkpoints (default 256 KiB; a run that pauses gets one
   * after 16 KiB). Resume restores the last checkpoint and replays only what came after it.
   */
  checkpointBytes?: number;
  /**
   * The circuit breakers' policy for this Runtime's tool health table (default: 3 consecutive
   * failures open a breaker, which half-opens after 30 s).
   */
  breakerPolicy?: BreakerPolicy;
  /**
   * The vote parsers and checks that vote steps may name (`redFlags.parser: { function }`,
   * `redFlags.check`): pure functions, registered like tools and journaled by name and version.
   */
  voteFunctions?: VoteFunctionRegistry | VoteFunctionDefinition[];
}

/** What a run starts from: a validated spec plus the prompt files it names (see loadWorkflowFile). */
export interface RunnableWorkflow {
  spec: WorkflowSpec;
  prompts?: Record<string, string>;
}

export interface VerifyReport {
  runId: string;
  ok: boolean;
  events: number;
  decisionsChecked: number;
  error?: { code: string; message: string };
  children: VerifyReport[];
}

/**
 * The composition root's working half: wires a store, tools, models and a clock into engines and
 * drivers, and offers the operations every entry point (CLI, server, tests) uses.
 */
export class Runtime {
  readonly store: JournalStore;
  readonly tools: ToolRegistry;
  readonly models: ModelRegistry;
  /** Every tool's circuit breaker, shared by all runs of this Runtime and kept in its store. */
  readonly health: ToolHealthTable;
  readonly voteFunctions: VoteFunctionRegistry;
  /** What every engine of this Runtime is given: the vote functions. */
  private readonly engineOptions: EngineOptions;
  private readonly clock: Clock;
  private readonly ids: IdSource;
  private readonly warned = new Set<string>();
  private readonly live = new Map<string, RunDriver>();

  constructor(private readonly options: RuntimeOptions) {
    this.store = options.store;
    this.tools =
      options.tools instanceof ToolRegistry ? options.tools : new ToolRegistry(options.tools ?? []);
    this.models = options.models ?? new ModelRegistry();
    if (!this.models.get('default')) this.models.register('default', new SimulatedModel());
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? randomIds;
    this.health = new ToolHealthTable(options.store, options.breakerPolicy, (message) =>
      options.onWarning?.(message),
    );
    this.voteFunctions =
      options.voteFunctions instanceof VoteFunctionRegistry
        ? options.voteFunctions
        : new VoteFunctionRegistry(options.voteFunctions ?? []);
    this.engineOptions = { votes: this.voteFunctions };
  }

  /** Starts a run and drives it until it finishes or pauses (approval, outcome-unknown). */
  async start(
    workflow: RunnableWorkflow,
    input: unknown = {},
    options: { onStarted?(runId: string): void } = {},
  ): Promise<RunOutcome> {
    const start = this.prepareStart(workflow.spec, input, workflow.prompts ?? {});
    options.onStarted?.(start.runId);
    return this.launch(start);
  }

  private prepareStart(
    spec: WorkflowSpec,
    input: unknown,
    prompts: Record<string, string>,
    runId?: string,
    parent?: { runId: string; path: string },
  ): RunStartEvent {
    checkInput(spec, input);
    // In journal form (copies, keys in canonical order): the caller may go on changing its objects,
    // and the live engine must see the spec and input exactly as replay and resume will. The spec
    // is serialised once per spec object (spec-form.ts), for its hash and for its copy.
    const form = specForm(spec);
    const voteFunctions = this.voteFunctionsFor(spec);
    for (const [name, at] of promptModelHints(spec, prompts))
      if (!this.models.get(name)) throw new ModelNotFoundError(name, at, this.models.names());
    const models = this.modelsFor(spec, prompts);
    const start: RunStartEvent = {
      type: 'run-start',
      seq: 0,
      at: this.clock.now(),
      runId: runId ?? this.ids.runId(),
      workflow: spec.name,
      specHash: form.hash,
      spec: form.copy,
      input: canonicalCopy(input as JsonValue),
      prompts: canonicalCopy(prompts),
      tools: canonicalCopy(this.toolsFor(spec) as unknown as JsonValue) as unknown as Record<
        string,
        ToolInfo
      >,
      ...(voteFunctions === undefined ? {} : { voteFunctions }),
      ...(models === undefined ? {} : { models }),
      ...(parent ? { parent: { ...parent } } : {}),
      ...(this.options.origin
        ? { origin: canonicalCopy(this.options.origin as JsonValue) as RunOrigin }
        : {}),
    };
    return start;
  }

  private async launch(start: RunStartEvent): Promise<RunOutcome> {
    await this.health.load();
    const journal = this.journalFor(start.runId, -1, '', {
      runId: start.runId,
      workflow: start.workflow,
      specHash: start.specHash,
      parentRunId: start.parent?.runId ?? null,
      createdAt: start.at,
    });
    const driver = this.driverFor(
      new RunEngine(start, this.planFor(start), undefined, this.engineOptions),
      journal,
    );
    const { seq: _seq, ...draft } = start;
    driver.push(draft);
    return this.endPausedChildren(await this.driveLive(start.runId, driver));
  }

  async resume(runId: string, inject: Array<Unsequenced<WorldEvent>> = []): Promise<RunOutcome> {
    return this.continueRun(runId, inject, true);
  }

  private async continueRun(
    runId: string,
    inject: Array<Unsequenced<WorldEvent>>,
    rearm: boolean,
    loaded?: LoadedRun,
  ): Promise<RunOutcome> {
    // A caller that just replayed the run to inspect it hands the result over: replaying a long
    // journal is the expensive part of deciding a run.
    const { engine, journal } = loaded ?? (await this.load(runId));
    await this.health.load();
    const driver = this.driverFor(engine, journal);
    if (!engine.finished) {
      for (const event of inject) driver.push(event);
      if (rearm) driver.rearm();
    }
    return this.endPausedChildren(await this.driveLive(runId, driver));
  }

  /** Drives a run while keeping its driver reachable, so a parent can cancel it mid-flight. */
  private async driveLive(runId: string, driver: RunDriver): Promise<RunOutcome> {
    this.live.set(runId, driver);
    try {
      return await driver.drive();
    } finally {
      if (this.live.get(runId) === driver) this.live.delete(runId);
    }
  }

  /**
   * A run that ended (failed in another branch, or was cancelled) while a sub-workflow was paused,
   * or left running by a crash, would leave that child waiting forever or acting for a parent that
   * no longer wants it: cancel it. (Children driven here were already cancelled through their driver.)
   */
  private async endPausedChildren(outcome: RunOutcome): Promise<RunOutcome> {
    if (!isTerminalStatus(outcome.status)) return outcome;
    for (const child of await this.store.listRuns({ parentRunId: outcome.runId })) {
      if (!isTerminalStatus(child.status))
        await this.cancel(child.runId, `parent run ${outcome.runId} ended (${outcome.status})`);
    }
    return outcome;
  }

  async approve(
    runId: string,
    path: string,
    decision: { approved: boolean; value?: JsonValue; comment?: string },
    options: { force?: boolean } = {},
  ): Promise<RunOutcome> {
    // Checked and copied up front: the value becomes a step output, journaled as canonical JSON.
    if (decision.value !== undefined) assertJson(decision.value, '$value');
    const value = decision.value === undefined ? undefined : structuredClone(decision.value);
    await this.assertIdle(runId, options.force);
    const target = await this.findPending(runId, path, 'approval-request');
    const event: Unsequenced<WorldEvent> = {
      type: 'approval-decision',
      at: this.clock.now(),
      path,
      approved: decision.approved,
      ...(value === undefined ? {} : { value }),
      ...(decision.comment === undefined ? {} : { comment: decision.comment }),
    };
    const decided = await this.continueRun(target.runId, [event], true, target.loaded);
    return this.resumeTree(target.runId, runId, decided);
  }

  /** Settles a call whose outcome is unknown: call it again (same key), record a value, or fail it. */
  async resolveOutcome(
    runId: string,
    path: string,
    action: 'retry' | 'complete' | 'fail',
    value?: JsonValue,
    options: { force?: boolean } = {},
  ): Promise<RunOutcome> {
    if (value !== undefined) assertJson(value, '$value');
    await this.assertIdle(runId, options.force);
    const target = await this.findPending(runId, path, 'outcome-unknown');
    const event: Unsequenced<WorldEvent> = {
      type: 'outcome-decision',
      at: this.clock.now(),
      path,
      action,
      ...(value === undefined ? {} : { value: structuredClone(value) }),
    };
    const decided = await this.continueRun(target.runId, [event], true, target.loaded);
    return this.resumeTree(target.runId, runId, decided);
  }

  /**
   * After a decision in run `target`, its ancestors may be able to go on (they waited for it): drive
   * from the top of the run tree, which resumes every run below it, then report on `runId`.
   */
  private async resumeTree(
    target: string,
    runId: string,
    decided: RunOutcome,
  ): Promise<RunOutcome> {
    let top = await this.getRun(target);
    // The common case: the decision was in the run itself, which the first resume already drove.
    if (top.parentRunId === null && target === runId) return decided;
    while (top.parentRunId !== null) top = await this.getRun(top.parentRunId);
    const outcome = await this.resume(top.runId);
    return top.runId === runId ? outcome : this.resume(runId);
  }

  /**
   * A decision is delivered by resuming the run here; if another process is still driving it, both
   * would act (the other would see in-flight calls as interrupted). Its recorded status tells: a run
   * that paused says 'waiting'; 'running' means live elsewhere, or stopped without pausing.
   */
  private async assertIdle(runId: string, force = false): Promise<void> {
    let top = await this.getRun(runId);
    while (top.parentRunId !== null) top = await this.getRun(top.parentRunId);
    if (top.status === 'running' && !force) throw new RunBusyError(top.runId);
  }

  async cancel(runId: string, reason = 'cancelled by operator'): Promise<RunOutcome> {
    const run = await this.getRun(runId);
    if (isTerminalStatus(run.status)) {
      throw new SwitchyardError(
        'RUN_ENDED',
        `run ${runId} already ${run.status}; there is nothing to cancel`,
        {
          hint: 'switchyard runs show ' + runId,
        },
      );
    }
    // No re-arming: a run about to end must not repeat its in-flight model calls or children first.
    return this.continueRun(runId, [{ type: 'run-cancel', at: this.clock.now(), reason }], false);
  }

  async getRun(runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    return run;
  }

  async events(runId: string): Promise<JournalEvent[]> {
    return (await loadJournal(this.store, await this.getRun(runId))).events;
  }

  /** A run's events a page at a time, checked as events() checks them: for journals too long to hold. */
  async *eventPages(runId: string): AsyncGenerator<JournalEvent[]> {
    for await (const page of readJournalPages(this.store, await this.getRun(runId)))
      yield page.events;
  }

  listRuns(filter?: RunFilter): Promise<RunRecord[]> {
    return this.store.listRuns(filter);
  }

  /** Re-derives every decision of a run (and its sub-workflow runs) from its journal, with no I/O. */
  async verify(runId: string): Promise<VerifyReport> {
    const run = await this.getRun(runId);
    const children = await Promise.all(
      (await this.store.listRuns({ parentRunId: runId })).map((child) => this.verify(child.runId)),
    );
    try {
      const checkpoint = await this.store.readCheckpoint(runId);
      const seen = { checkpoint: false };
      let startText = '';
      let replay: { engine: RunEngine; events: number; decisionsChecked: number } | undefined;
      // A page at a time: a million-step journal is verified in bounded memory. Pages end at batch
      // ends, and a world event's decisions never cross one, so each page goes on from the engine
      // the previous one left.
      for await (const page of readJournalPages(this.store, run)) {
        if (replay === undefined) {
          const first = page.events[0];
          startText = first ? encodeEvent(first).text : '';
          if (first?.type === 'run-start') this.checkVoteFunctions(runId, first);
        }
        const onBatch = (end: number, engine: RunEngine): void => {
          if (checkpoint?.seq !== page.firstSeq + end - 1) return;
          seen.checkpoint = true;
          // One written by an engine with another snapshot format is never restored (resume
          // replays the journal instead), so there is nothing to hold it to.
          const version = snapshotVersion(checkpoint.state);
          if (version !== undefined && version !== SNAPSHOT_VERSION) return;
          // Resume trusts the checkpoint instead of replaying up to it: it must be what the
          // journal derives, byte for byte.
          const derived = checkpointState(engine.snapshot(), startText);
          if (derived !== checkpoint.state) {
            throw new JournalInvalidError(
              `the checkpoint at seq ${checkpoint.seq} differs from the state the journal derives there`,
              { seq: checkpoint.seq },
            );
          }
        };
        const result = await replayJournal(page.events, undefined, page.batches, {
          ...(replay === undefined
            ? { engine: this.engineOptions }
            : { resume: { engine: replay.engine, from: 0 } }),
          onBatch,
        });
        replay = {
          engine: result.engine,
          events: (replay?.events ?? 0) + page.events.length,
          decisionsChecked: (replay?.decisionsChecked ?? 0) + result.decisionsChecked,
        };
      }
      // An empty journal: replay says why it cannot begin.
      replay ??= await replayJournal([], undefined, [], { engine: this.engineOptions });
      if (checkpoint && !seen.checkpoint) {
        throw new JournalInvalidError(
          `the checkpoint at seq ${checkpoint.seq} is not at the end of a batch of the journal`,
          { seq: checkpoint.seq },
        );
      }
      checkRecordedStatus(run, replay.engine);
      return {
        runId,
        ok: children.every((c) => c.ok),
        events: replay.events,
        decisionsChecked: replay.decisionsChecked,
        children,
      };
    } catch (error) {
      if (!(error instanceof SwitchyardError)) throw error;
      return {
        runId,
        ok: false,
        events: 0,
        decisionsChecked: 0,
        error: { code: error.code, message: error.message },
        children,
      };
    }
  }

  // ---- internals --------------------------------------------------------------------------------

  private async load(runId: string): Promise<LoadedRun> {
    const run = await this.getRun(runId);
    const fast = await this.loadFromCheckpoint(run);
    let engine: RunEngine;
    let journal: RunJournal;
    if (fast) {
      ({ engine, journal } = fast);
    } else {
      const loaded = await loadJournal(this.store, run);
      const first = loaded.events[0];
      const plan = first?.type === 'run-start' ? this.planFor(first) : undefined;
      if (first?.type === 'run-start') this.checkVoteFunctions(runId, first);
      ({ engine } = await replayJournal(loaded.events, plan, loaded.batches, {
        engine: this.engineOptions,
      }));
      journal = this.journalFor(runId, loaded.headSeq, loaded.lastHash);
    }
    // Refuse before appending anything: a run resumed without its tools would fail steps for a
    // reason that has nothing to do with the workflow.
    if (!engine.finished) this.checkTools(runId, engine.runStart);
    return { engine, journal };
  }

  /**
   * Resume's short cut: the engine restored from the run's checkpoint, and only the batches after
   * it replayed (and checked). Undefined when there is no usable checkpoint.
   */
  private async loadFromCheckpoint(run: RunRecord): Promise<LoadedRun | undefined> {
    const checkpoint = await this.store.readCheckpoint(run.runId);
    if (!checkpoint) return undefined;
    const loaded = await loadFromCheckpoint(this.store, run, checkpoint);
    if (!loaded) return undefined;
    const plan = this.planFor(loaded.start);
    this.checkVoteFunctions(run.runId, loaded.start);
    let restored: RunEngine;
    try {
      restored = new RunEngine(loaded.start, plan, loaded.snapshot, this.engineOptions);
    } catch (error) {
      if (error instanceof SnapshotError) return undefined;
      throw error;
    }
    const { engine } = await replayJournal(loaded.events, plan, loaded.batches, {
      resume: { engine: restored, from: 0 },
    });
    const journal = this.journalFor(run.runId, loaded.headSeq, loaded.lastHash);
    return { engine, journal: journal.checkpointed(loaded.tailBytes, loaded.stateBytes) };
  }

  private journalFor(
    runId: string,
    headSeq: number,
    lastHash: string,
    create?: ConstructorParameters<typeof RunJournal>[4],
  ): RunJournal {
    return new RunJournal(
      this.store,
      runId,
      headSeq,
      lastHash,
      create,
      this.options.checkpointBytes ?? CHECKPOINT_MIN_BYTES,
    );
  }

  /**
   * The vote functions a run uses must be registered to resume or verify it: its decisions are
   * re-derived by them. A changed version is reported, like a tool's.
   */
  private checkVoteFunctions(runId: string, start: RunStartEvent): void {
    for (const [name, recorded] of Object.entries(start.voteFunctions ?? {})) {
      const current = this.voteFunctions.get(name);
      if (current?.kind !== recorded.kind) {
        throw new VoteRuleError(
          `voteFunctions.${name}`,
          `run ${runId} uses the vote ${recorded.kind} ${JSON.stringify(name)}, which is not registered`,
          `register it (RuntimeOptions.voteFunctions, or export it from a tools module of the config); registered: ${this.voteFunctions.names(recorded.kind).join(', ') || 'none'}`,
          name,
        );
      }
      const changed = (current.version ?? null) !== (recorded.version ?? null);
      if (changed && !this.warned.has(`${runId}|vote:${name}`)) {
        this.warned.add(`${runId}|vote:${name}`);
        this.options.onWarning?.(
          `vote ${recorded.kind} '${name}' was version ${recorded.version ?? '(none)'} when run ${runId} started and is ` +
            `${current.version ?? '(none)'} now; decided votes keep their results, and replay re-derives them with the new one`,
        );
      }
    }
  }

  /**
   * The registered parsers and checks the spec's vote steps name, as run-start records them;
   * undefined when it names none. An unregistered name fails the start (VOTE_RULE_INVALID at the
   * step's field).
   */
  private voteFunctionsFor(spec: WorkflowSpec): Record<string, VoteFunctionInfo> | undefined {
    let used: Record<string, VoteFunctionInfo> | undefined;
    const classifier = spec.routing?.classifier;
    if (classifier !== undefined) {
      const found = this.voteFunctions.get(classifier);
      if (found?.kind !== 'classifier') {
        const known = this.voteFunctions.names('classifier');
        throw new VoteRuleError(
          'routing.classifier',
          `no domain classifier named ${JSON.stringify(classifier)} is registered`,
          known.length === 0
            ? 'register one with defineDomainClassifier (RuntimeOptions.voteFunctions, or export it from a tools module of the config)'
            : `registered: ${known.join(', ')}`,
          classifier,
        );
      }
      used = {
        [classifier]: {
          kind: 'classifier',
          ...(found.version === undefined ? {} : { version: found.version }),
        },
      };
    }
    for (const { step, path } of allSteps(spec)) {
      const names: Array<[string, VoteFunctionInfo['kind'], string]> = [];
      if (step.kind === 'cascade')
        step.stages.forEach((stage, index) => {
          if (stage.scorer?.kind === 'function')
            names.push([stage.scorer.name, 'scorer', `${path}.stages[${index}].scorer.name`]);
        });
      else if (step.kind !== 'vote') continue;
      const parser = step.kind === 'vote' ? step.redFlags.parser : 'json';
      if (typeof parser === 'object' && 'function' in parser)
        names.push([parser.function, 'parser', `${path}.redFlags.parser.function`]);
      if (step.kind === 'vote' && step.redFlags.check !== undefined)
        names.push([step.redFlags.check, 'check', `${path}.redFlags.check`]);
      for (const [name, kind, at] of names) {
        const found = this.voteFunctions.get(name);
        if (found?.kind !== kind) {
          const known = this.voteFunctions.names(kind);
          throw new VoteRuleError(
            at,
            `no vote ${kind} named ${JSON.stringify(name)} is registered`,
            known.length === 0
              ? `register a vote ${kind} with that name (RuntimeOptions.voteFunctions, or export it from a tools module of the config)`
              : `registered: ${known.join(', ')}`,
            name,
          );
        }
        used ??= {};
        used[name] = { kind, ...(found.version === undefined ? {} : { version: found.version }) };
      }
    }
    return used;
  }

  /**
   * The models the spec's steps call, with their prices, when it sets a budget (undefined when it
   * sets none): budget checks price a call's worst case from this record, so replay needs no config.
   * A model with no price under a budget in USD fails the start (BUDGET_MODEL_UNPRICED).
   */
  private modelsFor(
    spec: WorkflowSpec,
    prompts: Record<string, string>,
  ): Record<string, ModelInfo> | undefined {
    const own = [...allSteps(spec)].filter(({ path }) => !path.includes(':'));
    if (spec.budget === undefined && !own.some(({ step }) => 'budget' in step && step.budget))
      return undefined;
    const models: Record<string, ModelInfo> = {};
    const hints = new Map(promptModelHints(spec, prompts).map(([name, at]) => [at, name]));
    for (const { step, path } of own) {
      const hinted = hints.get(`${path}.prompt`);
      const names =
        hinted === undefined
          ? modelsOfStep(step, path, spec.routing)
          : [[hinted, `${path}.prompt`] as [string, string]];
      for (const [name, at] of names) {
        const provider = this.models.get(name);
        if (!provider) throw new ModelNotFoundError(name, at, this.models.names());
        const info = modelInfo(provider);
        models[name] = info;
        const usd = spec.budget?.usd ?? ('budget' in step ? step.budget?.usd : undefined);
        if (usd !== undefined && info.price === undefined)
          throw new SwitchyardError(
            'BUDGET_MODEL_UNPRICED',
            `step ${path} calls model '${name}' under a budget in USD, and the model has no price`,
            {
              path: at,
              value: name,
              hint: `set models.${name}.price: { inputPerMTok, outputPerMTok } in the config (USD per million tokens), or budget this run in tokens only`,
            },
          );
      }
    }
    return models;
  }

  private checkTools(runId: string, start: RunStartEvent): void {
    for (const [name, recorded] of Object.entries(start.tools)) {
      const current = this.tools.get(name);
      if (!current) {
        throw new ToolNotFoundError(name, `run ${runId}`, this.tools.names(), start.origin?.config);
      }
      const changed = (current.version ?? null) !== (recorded.version ?? null);
      if (changed && !this.warned.has(`${runId}|${name}`)) {
        this.warned.add(`${runId}|${name}`);
        this.options.onWarning?.(
          `tool '${name}' was version ${recorded.version ?? '(none)'} when run ${runId} started and is ` +
            `${current.version ?? '(none)'} now; finished steps keep their results, later calls use the new one`,
        );
      }
    }
  }

  private driverFor(engine: RunEngine, journal: RunJournal): RunDriver {
    return new RunDriver(engine, journal, {
      tools: this.tools,
      models: this.models,
      clock: this.clock,
      health: this.health,
      ...(this.options.faults ? { faults: this.options.faults } : {}),
      ...(this.options.onEvents
        ? { onEvents: (runId, events) => this.options.onEvents?.(runId, events) }
        : {}),
      runChild: (parent, start) => this.runChild(parent, start),
      cancelChild: (childRunId, reason) =>
        this.live.get(childRunId)?.push({ type: 'run-cancel', at: this.clock.now(), reason }),
    });
  }

  private async runChild(parent: RunStartEvent, start: ChildRunStartEvent): Promise<RunOutcome> {
    if (await this.store.getRun(start.childRunId)) return this.resume(start.childRunId);
    let childStart: RunStartEvent;
    try {
      const parentSpec = parent.spec as unknown as WorkflowSpec;
      const bundle = parentSpec.workflows ?? {};
      const child = Object.hasOwn(bundle, start.workflow) ? bundle[start.workflow] : undefined;
      if (!child)
        throw new SwitchyardError(
          'WORKFLOW_NOT_FOUND',
          `sub-workflow '${start.workflow}' is not bundled with ${parent.workflow}`,
        );
      const spec: WorkflowSpec = {
        ...child,
        ...(parentSpec.workflows ? { workflows: parentSpec.workflows } : {}),
      };
      childStart = this.prepareStart(spec, start.input, parent.prompts, start.childRunId, {
        runId: parent.runId,
        path: start.path,
      });
    } catch (error) {
      // The child cannot start (not bundled, invalid input, unknown tool): the step's outcome.
      if (!(error instanceof SwitchyardError)) throw error;
      return {
        runId: start.childRunId,
        status: 'failed',
        error: { type: 'error', code: error.code, message: error.message },
        pending: [],
      };
    }
    return this.launch(childStart);
  }

  private planFor(start: RunStartEvent): WorkflowPlan {
    return cachedPlan(start);
  }

  private toolsFor(spec: WorkflowSpec): Record<string, ToolInfo> {
    const tools: Record<string, ToolInfo> = {};
    for (const { step, path } of allSteps(spec)) {
      if (step.kind === 'agent' || step.kind === 'route' || step.kind === 'vote') {
        for (const [model, at] of modelsOfStep(step, path, spec.routing))
          if (!this.models.get(model))
            throw new ModelNotFoundError(
              model,
              at.startsWith('routing') ? at : path,
              this.models.names(),
            );
      }
      if (step.kind === 'consortium') {
        for (const [model, at] of modelsOfStep(step, path, undefined))
          if (!this.models.get(model)) throw new ModelNotFoundError(model, at, this.models.names());
      }
      if (step.kind === 'cascade') {
        step.stages.forEach((stage, index) => {
          const at = `${path}.stages[${index}]`;
          for (const model of [stage.model, ...stage.fallbacks])
            if (!this.models.get(model))
              throw new ModelNotFoundError(model, at, this.models.names());
          if (stage.scorer?.kind === 'judge' && !this.models.get(stage.scorer.model))
            throw new ModelNotFoundError(
              stage.scorer.model,
              `${at}.scorer.model`,
              this.models.names(),
            );
        });
      }
      if (step.kind === 'tool') this.recordTool(tools, step.tool, path);
      if (step.kind === 'route') {
        // Every node a route may call (the start never is), so a missing tool fails the start.
        step.graph.nodes.forEach((node, index) => {
          if (node.id !== step.start)
            this.recordTool(tools, node.tool ?? node.id, `${path}.graph.nodes[${index}]`);
        });
      }
    }
    return tools;
  }

  private recordTool(tools: Record<string, ToolInfo>, name: string, path: string): void {
    if (Object.hasOwn(tools, name)) return;
    const tool = this.tools.get(name);
    if (!tool) throw new ToolNotFoundError(name, path, this.tools.names());
    tools[name] = {
      retry: tool.retry ?? 'unsafe',
      ...(tool.version === undefined ? {} : { version: tool.version }),
    };
  }

  private async findPending(
    runId: string,
    path: string,
    type: 'approval-request' | 'outcome-unknown',
  ): Promise<{ runId: string; loaded: LoadedRun }> {
    const seen: string[] = [];
    const matches: Array<{ runId: string; loaded: LoadedRun }> = [];
    const search = async (id: string): Promise<void> => {
      const loaded = await this.load(id);
      const { engine } = loaded;
      for (const decision of engine.outstanding()) {
        if (decision.type !== 'approval-request' && decision.type !== 'outcome-unknown') continue;
        seen.push(
          `${decision.path} (${decision.type === 'approval-request' ? 'approval' : 'outcome unknown'}${id === runId ? '' : ` in ${id}`})`,
        );
        if (decision.type === type && decision.path === path) matches.push({ runId: id, loaded });
      }
      for (const child of await this.store.listRuns({ parentRunId: id })) {
        if (isTerminalStatus(child.status)) continue;
        await search(child.runId);
      }
    };
    await search(runId);
    const what = type === 'approval-request' ? 'approval' : 'unknown outcome';
    const [found, ...others] = matches;
    if (found === undefined) throw new RunNotWaitingError(runId, path, what, seen);
    // Sub-workflows started by a map share step paths: deciding for an arbitrary one is not on.
    if (others.length > 0) {
      throw new PendingAmbiguousError(
        runId,
        path,
        what,
        matches.map((match) => match.runId),
      );
    }
    return found;
  }
}

export type { RunOutcome, RunStatus };

/**
 * Plans by spec hash, shared by every Runtime of the process: a plan is a pure function of the spec
 * and is never changed, and a server runs the same few workflows over and over. Bounded, oldest
 * first out.
 */
const PLANS = new Map<string, WorkflowPlan>();
const PLAN_CACHE_SIZE = 128;

function cachedPlan(start: RunStartEvent): WorkflowPlan {
  let plan = PLANS.get(start.specHash);
  if (plan) {
    PLANS.delete(start.specHash);
  } else {
    plan = planWorkflow(start.spec as unknown as WorkflowSpec);
    if (PLANS.size >= PLAN_CACHE_SIZE) PLANS.delete(PLANS.keys().next().value as string);
  }
  PLANS.set(start.specHash, plan);
  return plan;
}

/** A run replayed from its journal, ready to continue. */
interface LoadedRun {
  engine: RunEngine;
  journal: RunJournal;
}

/** The status kept beside the journal must agree with what the journal says happened. */
function checkRecordedStatus(run: RunRecord, engine: RunEngine): void {
  const end = engine.endEvent;
  const ended = end?.type === 'run-end' ? end.status : undefined;
  const terminal = isTerminalStatus(run.status);
  if (ended === undefined ? terminal : ended !== run.status) {
    throw new JournalInvalidError(
      `run ${run.runId} is recorded as ${run.status} but its journal ${ended ? `ends ${ended}` : 'has not ended'}`,
      { seq: run.headSeq },
    );
  }
}

function checkInput(spec: WorkflowSpec, input: unknown): void {
  assertJson(input, '$input');
  const schema = spec.input?.schema;
  if (!schema) return;
  let result: ReturnType<Validator['validate']>;
  try {
    result = new Validator(schema, '2020-12', false).validate(input);
  } catch (error) {
    throw new SwitchyardError(
      'SPEC_BAD_JSON_SCHEMA',
      `the workflow's input schema cannot be applied: ${(error as Error).message}`,
      { path: 'input.schema', hint: 'fix the schema (an unresolvable $ref is the usual cause)' },
    );
  }
  if (result.valid) return;
  const detail = result.errors[result.errors.length - 1];
  const where = (detail?.instanceLocation ?? '#').replace(/^#/, '$input').replace(/\//g, '.');
  throw new InputInvalidError(where, detail?.error ?? 'does not match the input schema');
}

/** Agent steps that name no model and whose prompt file's front matter hints one. */
function promptModelHints(
  spec: WorkflowSpec,
  prompts: Record<string, string>,
): Array<[string, string]> {
  const hints: Array<[string, string]> = [];
  for (const { step, path } of allSteps(spec)) {
    if (step.kind !== 'agent' || step.model !== undefined) continue;
    const file = prompts[step.prompt];
    const parsed = file === undefined ? undefined : parsePromptFile(file);
    if (parsed?.ok && parsed.frontMatter?.model !== undefined)
      hints.push([parsed.frontMatter.model, `${path}.prompt`]);
  }
  return hints;
}

/** The models a step calls, each with the spec field that names it. */
function modelsOfStep(
  step: StepSpec,
  path: string,
  routing: RoutingSpec | undefined,
): Array<[string, string]> {
  switch (step.kind) {
    case 'agent':
      // An agent step that names no model calls whichever model the routing decides.
      if (step.model === undefined && routing !== undefined)
        return routing.decisions.map((decision, index) => [
          decision.model,
          `routing.decisions[${index}].model`,
        ]);
      return [[step.model ?? 'default', `${path}.model`]];
    case 'vote':
    case 'route':
      return [[step.model ?? 'default', `${path}.model`]];
    case 'consortium':
      return [
        ...step.drafters.map((name, i): [string, string] => [name, `${path}.drafters[${i}]`]),
        [step.merge.model, `${path}.merge.model`],
      ];
    case 'cascade':
      return step.stages.flatMap((stage, index) => {
        const at = `${path}.stages[${index}]`;
        const names: Array<[string, string]> = [[stage.model, `${at}.model`]];
        stage.fallbacks.forEach((name, i) => names.push([name, `${at}.fallbacks[${i}]`]));
        if (stage.scorer?.kind === 'judge') names.push([stage.scorer.model, `${at}.scorer.model`]);
        return names;
      });
    default:
      return [];
  }
}

/** Every step of a workflow and its bundled sub-workflows, with a readable location. */
function* allSteps(spec: WorkflowSpec): Generator<{ step: StepSpec; path: string }> {
  function* walk(steps: StepSpec[], prefix: string): Generator<{ step: StepSpec; path: string }> {
    for (const step of steps) {
      const path = `${prefix}${step.id}`;
      yield { step, path };
      for (const { block } of childBlocks(step)) yield* walk(block.steps, `${path}/`);
      if (typeof step.onError === 'object') yield* walk([step.onError.fallback], prefix);
    }
  }
  yield* walk(spec.steps, '');
  for (const [name, child] of Object.entries(spec.workflows ?? {}))
    yield* walk(child.steps, `${name}:`);
}
