import { failureFrom } from '../core/errors.js';
import type {
  ChildRunStartEvent,
  JournalEvent,
  ModelCallRequest,
  ModelCallStartEvent,
  RouteObserveEvent,
  RunEndEvent,
  RunStartEvent,
  TimerStartEvent,
  ToolCallStartEvent,
  Unsequenced,
  WorldEvent,
} from '../core/events.js';
import { encodeEvent } from '../core/journal-codec.js';
import { canonicalJson, type JsonValue } from '../core/json.js';
import { isTerminalStatus, type Clock, type RunStatus, type ToolContext } from '../core/ports.js';
import type { Decision, RunEngine } from '../executor/engine.js';
import { CallPrompts } from '../executor/prompt.js';
import { sampleKey } from '../executor/vote-step.js';
import { meteredGenerate } from '../providers/metered.js';
import type { ModelRegistry } from '../providers/registry.js';
import type { ToolRegistry, ToolResult } from '../tools/registry.js';
import { checkpointState, type RunJournal } from './journal.js';

export interface RunOutcome {
  runId: string;
  status: RunStatus;
  output?: JsonValue;
  error?: { type: string; message: string; code?: string };
  /** What a paused run waits for. */
  pending: Array<{
    runId: string;
    path: string;
    kind: 'approval' | 'outcome-unknown';
    message: string;
  }>;
}

/** Test and chaos hooks: the CLI maps SWITCHYARD_FAULT onto these (see docs/testing.md). */
export interface FaultHooks {
  afterAppend?(events: readonly JournalEvent[]): void;
  afterEffect?(call: ToolCallStartEvent): void;
}

/**
 * The process's tool health (runtime/health.ts): fed by every tool call's result, read when a route
 * step asks for the health of its tools. `report` returns a promise only when it has something to
 * persist (a breaker's record changed), so the common success costs nothing.
 */
export interface HealthPort {
  down(tools: readonly string[], now: number): string[];
  report(tool: string, ok: boolean, now: number): Promise<void> | undefined;
}

export interface DriverDeps {
  tools: ToolRegistry;
  models: ModelRegistry;
  clock: Clock;
  health?: HealthPort;
  faults?: FaultHooks;
  onEvents?(runId: string, events: readonly JournalEvent[]): void;
  /**
   * Runs (or resumes) a sub-workflow to completion or pause. A child that cannot start for a reason
   * a retry would meet again (not bundled, invalid input) resolves as failed; a rejection means the
   * driving itself broke, and fails the parent's drive rather than its step.
   */
  runChild(parent: RunStartEvent, start: ChildRunStartEvent): Promise<RunOutcome>;
  /** Stops a sub-workflow run being driven in this process (its step was cancelled). */
  cancelChild(childRunId: string, reason: string): void;
}

type World = Unsequenced<WorldEvent>;

/**
 * The perform half of the loop. World events wait in an inbox; each tick drains it, lets the engine
 * decide, appends every resulting batch in one store call (group commit), and only then performs the
 * new decisions — so a side effect's `*-start` is always durable before the effect happens.
 */
export class RunDriver {
  private readonly inbox: World[] = [];
  private wake: (() => void) | null = null;
  private active = 0;
  private readonly live = new Map<string, LiveCall>();
  /** A vote step's calls and retry timers in flight, by step path: stopped when the step ends. */
  private readonly samplesAt = new Map<string, Set<string>>();
  private readonly pausedChildren = new Map<string, RunOutcome>();
  /** Sub-workflow run ids by the step path that started them, to cancel them with their step. */
  private readonly childAt = new Map<string, string>();
  private readonly childRuns = new Set<Promise<void>>();
  /** Set when driving a sub-workflow threw: the drive stops and rethrows it. */
  private broken: { error: unknown } | null = null;

  constructor(
    private readonly engine: RunEngine,
    private readonly journal: RunJournal,
    private readonly deps: DriverDeps,
  ) {}

  push(event: World): void {
    this.inbox.push(event);
    this.wakeUp();
  }

  /** Re-arms what was in flight when the previous process stopped. */
  rearm(): void {
    // The engine lists them in the order it decided them, which replay reproduces.
    for (const decision of this.engine.outstanding()) {
      if (decision.type === 'tool-call-start') {
        this.push({
          type: 'tool-call-interrupted',
          at: this.deps.clock.now(),
          path: decision.path,
          attempt: decision.attempt,
        });
      } else if (decision.type === 'model-call-start' && decision.timeoutAt !== undefined) {
        // The repeated call is a new call: its deadline runs from now, not from the first attempt
        // (which may have passed while the process was down). The timeout is a world event, so
        // replay is unaffected.
        const now = this.deps.clock.now();
        this.perform({ ...decision, timeoutAt: now + (decision.timeoutAt - decision.at) });
      } else {
        this.perform(decision);
      }
    }
  }

  async drive(): Promise<RunOutcome> {
    try {
      await this.loop();
    } finally {
      // On every exit, a thrown store error included: nothing may keep the process alive or act
      // after the driver has stopped.
      for (const entry of this.live.values()) {
        entry.abort();
        entry.cancelTimer?.();
      }
    }
    // Sub-workflows cannot be aborted like calls: let them reach a pause or an end, so none is left
    // half-driven when this returns (the runtime then cancels those paused under an ended run).
    while (this.childRuns.size > 0) await Promise.allSettled([...this.childRuns]);
    if (this.broken) throw this.broken.error;
    const outcome = this.outcome();
    // A run paused only because a sub-workflow paused appended nothing that says so (its last batch
    // recorded it as running): record the status alone, so listing runs shows it waiting.
    if (!this.engine.finished && this.pausedChildren.size > 0)
      await this.journal.append([], outcome.status, this.deps.clock.now());
    return outcome;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.broken) break;
      if (this.inbox.length === 0) {
        if (this.engine.finished || this.active === 0) break;
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const worlds = this.inbox.splice(0);
      const events: JournalEvent[] = [];
      const fullTexts: Array<string | undefined> = [];
      let seq = this.journal.nextSeq;
      for (const world of worlds) {
        // Decide on the event as the journal will hold it (a copy parsed from its canonical JSON),
        // so replay sees the very same values; the text itself goes to the journal.
        const [event, full] =
          world.type === 'run-start' ? journalFormStart(world, seq) : journalForm(world, seq);
        events.push(event);
        fullTexts.push(full);
        seq += 1;
        const handled = this.engine.handle(event);
        for (const decision of Array.isArray(handled) ? handled : await handled) {
          events.push(sequenced(decision, seq) as unknown as JournalEvent);
          fullTexts.push(undefined);
          seq += 1;
        }
      }
      await this.journal.append(
        events,
        this.status(),
        this.deps.clock.now(),
        fullTexts,
        this.checkpoint,
      );
      this.deps.onEvents?.(this.journal.runId, events);
      this.deps.faults?.afterAppend?.(events);
      this.returned = [];
      for (const event of events) this.perform(event);
      this.journalReturned();
    }
  }

  /**
   * Tool calls of this tick whose tool returned a value while the tick's decisions were being
   * performed. Their results are taken only once every decision of the tick has been performed, so
   * a cancellation among those decisions still stops a call it started (as it stops a call that is
   * still running): the result is then dropped, not journaled after the step ended.
   */
  private returned: ReturnedCall[] | null = null;

  private journalReturned(): void {
    const returned = this.returned;
    this.returned = null;
    if (returned === null) return;
    for (const { call, live, result } of returned) {
      let running: Promise<void> | undefined;
      try {
        // Aborted meanwhile: as if the abort had won the race against a running call.
        running = live.aborted
          ? this.awaitTool(call, live, result)
          : this.toolReturned(call, result);
      } catch (error) {
        this.finished(live, undefined);
        this.broke(error);
        continue;
      }
      this.finished(live, running);
    }
  }

  private startTextCache: string | undefined;
  private prompts: CallPrompts | null = null;

  /**
   * The checkpoint state the journal asks for when one is due: one function for the driver's life
   * rather than a closure per tick, and the run-start's stored text made once (it never changes).
   */
  private readonly checkpoint = (): string => {
    this.startTextCache ??= this.journal.startText ?? encodeEvent(this.engine.runStart).text;
    return checkpointState(this.engine.snapshot(), this.startTextCache);
  };

  private status(): RunStatus {
    const end = this.engine.endEvent;
    if (end?.type === 'run-end') return end.status;
    const waiting = this.engine.waitingCounts();
    if (waiting.unknowns > 0) return 'outcome-unknown';
    if (waiting.total > 0 && waiting.approvals === waiting.total) return 'waiting';
    return 'running';
  }

  private outcome(): RunOutcome {
    const end = this.engine.endEvent as RunEndEvent | null;
    if (end) {
      return {
        runId: this.journal.runId,
        status: end.status,
        ...(end.output === undefined ? {} : { output: end.output }),
        ...(end.error ? { error: { type: end.error.type, message: end.error.message } } : {}),
        pending: [],
      };
    }
    const outstanding = this.engine.outstanding();
    const pending: RunOutcome['pending'] = [];
    for (const d of outstanding) {
      if (d.type === 'approval-request')
        pending.push({
          runId: this.journal.runId,
          path: d.path,
          kind: 'approval',
          message: d.message,
        });
      if (d.type === 'outcome-unknown') {
        pending.push({
          runId: this.journal.runId,
          path: d.path,
          kind: 'outcome-unknown',
          message: `tool ${d.tool} (attempt ${d.attempt}, key ${d.key}) may or may not have run`,
        });
      }
    }
    for (const child of this.pausedChildren.values()) pending.push(...child.pending);
    const status: RunStatus = pending.some((p) => p.kind === 'outcome-unknown')
      ? 'outcome-unknown'
      : 'waiting';
    return { runId: this.journal.runId, status, pending };
  }

  private perform(decision: Decision | JournalEvent): void {
    switch (decision.type) {
      case 'tool-call-start':
        this.track(decision.path, decision.timeoutAt, (live) =>
          this.callTool(decision as ToolCallStartEvent, live),
        );
        return;
      case 'model-call-start':
        this.track(
          liveKey(decision.path, decision.sample),
          decision.timeoutAt,
          (live) => this.callModel(decision as ModelCallStartEvent, live),
          decision.sample === undefined ? undefined : decision.path,
        );
        return;
      case 'timer-start':
        this.armTimer(decision as TimerStartEvent);
        return;
      case 'child-run-start':
        this.startChild(decision as ChildRunStartEvent);
        return;
      case 'route-observe':
        this.observe(decision as RouteObserveEvent);
        return;
      case 'step-end':
        if (decision.status === 'cancelled') this.stopWork(decision.path);
        else if (this.samplesAt.has(decision.path)) this.stopSamples(decision.path);
        return;
      default:
        return;
    }
  }

  /**
   * A route step asks which of its tools are down: the answer is read from the health table now
   * and journaled as a world event, so the engine (and replay) never reads health itself.
   */
  private observe(request: RouteObserveEvent): void {
    const now = this.deps.clock.now();
    this.push({
      type: 'route-health',
      at: now,
      path: request.path,
      down: this.deps.health?.down(request.tools, now) ?? [],
    });
  }

  /** A cancelled step's call is abandoned and its retry timer disarmed, so nothing waits on them. */
  private stopWork(path: string): void {
    this.live.get(path)?.abort();
    const child = this.childAt.get(path);
    if (child !== undefined) {
      this.childAt.delete(path);
      this.deps.cancelChild(child, `its step ${path} in run ${this.journal.runId} was cancelled`);
    }
    const timer = this.live.get(`${path}#timer`);
    if (timer) {
      timer.cancelTimer?.();
      this.live.delete(`${path}#timer`);
      this.active -= 1;
      this.wakeUp();
    }
    if (this.samplesAt.has(path)) this.stopSamples(path);
  }

  /** A vote step ended: its samples' calls still out are abandoned, their retry timers disarmed. */
  private stopSamples(path: string): void {
    for (const key of [...(this.samplesAt.get(path) ?? [])]) {
      const entry = this.live.get(key);
      if (!entry) continue;
      if (key.endsWith('#timer')) {
        entry.cancelTimer?.();
        this.live.delete(key);
        this.forgetSample(path, key);
        this.active -= 1;
        this.wakeUp();
      } else {
        entry.abort();
      }
    }
  }

  private forgetSample(path: string, key: string): void {
    const keys = this.samplesAt.get(path);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.samplesAt.delete(path);
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /**
   * Runs one call with an optional deadline; whichever of result and deadline comes first wins.
   * `key` is the step path, or `<path>#s<sample>` for a vote's sample (whose step is `votePath`).
   */
  private track(
    key: string,
    timeoutAt: number | undefined,
    run: (call: LiveCall) => Promise<void> | undefined | typeof LATER,
    votePath?: string,
  ): void {
    const call = new LiveCall();
    this.live.set(key, call);
    if (votePath !== undefined) this.sampleStarted(votePath, key);
    this.active += 1;
    if (timeoutAt !== undefined) {
      call.cancelTimer = this.deps.clock.setTimer(timeoutAt, () => call.abort(new TimeoutSignal()));
    }
    call.finish = () => {
      call.cancelTimer?.();
      if (this.live.get(key) === call) {
        this.live.delete(key);
        if (votePath !== undefined) this.forgetSample(votePath, key);
      }
      this.active -= 1;
      this.wakeUp();
    };
    let running: Promise<void> | undefined | typeof LATER;
    try {
      running = run(call);
    } catch (error) {
      call.finish();
      this.broke(error);
      return;
    }
    if (running !== LATER) this.finished(call, running);
  }

  /** Ends a call's tracking once its result is journaled (at once when `running` is undefined). */
  private finished(call: LiveCall, running: Promise<void> | undefined): void {
    const finish = call.finish as () => void;
    if (running === undefined) finish();
    else running.finally(finish).catch((error: unknown) => this.broke(error));
  }

  /**
   * callTool/callModel turn every outcome into an event; an error reaching here is a bug, and a bug
   * must stop the driver with its error rather than leave the step waiting forever.
   */
  private broke(error: unknown): void {
    this.broken ??= { error };
    this.wakeUp();
  }

  /**
   * Races a call against its abort. A deadline (not a cancellation) is recorded as a `timeout`
   * failure of the call; either way the caller gets ABORTED and records nothing else.
   */
  private async withDeadline<T>(
    work: Promise<T>,
    call: LiveCall,
    timeout: (at: number) => World,
  ): Promise<T | typeof ABORTED> {
    const result = await call.race(work);
    if (result === ABORTED && call.reason instanceof TimeoutSignal) {
      this.push(timeout(this.deps.clock.now()));
    }
    return result;
  }

  /**
   * A tool that returned a value (not a promise) is journaled without a round of promises: at the
   * end of the tick's perform loop (see `returned`), or at once outside it (rearm).
   */
  private callTool(
    call: ToolCallStartEvent,
    live: LiveCall,
  ): Promise<void> | undefined | typeof LATER {
    const context = new CallContext(this.journal.runId, call.path, call.attempt, call.key, live);
    const invoked = this.deps.tools.call(call.tool, call.input, context);
    if (invoked instanceof Promise || live.aborted) return this.awaitTool(call, live, invoked);
    if (this.returned === null) return this.toolReturned(call, invoked);
    this.returned.push({ call, live, result: invoked });
    return LATER;
  }

  private async awaitTool(
    call: ToolCallStartEvent,
    live: LiveCall,
    invoked: ToolResult | Promise<ToolResult>,
  ): Promise<void> {
    const { path, attempt } = call;
    const result = await this.withDeadline(Promise.resolve(invoked), live, (at) => ({
      type: 'tool-call-error',
      at,
      path,
      attempt,
      error: {
        type: 'timeout',
        message: `tool ${call.tool} did not finish before its timeout`,
        // An unsafe tool that timed out may still have acted: only safe tools retry automatically.
        retryable: call.safe,
      },
    }));
    if (result === ABORTED) {
      // A deadline is a failure of the tool; a cancellation says nothing about its health.
      if (live.reason instanceof TimeoutSignal)
        await this.deps.health?.report(call.tool, false, this.deps.clock.now());
      return;
    }
    return this.toolReturned(call, result);
  }

  /** Journals a call's result; a promise only when a breaker's record must be saved first. */
  private toolReturned(call: ToolCallStartEvent, result: ToolResult): Promise<void> | undefined {
    this.deps.faults?.afterEffect?.(call);
    const at = this.deps.clock.now();
    // Persisted before the result is journaled, so a run that saw the failure never outlives the
    // record of it. Undefined (no await) unless a breaker's record changed.
    const saved = this.deps.health?.report(call.tool, result.ok, at);
    if (saved) return saved.then(() => this.pushResult(call, result, at));
    this.pushResult(call, result, at);
    return undefined;
  }

  private pushResult(call: ToolCallStartEvent, result: ToolResult, at: number): void {
    const { path, attempt } = call;
    // Keys in canonical order (see sequenced).
    if (result.ok) this.push({ at, attempt, output: result.output, path, type: 'tool-call-end' });
    else this.push({ at, attempt, error: result.failure, path, type: 'tool-call-error' });
  }

  private sampleStarted(path: string, key: string): void {
    let keys = this.samplesAt.get(path);
    if (!keys) this.samplesAt.set(path, (keys = new Set()));
    keys.add(key);
  }

  private async callModel(call: ModelCallStartEvent, live: LiveCall): Promise<void> {
    const { path, attempt } = call;
    // A vote's sample says which sample it is in every event about it.
    const sample = call.sample === undefined ? {} : { sample: call.sample };
    const provider = this.deps.models.get(call.model);
    const journaled = call.request as unknown as ModelCallRequest;
    const { input: _variables, prompt: _literal, ...request } = journaled;
    try {
      if (!provider)
        throw Object.assign(new Error(`model '${call.model}' is not configured`), {
          retryable: false,
        });
      this.prompts ??= new CallPrompts(this.engine.runStart.prompts);
      const prompt = this.prompts.text(call.promptHash, journaled);
      if (!prompt.ok) throw Object.assign(new Error(prompt.message), { retryable: false });
      const response = await this.withDeadline(
        meteredGenerate(
          provider,
          {
            ...request,
            prompt: prompt.text,
            model: call.model,
            sampleKey: `${path}#${attempt}`,
            ...(call.sample === undefined ? {} : { sample: { step: path, index: call.sample } }),
          },
          live.signal,
        ),
        live,
        (at) => ({
          type: 'model-call-error',
          at,
          path,
          attempt,
          ...sample,
          error: {
            type: 'timeout',
            message: `model ${call.model} did not answer before the step timeout`,
            retryable: true,
          },
        }),
      );
      if (response === ABORTED) return;
      this.push({
        at: this.deps.clock.now(),
        attempt,
        ...(response.costUsd === undefined ? {} : { costUsd: response.costUsd }),
        ...(response.finishReason === undefined ? {} : { finishReason: response.finishReason }),
        model: response.model,
        path,
        ...sample,
        ...(response.simulated ? { simulated: true } : {}),
        text: response.text,
        ...(response.toolCalls === undefined ? {} : { toolCalls: response.toolCalls }),
        type: 'model-call-end',
        usage: response.usage,
      });
    } catch (error) {
      this.push({
        type: 'model-call-error',
        at: this.deps.clock.now(),
        path,
        attempt,
        ...sample,
        error: failureFrom(error, true),
      });
    }
  }

  private armTimer(timer: TimerStartEvent): void {
    this.active += 1;
    const key = `${liveKey(timer.path, timer.sample)}#timer`;
    const cancel = this.deps.clock.setTimer(timer.fireAt, () => {
      this.live.delete(key);
      if (timer.sample !== undefined) this.forgetSample(timer.path, key);
      this.active -= 1;
      this.push({
        type: 'timer-fired',
        at: this.deps.clock.now(),
        path: timer.path,
        timer: timer.timer,
        ...(timer.sample === undefined ? {} : { sample: timer.sample }),
      });
    });
    const entry = new LiveCall();
    entry.cancelTimer = cancel;
    this.live.set(key, entry);
    if (timer.sample !== undefined) this.sampleStarted(timer.path, key);
  }

  private startChild(start: ChildRunStartEvent): void {
    this.active += 1;
    this.childAt.set(start.path, start.childRunId);
    const child = this.deps
      .runChild(this.engine.runStart, start)
      .then(
        (outcome) => {
          if (isTerminalStatus(outcome.status)) {
            this.pausedChildren.delete(start.childRunId);
            this.push({
              type: 'child-run-end',
              at: this.deps.clock.now(),
              path: start.path,
              childRunId: start.childRunId,
              status: outcome.status === 'completed' ? 'completed' : 'failed',
              ...(outcome.output === undefined ? {} : { output: outcome.output }),
              // A failed sub-workflow may be retried like a failed call (a fresh child run). Not a
              // cancelled one (stopped on purpose), nor one that could not start (a coded setup
              // error such as WORKFLOW_NOT_FOUND, which a retry would only repeat).
              ...(outcome.error
                ? {
                    error: {
                      ...outcome.error,
                      retryable: outcome.status === 'failed' && !('code' in outcome.error),
                    },
                  }
                : {}),
            });
          } else {
            this.pausedChildren.set(start.childRunId, outcome);
          }
        },
        (error: unknown) => {
          // Driving the child broke (store error, conflict, crash hook): that is not the child's
          // outcome, so nothing is journaled; the parent's drive fails too and both stay resumable.
          this.broken ??= { error };
        },
      )
      .finally(() => {
        this.childRuns.delete(child);
        if (this.childAt.get(start.path) === start.childRunId) this.childAt.delete(start.path);
        this.active -= 1;
        this.wakeUp();
      });
    this.childRuns.add(child);
  }
}

/** A call's key in the live map: its step path, or `<path>#s<sample>` for a vote's sample. */
function liveKey(path: string, sample: number | undefined): string {
  return sample === undefined ? path : sampleKey(path, sample);
}

class TimeoutSignal extends Error {}
const ABORTED = Symbol('aborted');
/** A call whose result waits for the end of the tick's perform loop (RunDriver.returned). */
const LATER = Symbol('later');

interface ReturnedCall {
  call: ToolCallStartEvent;
  live: LiveCall;
  result: ToolResult;
}

/**
 * What a tool is told about its call. A class, not an object literal: a literal with a getter
 * costs ~0.5 µs to create (V8 defines the accessor at run time), a tenth of a no-op step.
 */
class CallContext implements ToolContext {
  readonly #live: LiveCall;

  constructor(
    readonly runId: string,
    readonly stepPath: string,
    readonly attempt: number,
    readonly idempotencyKey: string,
    live: LiveCall,
  ) {
    this.#live = live;
  }

  /** Made on first use: most tools never look at it, and an AbortSignal costs more than a call. */
  get signal(): AbortSignal {
    return this.#live.signal;
  }
}

/**
 * A call in flight (or a timer): how it is aborted. The AbortSignal a tool or model may watch is
 * made only when asked for; the race with the call's promise settles through a stored resolver,
 * without an event listener per call.
 */
class LiveCall {
  cancelTimer?: () => void;
  /** Ends the call's tracking (set by track): once, when its result is journaled or dropped. */
  finish?: () => void;
  reason: unknown;
  #controller: AbortController | undefined;
  #aborted = false;
  #settle: ((value: typeof ABORTED) => void) | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#aborted && !this.#controller.signal.aborted) this.#controller.abort(this.reason);
    return this.#controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.#settle?.(ABORTED);
  }

  race<T>(work: Promise<T>): Promise<T | typeof ABORTED> {
    if (this.#aborted) return Promise.resolve(ABORTED);
    return new Promise((resolve, reject) => {
      this.#settle = resolve;
      work.then(resolve, (error: unknown) =>
        reject(error instanceof Error ? error : new Error(String(error))),
      );
    });
  }
}

/** A world event as the journal will hold it, and its canonical text. */
function journalForm(world: World, seq: number): [WorldEvent, string | undefined] {
  const full = canonicalJson(sequenced(world, seq) as unknown as JsonValue);
  return [JSON.parse(full) as WorldEvent, full];
}

/**
 * The run-start as the journal will hold it, without a round trip of its spec: the runtime made
 * the spec from its canonical text (and told the codec that text), and it is most of the event's
 * bytes — a 1,000-step spec is ~100 KB, serialised and parsed again here for every run. The rest
 * goes through canonical JSON like any world event. No text: the codec makes it, using the spec's.
 */
function journalFormStart(world: World, seq: number): [WorldEvent, undefined] {
  const { spec, ...rest } = sequenced(world, seq);
  const withoutSpec: JsonValue = { ...(rest as Record<string, JsonValue>), spec: null };
  const event = JSON.parse(canonicalJson(withoutSpec)) as Record<string, unknown>;
  event.spec = spec;
  return [event as unknown as WorldEvent, undefined];
}

/**
 * The event with its seq, keys in the order they came plus `seq` where canonical order puts it: an
 * event built with sorted keys stays sorted, so the journal writer serialises it without a re-sorted
 * copy (core/json.ts). The same values as `{ ...event, seq }`.
 */
function sequenced(event: object, seq: number): Record<string, unknown> {
  const source = event as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  let placed = false;
  for (const key of Object.keys(source)) {
    if (!placed && key > 'seq') {
      out.seq = seq;
      placed = true;
    }
    out[key] = source[key];
  }
  if (!placed) out.seq = seq;
  return out;
}
