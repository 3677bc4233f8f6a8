import { failureFrom, type Failure } from '../core/errors.js';
import type {
  DecisionEvent,
  RouteOutcomeRecord,
  RunStartEvent,
  ToolCallStartEvent,
  Unsequenced,
  WorldEvent,
} from '../core/events.js';
import { sha256Hex } from '../core/hash.js';
import type { JsonValue } from '../core/json.js';
import type {
  AgentStepSpec,
  CascadeStepSpec,
  ConsortiumStepSpec,
  ToolStepSpec,
  VoteStepSpec,
} from '../core/spec.js';
import type { Route } from '../routing/compile.js';
import type { RouteRequest } from '../routing/monitors.js';
import {
  advanceRoute,
  startRoute,
  type ConsultAnswer,
  type EscalationAnswer,
  type Observation,
  type RouteAction,
  type RouteDecision,
  type RouteInput,
  type RouteOutcome,
  type RouteState,
  type RouteStep,
} from '../routing/router.js';
import { backoffDelay } from './backoff.js';
import { parseModelOutput } from './model-output.js';
import { planWorkflow, type PlannedBlock, type PlannedStep, type WorkflowPlan } from './plan.js';
import { checkPrompt, renderPrompt } from './prompt.js';
import { parsePromptFile, type PromptFrontMatter } from '../core/prompt-file.js';
import { readRouteAnswer, routeQuestion } from './route-model.js';
import {
  evaluateExpression,
  isSyncTemplate,
  resolveSync,
  resolveTemplate,
  TemplateError,
  type CompiledTemplate,
  type StepView,
  type TemplateEnv,
} from './template.js';
import type { VoteFunctionLookup } from '../voting/functions.js';
import type { VoteRule } from '../voting/rule.js';
import { planBatch } from '../voting/sampling.js';
import { addSample, startVote } from '../voting/vote.js';
import {
  bindVoteRule,
  exhaustedFailure,
  isFailure,
  sampleKey,
  sampleOf,
  voteEvent,
  type PendingSample,
  type PlannedVote,
  type VoteRun,
} from './vote-step.js';
import {
  actualSpend,
  addSpend,
  budgetFailure,
  emptyLedger,
  escalationEvent,
  gateCall,
  overrun,
  type Ledger,
  type Scope,
} from './budget.js';
import { routeModel } from '../routing/models.js';
import {
  allSettled,
  draftsArrived,
  mergePrompt,
  type ConsortiumRun,
  type Draft,
} from './consortium-step.js';
import {
  cascadeAnswered,
  cascadeFailed,
  startCascade,
  type CascadeContext,
  type CascadeRun,
  type CascadeStep,
} from './cascade-step.js';

export type Decision = Unsequenced<DecisionEvent>;
type NodeState = 'pending' | 'running' | 'completed' | 'failed' | 'skipped' | 'cancelled';
type Waiting = 'tool' | 'model' | 'timer' | 'approval' | 'child' | 'outcome' | 'observe';

/**
 * A route step's progress, plain JSON (it is part of the snapshot): the router's state, the input
 * waiting for the next health view, the last view (a model's answer is fed with it), and the
 * outputs of the nodes that completed, in order.
 */
interface RouteRun {
  request: RouteRequest;
  state: RouteState | null;
  pending: RouteInput | null;
  observation: Observation | null;
  outputs: Array<[string, JsonValue]>;
}

interface ScopeVars {
  item?: JsonValue;
  index?: number;
  iteration?: number;
  previous?: JsonValue;
}

/** One execution of a block: the root block, one map item, one loop iteration, one branch arm. */
class Frame {
  readonly nodes: Array<StepNode | undefined>;
  /** Dependencies each step still waits for (a plain array: a typed one costs more to make). */
  readonly waitingDeps: number[];
  settled = 0;
  state: 'running' | 'done' | 'failed' | 'cancelled' = 'running';
  readonly env: TemplateEnv;

  constructor(
    readonly block: PlannedBlock,
    readonly prefix: string,
    readonly parent: Frame | null,
    readonly owner: StepNode | null,
    readonly vars: ScopeVars,
    /** Which child of the owner this frame is (map index, branch label, loop iteration). */
    readonly slot: string,
    input: JsonValue,
  ) {
    this.nodes = new Array<StepNode | undefined>(block.steps.length);
    this.waitingDeps = block.depCounts.slice();
    // One shape for every frame's env: templates read it on every step.
    this.env = {
      input,
      item: vars.item,
      index: vars.index,
      iteration: vars.iteration,
      previous: vars.previous,
      step: (id) => this.view(id),
    };
  }

  /** How failures inside this frame name it: "item 3", "iteration 7", "case 0", "branch left". */
  slotLabel(): string {
    const owner = this.owner;
    if (!owner) return 'workflow';
    switch (owner.step.spec.kind) {
      case 'map':
        return `item ${this.slot}`;
      case 'loop':
        return `iteration ${this.slot}`;
      case 'branch':
        return this.slot === 'default' ? 'default case' : `case ${this.slot}`;
      default:
        return `branch ${this.slot}`;
    }
  }

  /** A step visible from this frame: in this block or an enclosing one, and already settled. */
  view(id: string): StepView | undefined {
    const index = this.block.indexById.get(id);
    if (index === undefined) return this.parent?.view(id);
    const node = this.nodes[index];
    if (!node || node.state === 'pending' || node.state === 'running') return undefined;
    return node.view();
  }
}

const NONE: readonly JsonValue[] = Object.freeze([]);
const NO_FRAMES: ReadonlySet<Frame> = new Set();

class StepNode {
  state: NodeState = 'pending';
  output: JsonValue = null;
  error: Failure | null = null;
  attempt = 0;
  waiting: Waiting | null = null;
  input: JsonValue = null;
  lastCall: Unsequenced<ToolCallStartEvent> | null = null;
  /** Open child frames of a container step; made on first use (most steps are leaves). */
  private frames: Set<Frame> | null = null;
  // map (assigned when the map starts; leaves, most nodes, share the empty placeholder)
  items: readonly JsonValue[] = NONE;
  results: JsonValue[] = NONE as JsonValue[];
  nextItem = 0;
  doneItems = 0;
  // parallel (created when the parallel step starts)
  branchResults: Record<string, JsonValue> | null = null;
  // fallback
  fallback: StepNode | null = null;
  originalError: Failure | null = null;
  // route (created when the route step starts)
  route: RouteRun | null = null;
  // vote (created when the vote step starts); `rule` is derived from the plan, not snapshotted
  vote: VoteRun | null = null;
  rule: VoteRule | null = null;
  // cascade (created when the cascade step starts)
  cascade: CascadeRun | null = null;
  // consortium (created when the consortium step starts)
  consortium: ConsortiumRun | null = null;

  constructor(
    readonly frame: Frame,
    readonly step: PlannedStep,
    readonly path: string,
    /** Set for a fallback node: the node whose failure it stands in for. */
    readonly replaces: StepNode | null,
  ) {}

  get children(): ReadonlySet<Frame> {
    return this.frames ?? NO_FRAMES;
  }

  addChild(frame: Frame): void {
    (this.frames ??= new Set()).add(frame);
  }

  removeChild(frame: Frame): void {
    this.frames?.delete(frame);
  }

  clearChildren(): void {
    this.frames?.clear();
  }

  view(): StepView {
    return {
      output: this.output,
      error: this.error ? { ...this.error } : null,
      status: this.state,
    };
  }
}

/**
 * The deterministic core: a state machine from (spec, journal so far) to the next decisions.
 * `handle` folds one world event into the state and returns the decisions it enables; the same code
 * drives live runs, resume and replay, so a journal re-fed through it must yield the same decisions.
 * Work is queued and drained in FIFO order (no recursion), so million-iteration loops do not grow the
 * stack and the order of decisions never depends on timing.
 */
export class RunEngine {
  readonly runId: string;
  readonly plan: WorkflowPlan;
  private readonly start: RunStartEvent;
  private readonly root: Frame;
  private readonly waiting = new Map<string, { node: StepNode; decision: Decision }>();
  private readonly queue: Array<() => void | Promise<void>> = [];
  private out: Decision[] = [];
  private at = 0;
  private ended: Decision | null = null;
  private approvals = 0;
  private unknowns = 0;
  private readonly options: EngineOptions;
  /** sha256 of each prompt template, by its path: a vote step sends one per sample. */
  private readonly promptHashes = new Map<string, string>();
  /** Model spend, kept once a budget applies to a call (docs/models.md#budgets). */
  private ledger: Ledger | null = null;

  constructor(
    start: RunStartEvent,
    plan?: WorkflowPlan,
    snapshot?: EngineSnapshot,
    options: EngineOptions = {},
  ) {
    this.options = options;
    this.start = start;
    this.runId = start.runId;
    this.plan = plan ?? planWorkflow(start.spec as never);
    if (snapshot === undefined) {
      this.root = new Frame(this.plan.root, '', null, null, {}, '', start.input);
      return;
    }
    if (snapshot.v !== SNAPSHOT_VERSION) throw new SnapshotError(`version ${String(snapshot.v)}`);
    const byPath = new Map<string, StepNode>();
    this.root = this.restoreFrame(snapshot.root, this.plan.root, '', null, null, byPath);
    this.at = snapshot.at;
    this.approvals = snapshot.approvals;
    this.unknowns = snapshot.unknowns;
    this.ended = snapshot.ended;
    if (snapshot.budget !== undefined) this.ledger = snapshot.budget;
    for (const [key, decision] of snapshot.waiting) {
      // Keyed by step path, or by `<path>#s<sample>` for a vote step's samples.
      const path = 'path' in decision ? decision.path : key;
      const node = byPath.get(path);
      if (!node) throw new SnapshotError(`waiting step ${path} is not in the state`);
      this.waiting.set(key, { node, decision });
    }
  }

  /**
   * The engine's whole state as plain JSON, between two world events: what resume restores instead
   * of replaying the journal from the start. A pure function of the events handled so far, so
   * `replay --verify` can re-derive it and compare. Frames that finished are gone from the state
   * (only their outputs live on, in their owners), so its size follows what is running, not how
   * long the run has been.
   */
  snapshot(): EngineSnapshot {
    // Keys in canonical order: the checkpoint writer then serialises it without a sorted copy.
    return {
      approvals: this.approvals,
      at: this.at,
      ...(this.ledger ? { budget: this.ledger } : {}),
      ended: this.ended,
      root: snapshotFrame(this.root),
      unknowns: this.unknowns,
      v: SNAPSHOT_VERSION,
      waiting: [...this.waiting].map(([path, { decision }]) => [path, decision]),
    };
  }

  private restoreFrame(
    snap: FrameSnapshot,
    block: PlannedBlock,
    prefix: string,
    parent: Frame | null,
    owner: StepNode | null,
    byPath: Map<string, StepNode>,
  ): Frame {
    const frame = new Frame(block, prefix, parent, owner, snap.vars, snap.slot, this.start.input);
    frame.state = snap.state;
    frame.settled = snap.settled;
    if (snap.deps.length !== block.steps.length || snap.nodes.length !== block.steps.length)
      throw new SnapshotError(`frame ${prefix || '(root)'} does not match the plan`);
    snap.deps.forEach((left, i) => (frame.waitingDeps[i] = left));
    snap.nodes.forEach((nodeSnap, i) => {
      if (nodeSnap === null) return;
      const step = block.steps[i] as PlannedStep;
      frame.nodes[i] = this.restoreNode(nodeSnap, frame, step, null, byPath);
    });
    return frame;
  }

  private restoreNode(
    snap: NodeSnapshot,
    frame: Frame,
    step: PlannedStep,
    replaces: StepNode | null,
    byPath: Map<string, StepNode>,
  ): StepNode {
    const node = new StepNode(frame, step, frame.prefix + step.id, replaces);
    byPath.set(node.path, node);
    node.state = snap.state;
    node.output = snap.output ?? null;
    node.error = snap.error ?? null;
    node.attempt = snap.attempt ?? 0;
    node.waiting = snap.waiting ?? null;
    node.input = snap.input ?? null;
    node.lastCall = snap.lastCall ?? null;
    if (snap.map) {
      node.items = snap.map.items;
      node.results = snap.map.results;
      node.nextItem = snap.map.nextItem;
      node.doneItems = snap.map.doneItems;
    }
    node.branchResults = snap.branchResults ?? null;
    node.originalError = snap.originalError ?? null;
    if (snap.route !== undefined) node.route = snap.route;
    if (snap.vote !== undefined) node.vote = snap.vote;
    if (snap.cascade !== undefined) node.cascade = snap.cascade;
    if (snap.consortium !== undefined) node.consortium = snap.consortium;
    if (snap.fallback) {
      if (!step.fallback) throw new SnapshotError(`step ${node.path} has no fallback in the plan`);
      node.fallback = this.restoreNode(snap.fallback, frame, step.fallback, node, byPath);
    }
    for (const child of snap.children ?? []) {
      const block = childBlock(step, child.slot);
      if (!block) throw new SnapshotError(`step ${node.path} has no block '${child.slot}'`);
      node.addChild(
        this.restoreFrame(child, block, `${node.path}/${child.slot}/`, frame, node, byPath),
      );
    }
    return node;
  }

  get finished(): boolean {
    return this.ended !== null;
  }

  get runStart(): RunStartEvent {
    return this.start;
  }

  /** The run-end decision once the run has finished. */
  get endEvent(): Decision | null {
    return this.ended;
  }

  /** Decisions still awaiting a world event (calls in flight, timers, approvals, children, unknowns). */
  outstanding(): Decision[] {
    return [...this.waiting.values()].map((w) => w.decision);
  }

  /** What the run waits on, in O(1): the driver asks after every batch. */
  waitingCounts(): { total: number; approvals: number; unknowns: number } {
    return { total: this.waiting.size, approvals: this.approvals, unknowns: this.unknowns };
  }

  /**
   * Folds one world event in and returns the decisions it enables. Synchronous unless a step needs
   * asynchronous work (an expression evaluator): callers await only when given a promise, which
   * spares the common path a promise and a microtask per event.
   */
  handle(event: Unsequenced<WorldEvent> | WorldEvent): Decision[] | Promise<Decision[]> {
    this.out = [];
    this.at = event.at;
    if (this.ended) return this.out;
    if (event.type === 'run-start') this.enqueue(() => this.startFrame(this.root));
    else if (event.type === 'run-cancel') this.cancelRun(event.reason);
    else this.deliver(event);
    while (this.queue.length > 0) {
      const task = this.queue.shift() as () => void | Promise<void>;
      const pending = task();
      if (pending) return pending.then(() => this.drain());
    }
    return this.out;
  }

  private async drain(): Promise<Decision[]> {
    while (this.queue.length > 0) {
      const task = this.queue.shift() as () => void | Promise<void>;
      const pending = task();
      if (pending) await pending;
    }
    return this.out;
  }

  private deliver(
    event: Exclude<Unsequenced<WorldEvent>, { type: 'run-start' | 'run-cancel' }>,
  ): void {
    const sample = 'sample' in event ? event.sample : undefined;
    const entry = this.waiting.get(
      sample === undefined ? event.path : sampleKey(event.path, sample),
    );
    if (!entry) return; // a late result for a cancelled or timed-out call: recorded, not acted on
    const { node } = entry;
    if (
      this.ledger !== null &&
      (event.type === 'model-call-end' || event.type === 'model-call-error') &&
      this.charged(node, sample, event)
    )
      return;
    if (sample !== undefined && node.consortium) return this.deliverDraft(node, sample, event);
    if (sample !== undefined) return this.deliverSample(node, sample, event);
    switch (event.type) {
      case 'tool-call-end':
        if (node.waiting !== 'tool' || event.attempt !== node.attempt) return;
        this.release(node);
        if (node.route) this.enqueue(() => this.routeToolDone(node, true, event.output, ''));
        else this.enqueue(() => this.settle(node, 'completed', event.output, null, false));
        return;
      case 'tool-call-error':
      case 'model-call-error': {
        const expected = event.type === 'tool-call-error' ? 'tool' : 'model';
        if (node.waiting !== expected || event.attempt !== node.attempt) return;
        this.release(node);
        if (node.consortium && event.type === 'model-call-error') {
          const failure = event.error;
          this.enqueue(() =>
            this.failStep(node, { ...failure, message: `merge: ${failure.message}` }),
          );
          return;
        }
        if (node.cascade && event.type === 'model-call-error') {
          const error = event.error;
          this.enqueue(() => this.cascadeDone(node, null, error));
          return;
        }
        if (node.route && expected === 'tool') {
          const message = event.error.message;
          this.enqueue(() => this.routeToolDone(node, false, null, message));
        } else if (node.route) {
          // A model that cannot be asked is no answer: hand off, visibly, rather than guess.
          const answer: EscalationAnswer = {
            kind: 'escalate',
            message: `the model could not be asked (${event.error.type}: ${event.error.message})`,
          };
          this.enqueue(() => this.routeAnswered(node, answer));
        } else {
          this.enqueue(() => this.attemptFailed(node, event.error));
        }
        return;
      }
      case 'tool-call-interrupted':
        if (node.waiting !== 'tool' || node.lastCall?.attempt !== event.attempt) return;
        this.release(node);
        this.enqueue(() => this.interrupted(node));
        return;
      case 'model-call-end': {
        if (node.waiting !== 'model' || event.attempt !== node.attempt) return;
        this.release(node);
        if (node.cascade) {
          const { text } = event;
          this.enqueue(() => this.cascadeDone(node, text, null));
          return;
        }
        if (node.consortium) {
          const merged = parseModelOutput(
            { output: (node.step.spec as ConsortiumStepSpec).output } as AgentStepSpec,
            event.text,
          );
          this.enqueue(() =>
            merged.ok
              ? this.settle(node, 'completed', merged.value, null, false)
              : this.failStep(node, { ...merged.failure, retryable: false }),
          );
          return;
        }
        if (node.route) {
          const { text } = event;
          this.enqueue(() => this.routeModelAnswered(node, text));
          return;
        }
        const parsed = parseModelOutput(this.agentOutput(node), event.text);
        this.enqueue(() =>
          parsed.ok
            ? this.settle(node, 'completed', parsed.value, null, false)
            : this.attemptFailed(node, parsed.failure),
        );
        return;
      }
      case 'timer-fired':
        if (node.waiting !== 'timer' || event.timer !== node.attempt) return;
        this.release(node);
        this.enqueue(() => this.startAttempt(node));
        return;
      case 'approval-decision':
        if (node.waiting !== 'approval') return;
        this.release(node);
        this.enqueue(() =>
          event.approved
            ? this.settle(node, 'completed', approvalOutput(event), null, false)
            : this.failStep(node, {
                type: 'rejected',
                message: event.comment ?? 'the approval was rejected',
                retryable: false,
              }),
        );
        return;
      case 'child-run-end':
        if (node.waiting !== 'child' || !isChild(entry.decision, event.childRunId)) return;
        this.release(node);
        this.enqueue(() =>
          event.status === 'completed'
            ? this.settle(node, 'completed', event.output ?? null, null, false)
            : this.attemptFailed(
                node,
                event.error ?? {
                  type: 'child-failed',
                  message: 'sub-workflow failed',
                  retryable: false,
                },
              ),
        );
        return;
      case 'outcome-decision':
        if (node.waiting !== 'outcome') return;
        this.release(node);
        this.enqueue(() => this.outcomeDecided(node, event.action, event.value));
        return;
      case 'route-health': {
        if (node.waiting !== 'observe') return;
        this.release(node);
        const observation: Observation = { down: event.down };
        this.enqueue(() => this.routeObserved(node, observation));
        return;
      }
    }
  }

  // ---- frames -------------------------------------------------------------------------------

  private enqueue(task: () => void | Promise<void>): void {
    this.queue.push(task);
  }

  private emit(decision: Decision): void {
    this.out.push(decision);
  }

  private startFrame(frame: Frame): void {
    for (const index of frame.block.roots) this.enqueue(() => this.startNode(frame, index));
  }

  private startNode(frame: Frame, index: number): void | Promise<void> {
    if (frame.state !== 'running') return;
    const step = frame.block.steps[index] as PlannedStep;
    const node = new StepNode(frame, step, frame.prefix + step.id, null);
    frame.nodes[index] = node;
    return this.begin(node);
  }

  private begin(node: StepNode): void | Promise<void> {
    node.state = 'running';
    // Hot decisions are built with their keys in canonical (sorted) order: the journal writer then
    // serialises them as they are instead of re-sorting a copy (core/json.ts inCanonicalOrder).
    this.emit({ at: this.at, kind: node.step.spec.kind, path: node.path, type: 'step-start' });
    switch (node.step.spec.kind) {
      case 'tool':
      case 'agent':
      case 'workflow':
        return this.resolveInput(node);
      case 'approval':
        return this.wait(node, 'approval', {
          type: 'approval-request',
          at: this.at,
          path: node.path,
          message: node.step.spec.message,
        });
      case 'map':
        return this.startMap(node);
      case 'loop':
        return this.startIteration(node, 0, null);
      case 'branch':
        return this.startBranch(node);
      case 'parallel':
        return this.startParallel(node);
      case 'route':
        return this.resolveRoute(node);
      case 'vote':
      case 'cascade':
      case 'consortium':
        return this.resolveInput(node);
    }
  }

  private async resolve(env: TemplateEnv, template: CompiledTemplate): Promise<JsonValue> {
    return isSyncTemplate(template) ? resolveSync(template, env) : resolveTemplate(template, env);
  }

  private resolveInput(node: StepNode): void | Promise<void> {
    if (isSyncTemplate(node.step.input)) {
      try {
        node.input = resolveSync(node.step.input, node.frame.env);
      } catch (error) {
        return this.failStep(node, inputFailure(error));
      }
      return this.startAttempt(node);
    }
    return this.resolve(node.frame.env, node.step.input).then(
      (value) => {
        node.input = value;
        return this.startAttempt(node);
      },
      (error: unknown) => this.failStep(node, inputFailure(error)),
    );
  }

  private frameDone(frame: Frame): void | Promise<void> {
    const block = frame.block;
    if (block.output === undefined) {
      const last = frame.nodes[block.steps.length - 1];
      return this.frameCompleted(frame, last ? last.output : null);
    }
    return this.resolve(frame.env, block.output).then(
      (output) => this.frameCompleted(frame, output),
      (error: unknown) => this.frameFailed(frame, inputFailure(error)),
    );
  }

  private frameCompleted(frame: Frame, output: JsonValue): void | Promise<void> {
    if (frame.state !== 'running') return;
    frame.state = 'done';
    const owner = frame.owner;
    if (!owner) return this.endRun('completed', output, undefined);
    owner.removeChild(frame);
    return this.childFrameDone(owner, frame, output);
  }

  private frameFailed(frame: Frame, failure: Failure): void | Promise<void> {
    if (frame.state !== 'running') return;
    frame.state = 'failed';
    this.cancelNodes(frame);
    const owner = frame.owner;
    if (!owner) return this.endRun('failed', undefined, failure);
    owner.removeChild(frame);
    if (owner.state !== 'running') return;
    this.cancelChildren(owner);
    return this.failStep(owner, {
      type: failure.type,
      message: `${frame.slotLabel()}: ${failure.message}`,
      retryable: false,
      ...(failure.code === undefined ? {} : { code: failure.code }),
    });
  }

  // ---- leaves -------------------------------------------------------------------------------

  private startAttempt(node: StepNode): void | Promise<void> {
    const spec = node.step.spec;
    if (spec.kind === 'vote') return this.startVoting(node);
    if (spec.kind === 'cascade') return this.startCascading(node);
    if (spec.kind === 'consortium') return this.startDrafting(node);
    node.attempt += 1;
    const timeoutAt = spec.timeoutMs === undefined ? undefined : this.at + spec.timeoutMs;
    if (spec.kind === 'tool') return this.callTool(node, spec, timeoutAt);
    if (spec.kind === 'agent') return this.callModel(node, spec, timeoutAt);
    if (spec.kind === 'workflow') {
      this.wait(node, 'child', {
        type: 'child-run-start',
        at: this.at,
        path: node.path,
        childRunId: `${this.runId}.${sha256Hex(`${node.path}#${node.attempt}`).slice(0, 10)}`,
        workflow: spec.workflow,
        input: node.input,
      });
    }
  }

  private callTool(
    node: StepNode,
    spec: ToolStepSpec,
    timeoutAt: number | undefined,
  ): void | Promise<void> {
    const info = this.start.tools[spec.tool];
    if (!info) {
      return this.failStep(node, {
        type: 'tool-not-found',
        message: `tool '${spec.tool}' was not registered when the run started`,
        retryable: false,
      });
    }
    const call: Unsequenced<ToolCallStartEvent> = {
      at: this.at,
      attempt: node.attempt,
      input: node.input,
      key: idempotencyKey(this.runId, node.path, node.attempt),
      path: node.path,
      safe: info.retry === 'safe',
      ...(timeoutAt === undefined ? {} : { timeoutAt }),
      tool: spec.tool,
      type: 'tool-call-start',
      ...(info.version === undefined ? {} : { version: info.version }),
    };
    node.lastCall = call;
    this.wait(node, 'tool', call);
  }

  private callModel(
    node: StepNode,
    spec: AgentStepSpec,
    timeoutAt: number | undefined,
  ): void | Promise<void> {
    // The journal keeps the template's hash and the variables (ModelCallRequest); the driver
    // renders for the call.
    const prompt = this.stepPrompt(node, spec.prompt);
    if ('retryable' in prompt) return this.failStep(node, prompt);
    const request: Record<string, JsonValue> = {
      input: node.input,
      temperature: spec.temperature,
    };
    const output = this.agentOutput(node).output;
    if (output) request.outputSchema = output.schema;
    if (spec.maxTokens !== undefined) request.maxTokens = spec.maxTokens;
    // The rendered text only when routing or a budget reads it.
    const text = prompt.text;
    const hint = promptHints(prompt.template)?.model;
    const model = spec.model ?? hint ?? this.routeAgent(node, spec, text);
    if (typeof model !== 'string') return this.failStep(node, model);
    const overBudget = this.gate(node, node.path, node.attempt, model, request, text);
    if (overBudget) return this.failStep(node, overBudget);
    this.wait(node, 'model', {
      type: 'model-call-start',
      at: this.at,
      path: node.path,
      attempt: node.attempt,
      model,
      promptHash: prompt.hash,
      request,
      ...(timeoutAt === undefined ? {} : { timeoutAt }),
    });
  }

  private wait(node: StepNode, waiting: Waiting, decision: Decision): void {
    node.waiting = waiting;
    this.count(waiting, 1);
    this.waiting.set(node.path, { node, decision });
    this.emit(decision);
  }

  private release(node: StepNode): void {
    if (node.waiting) this.count(node.waiting, -1);
    node.waiting = null;
    this.waiting.delete(node.path);
  }

  private count(waiting: Waiting, delta: number): void {
    if (waiting === 'approval') this.approvals += delta;
    else if (waiting === 'outcome') this.unknowns += delta;
  }

  private attemptFailed(node: StepNode, failure: Failure): void | Promise<void> {
    if (node.state !== 'running') return;
    const retry = node.step.retry;
    if (failure.retryable && node.attempt < retry.maxAttempts) {
      const delay = backoffDelay(retry.backoff, node.attempt, `${this.runId}|${node.path}`);
      this.wait(node, 'timer', {
        type: 'timer-start',
        at: this.at,
        path: node.path,
        timer: node.attempt,
        fireAt: this.at + delay,
        purpose: 'retry',
      });
      return;
    }
    return this.failStep(node, failure);
  }

  private interrupted(node: StepNode): void {
    const call = node.lastCall as Unsequenced<ToolCallStartEvent>;
    if (call.safe) {
      this.wait(node, 'tool', this.reissue(node, call));
      return;
    }
    this.wait(node, 'outcome', {
      type: 'outcome-unknown',
      at: this.at,
      path: node.path,
      attempt: call.attempt,
      tool: call.tool,
      key: call.key,
    });
  }

  private outcomeDecided(
    node: StepNode,
    action: 'retry' | 'complete' | 'fail',
    value: JsonValue | undefined,
  ): void | Promise<void> {
    const call = node.lastCall as Unsequenced<ToolCallStartEvent>;
    if (action === 'retry') {
      // Same attempt, same idempotency key: a remote system that deduplicates by key stays exactly-once.
      this.wait(node, 'tool', this.reissue(node, call));
      return;
    }
    if (node.route) {
      // For a route, the operator settles the node's call, not the step: the route goes on.
      return action === 'complete'
        ? this.routeToolDone(node, true, value ?? null, '')
        : this.routeToolDone(
            node,
            false,
            null,
            `the outcome of ${call.tool} was unknown and an operator marked it failed`,
          );
    }
    if (action === 'complete') return this.settle(node, 'completed', value ?? null, null, false);
    return this.failStep(node, {
      type: 'outcome-unknown',
      message: `the outcome of ${call.tool} was unknown and an operator marked it failed`,
      retryable: false,
    });
  }

  /**
   * The same call (attempt, key, input) issued again now. Its deadline is measured from now: the old
   * one may have passed while the process was down or the operator deliberated, and a call re-issued
   * past its deadline would time out at once, however fast the tool.
   */
  private reissue(
    node: StepNode,
    call: Unsequenced<ToolCallStartEvent>,
  ): Unsequenced<ToolCallStartEvent> {
    const { timeoutAt: _stale, ...rest } = call;
    const timeoutMs = node.step.spec.timeoutMs;
    const next = {
      ...rest,
      at: this.at,
      ...(timeoutMs === undefined ? {} : { timeoutAt: this.at + timeoutMs }),
    };
    node.lastCall = next;
    return next;
  }

  // ---- routes -------------------------------------------------------------------------------
  //
  // A route step runs the pure router (routing/router.ts) one step per world event: each tool
  // result is followed by a fresh health view (route-observe → route-health, read by the driver
  // and journaled), then the router advances and its decisions are journaled before its action
  // (a node's tool call, a model question, or the end) is taken. A node's call is an ordinary
  // tool-call-start with the node named and its own attempt number, so idempotency keys are
  // unique; a failure goes to the router at once (it reroutes; maxRetries bounds it).

  private resolveRoute(node: StepNode): void | Promise<void> {
    const step = node.step;
    const request = step.request as CompiledTemplate;
    const env = node.frame.env;
    if (isSyncTemplate(step.input) && isSyncTemplate(request)) {
      let value: JsonValue;
      try {
        node.input = resolveSync(step.input, env);
        value = resolveSync(request, env);
      } catch (error) {
        return this.failStep(node, inputFailure(error));
      }
      return this.routeStarted(node, value);
    }
    return this.resolve(env, step.input)
      .then((input) => {
        node.input = input;
        return this.resolve(env, request);
      })
      .then(
        (value) => this.routeStarted(node, value),
        (error: unknown) => this.failStep(node, inputFailure(error)),
      );
  }

  private routeStarted(node: StepNode, value: JsonValue): void | Promise<void> {
    if (node.state !== 'running') return;
    const request = routeRequest(value);
    if (typeof request === 'string')
      return this.failStep(node, { type: 'input-error', message: request, retryable: false });
    node.route = { request, state: null, pending: null, observation: null, outputs: [] };
    this.observe(node);
  }

  private observe(node: StepNode): void {
    this.wait(node, 'observe', {
      type: 'route-observe',
      at: this.at,
      path: node.path,
      tools: [...(node.step.route as Route).tools],
    });
  }

  private routeObserved(node: StepNode, observation: Observation): void | Promise<void> {
    const run = node.route as RouteRun;
    if (node.state !== 'running') return;
    const route = node.step.route as Route;
    const step =
      run.state === null
        ? startRoute(route, run.request, observation)
        : advanceRoute(route, run.state, run.pending as RouteInput, observation);
    run.observation = observation;
    run.pending = null;
    return this.routeAct(node, step);
  }

  /** A node's call ended: remember its output, then look at health again before advancing. */
  private routeToolDone(
    node: StepNode,
    ok: boolean,
    output: JsonValue,
    message: string,
  ): void | Promise<void> {
    if (node.state !== 'running') return;
    const run = node.route as RouteRun;
    const id = (node.lastCall as Unsequenced<ToolCallStartEvent>).node as string;
    if (ok) {
      run.outputs = [...run.outputs, [id, output]];
      run.pending = { type: 'tool-succeeded', node: id };
      // The goal's success ends the route whatever the health: no view to ask for.
      if (id === (node.step.route as Route).goal)
        return this.routeObserved(node, run.observation as Observation);
    } else {
      run.pending = { type: 'tool-failed', node: id, message };
    }
    this.observe(node);
  }

  private routeModelAnswered(node: StepNode, text: string): void | Promise<void> {
    if (node.state !== 'running') return;
    const run = node.route as RouteRun;
    return this.routeAnswered(
      node,
      readRouteAnswer(node.step.route as Route, run.state as RouteState, text),
    );
  }

  /** The model answered (or could not): advance on the health view the question was asked with. */
  private routeAnswered(
    node: StepNode,
    answer: ConsultAnswer | EscalationAnswer,
  ): void | Promise<void> {
    if (node.state !== 'running') return;
    const run = node.route as RouteRun;
    const state = run.state as RouteState;
    const input: RouteInput =
      state.phase === 'consulting'
        ? { type: 'consulted', answer }
        : { type: 'escalation-answered', answer: answer as EscalationAnswer };
    const step = advanceRoute(
      node.step.route as Route,
      state,
      input,
      run.observation as Observation,
    );
    return this.routeAct(node, step);
  }

  /** Journals the router's decisions, then does what it asks. */
  private routeAct(node: StepNode, step: RouteStep): void | Promise<void> {
    const run = node.route as RouteRun;
    run.state = step.state;
    for (const decision of step.decisions) this.emit(routeEvent(decision, this.at, node.path));
    const action = step.action;
    switch (action.kind) {
      case 'call':
        return this.callRouteTool(node, action.node, action.tool);
      case 'consult':
      case 'escalate':
        return this.askRouteModel(node, action);
      case 'done':
        return this.routeDone(node, action.outcome);
    }
  }

  private callRouteTool(node: StepNode, id: string, tool: string): void | Promise<void> {
    const info = this.start.tools[tool];
    if (!info) {
      return this.failStep(node, {
        type: 'tool-not-found',
        message: `tool '${tool}' of route node ${id} was not registered when the run started`,
        retryable: false,
      });
    }
    node.attempt += 1;
    const timeoutMs = node.step.spec.timeoutMs;
    const call: Unsequenced<ToolCallStartEvent> = {
      type: 'tool-call-start',
      at: this.at,
      path: node.path,
      tool,
      ...(info.version === undefined ? {} : { version: info.version }),
      node: id,
      attempt: node.attempt,
      key: idempotencyKey(this.runId, node.path, node.attempt),
      input: node.input,
      safe: info.retry === 'safe',
      ...(timeoutMs === undefined ? {} : { timeoutAt: this.at + timeoutMs }),
    };
    node.lastCall = call;
    this.wait(node, 'tool', call);
  }

  private askRouteModel(
    node: StepNode,
    action: Extract<RouteAction, { kind: 'consult' | 'escalate' }>,
  ): void | Promise<void> {
    const run = node.route as RouteRun;
    const spec = node.step.spec;
    const question = routeQuestion(
      node.step.route as Route,
      run.state as RouteState,
      action,
      run.observation as Observation,
    );
    node.attempt += 1;
    const timeoutMs = spec.timeoutMs;
    const model = (spec.kind === 'route' ? spec.model : undefined) ?? 'default';
    const request: Record<string, JsonValue> = {
      prompt: question.prompt,
      temperature: 0,
      outputSchema: question.outputSchema,
    };
    const refused = this.gate(node, node.path, node.attempt, model, request, question.prompt);
    if (refused) return this.failStep(node, refused);
    this.wait(node, 'model', {
      type: 'model-call-start',
      at: this.at,
      path: node.path,
      attempt: node.attempt,
      model,
      promptHash: sha256Hex(question.prompt),
      request,
      ...(timeoutMs === undefined ? {} : { timeoutAt: this.at + timeoutMs }),
    });
  }

  private routeDone(node: StepNode, outcome: RouteOutcome): void | Promise<void> {
    const run = node.route as RouteRun;
    const completed = [...(run.state as RouteState).completed];
    const outputs = Object.fromEntries(run.outputs) as Record<string, JsonValue>;
    switch (outcome.status) {
      case 'reached':
        return this.settle(
          node,
          'completed',
          { status: 'reached', path: [...outcome.path], completed, outputs },
          null,
          false,
        );
      case 'demoted':
        return this.settle(
          node,
          'completed',
          { status: 'demoted', goal: outcome.goal, reason: outcome.reason, completed, outputs },
          null,
          false,
        );
      case 'escalated':
        return this.failStep(node, {
          type: 'route-escalated',
          message: `route escalated (${outcome.reason}): ${outcome.message}`,
          retryable: false,
        });
    }
  }

  // ---- votes --------------------------------------------------------------------------------
  //
  // A vote step draws samples of one model call in batches (voting/sampling.ts): each sample is
  // a model-call-start carrying its sample index, with its own attempt number (so every call of
  // the step has its own sampleKey) and its own waiting entry, `<path>#s<index>`. Answers may
  // arrive in any order; they are added to the vote (voting/vote.ts) in sample-index order, and
  // each addition's decisions are journaled before the next batch is requested. A provider error
  // on a sample retries that sample under the step's retry policy; past it, the step fails.

  private startVoting(node: StepNode): void | Promise<void> {
    const rule = this.voteRule(node);
    if (isFailure(rule)) return this.failStep(node, rule);
    node.vote = { state: startVote(), pending: [] };
    return this.requestBatch(node);
  }

  private voteRule(node: StepNode): VoteRule | Failure {
    if (node.rule) return node.rule;
    const rule = bindVoteRule(node.step.vote as PlannedVote, this.options.votes, node.input);
    if (!isFailure(rule)) node.rule = rule;
    return rule;
  }

  private requestBatch(node: StepNode): void | Promise<void> {
    const run = node.vote as VoteRun;
    const rule = this.voteRule(node); // recomputed after a restore: it is not in the snapshot
    if (isFailure(rule)) return this.failStep(node, rule);
    const prompt = this.stepPrompt(node, (node.step.spec as VoteStepSpec).prompt);
    if ('retryable' in prompt) return this.failStep(node, prompt);
    for (const request of planBatch(rule, run.state)) {
      const sample: PendingSample = {
        index: request.index,
        temperature: request.temperature,
        attempt: 0,
        tries: 0,
        waiting: null,
        answer: null,
      };
      run.pending.push(sample);
      const refused = this.callSample(node, sample, prompt);
      if (refused) return this.failStep(node, refused);
    }
  }

  /** The template's hash (checked to render: a placeholder without data fails the step). */
  /**
   * A model step's prompt file, checked against the step's input before any call (a missing file or
   * placeholder fails the step): its template, its hash, and its text rendered only if read.
   */
  private stepPrompt(
    node: StepNode,
    name: string,
  ): { template: string; text: () => string; hash: string } | Failure {
    const template = this.start.prompts[name];
    if (template === undefined)
      return { type: 'prompt-missing', message: `prompt ${name} was not loaded`, retryable: false };
    const refused = checkPrompt(template, node.input);
    if (refused !== null) return { type: 'prompt-render', message: refused, retryable: false };
    return {
      template,
      text: lazyText(template, node.input),
      hash: this.promptHash(name, template),
    };
  }

  private promptHash(name: string, template: string): string {
    let hash = this.promptHashes.get(name);
    if (hash === undefined) {
      hash = sha256Hex(template);
      this.promptHashes.set(name, hash);
    }
    return hash;
  }

  private callSample(
    node: StepNode,
    sample: PendingSample,
    prompt: { text: () => string; hash: string },
  ): Failure | null {
    const spec = node.step.spec as VoteStepSpec;
    node.attempt += 1;
    sample.attempt = node.attempt;
    sample.tries += 1;
    sample.waiting = 'model';
    const request: Record<string, JsonValue> = {
      input: node.input,
      ...(spec.maxTokens === undefined ? {} : { maxTokens: spec.maxTokens }),
      ...(spec.output ? { outputSchema: spec.output.schema } : {}),
      temperature: sample.temperature,
    };
    const key = sampleKey(node.path, sample.index);
    const refused = this.gate(
      node,
      key,
      node.attempt,
      spec.model ?? 'default',
      request,
      prompt.text,
    );
    if (refused) return refused;
    const decision: Decision = {
      at: this.at,
      attempt: node.attempt,
      model: spec.model ?? 'default',
      path: node.path,
      promptHash: prompt.hash,
      request,
      sample: sample.index,
      ...(spec.timeoutMs === undefined ? {} : { timeoutAt: this.at + spec.timeoutMs }),
      type: 'model-call-start',
    };
    this.waiting.set(key, { node, decision });
    this.emit(decision);
    return null;
  }

  private deliverSample(
    node: StepNode,
    index: number,
    event: Exclude<Unsequenced<WorldEvent>, { type: 'run-start' | 'run-cancel' }>,
  ): void {
    const run = node.vote;
    const sample = run?.pending.find((s) => s.index === index);
    if (!sample) return;
    switch (event.type) {
      case 'model-call-end':
        if (sample.waiting !== 'model' || event.attempt !== sample.attempt) return;
        this.releaseSample(node, sample);
        sample.answer = sampleOf(event);
        this.enqueue(() => this.addSamples(node));
        return;
      case 'model-call-error': {
        if (sample.waiting !== 'model' || event.attempt !== sample.attempt) return;
        this.releaseSample(node, sample);
        const failure = event.error;
        this.enqueue(() => this.sampleFailed(node, sample, failure));
        return;
      }
      case 'timer-fired':
        if (sample.waiting !== 'timer' || event.timer !== sample.attempt) return;
        this.releaseSample(node, sample);
        this.enqueue(() => this.retrySample(node, sample));
        return;
      default:
        return;
    }
  }

  /** Adds the answered samples at the head of the batch, in index order, and decides. */
  private addSamples(node: StepNode): void | Promise<void> {
    if (node.state !== 'running') return;
    const run = node.vote as VoteRun;
    const rule = this.voteRule(node);
    if (isFailure(rule)) return this.failStep(node, rule);
    for (let next = run.pending[0]; next?.answer; next = run.pending[0]) {
      run.pending.shift();
      let step;
      try {
        step = addSample(rule, run.state, next.answer);
      } catch (error) {
        // A user parser that returned something that is not JSON: a bug, deterministic on replay.
        return this.failStep(node, failureFrom(error, false));
      }
      run.state = step.state;
      for (const decision of step.decisions) this.emit(voteEvent(decision, this.at, node.path));
      const outcome = step.outcome;
      if (outcome.kind === 'decided')
        return this.settle(node, 'completed', outcome.winner.value, null, false);
      if (outcome.kind === 'exhausted')
        return this.failStep(node, exhaustedFailure(rule, step.state));
    }
    if (run.pending.length === 0) return this.requestBatch(node);
  }

  private sampleFailed(
    node: StepNode,
    sample: PendingSample,
    failure: Failure,
  ): void | Promise<void> {
    if (node.state !== 'running') return;
    const retry = node.step.retry;
    if (failure.retryable && sample.tries < retry.maxAttempts) {
      const key = sampleKey(node.path, sample.index);
      const delay = backoffDelay(retry.backoff, sample.tries, `${this.runId}|${key}`);
      sample.waiting = 'timer';
      const decision: Decision = {
        type: 'timer-start',
        at: this.at,
        path: node.path,
        timer: sample.attempt,
        fireAt: this.at + delay,
        purpose: 'retry',
        sample: sample.index,
      };
      this.waiting.set(key, { node, decision });
      this.emit(decision);
      return;
    }
    return this.failStep(node, {
      ...failure,
      message: `sample ${sample.index}: ${failure.message}`,
    });
  }

  private retrySample(node: StepNode, sample: PendingSample): void | Promise<void> {
    if (node.state !== 'running') return;
    const prompt = this.stepPrompt(node, (node.step.spec as VoteStepSpec).prompt);
    if ('retryable' in prompt) return this.failStep(node, prompt);
    const refused = this.callSample(node, sample, prompt);
    if (refused) return this.failStep(node, refused);
  }

  private releaseSample(node: StepNode, sample: PendingSample): void {
    sample.waiting = null;
    this.waiting.delete(sampleKey(node.path, sample.index));
  }

  /**
   * The step ended (decided, failed or cancelled): its samples still out are no longer awaited,
   * and its vote is dropped (the output holds the winner), so nothing of it stays in the state.
   */
  private endVote(node: StepNode): void {
    const run = node.vote as VoteRun;
    for (const sample of run.pending) if (sample.waiting) this.releaseSample(node, sample);
    node.vote = null;
    node.rule = null;
  }

  // ---- cascades -----------------------------------------------------------------------------
  //
  // A cascade step (cascade-step.ts) makes one model call at a time: a stage's answer, then what
  // its scorer needs (agreement samples, a judge's score). Each is an ordinary model-call-start
  // with the stage and its role, numbered by the step's attempt counter; the answer goes back to
  // the pure cascade, whose scores and accept/escalate decisions are journaled before its next call.

  private startCascading(node: StepNode): void | Promise<void> {
    const context = this.cascadeContext(node);
    if ('retryable' in context) return this.failStep(node, context);
    return this.cascadeAct(node, startCascade(context));
  }

  private cascadeContext(node: StepNode): CascadeContext | Failure {
    const spec = node.step.spec as CascadeStepSpec;
    const prompt = this.stepPrompt(node, spec.prompt);
    if ('retryable' in prompt) return prompt;
    return {
      spec,
      prompt: prompt.text(),
      input: node.input,
      functions: this.options.votes,
      at: this.at,
      path: node.path,
    };
  }

  private cascadeDone(
    node: StepNode,
    text: string | null,
    failure: Failure | null,
  ): void | Promise<void> {
    if (node.state !== 'running' || !node.cascade) return;
    const context = this.cascadeContext(node);
    if ('retryable' in context) return this.failStep(node, context);
    return this.cascadeAct(
      node,
      text !== null
        ? cascadeAnswered(context, node.cascade, text)
        : cascadeFailed(context, node.cascade, failure as Failure),
    );
  }

  private cascadeAct(node: StepNode, step: CascadeStep): void | Promise<void> {
    node.cascade = step.run;
    for (const decision of step.decisions) this.emit(decision);
    const action = step.action;
    if (action.kind === 'accept') return this.settle(node, 'completed', action.value, null, false);
    if (action.kind === 'fail') return this.failStep(node, action.failure);
    const spec = node.step.spec as CascadeStepSpec;
    node.attempt += 1;
    // An answer or a check sample journals the template's variables (the driver renders it, as
    // for an agent step); the judge's question is built in code and journaled as it is.
    const judge = action.role === 'judge';
    const request: Record<string, JsonValue> = judge
      ? { prompt: action.prompt, temperature: action.temperature }
      : { input: node.input, temperature: action.temperature };
    if (action.outputSchema !== undefined) request.outputSchema = action.outputSchema;
    if (action.maxTokens !== undefined) request.maxTokens = action.maxTokens;
    const refused = this.gate(node, node.path, node.attempt, action.model, request, action.prompt);
    if (refused) return this.failStep(node, refused);
    const promptHash = judge
      ? sha256Hex(action.prompt)
      : this.promptHash(spec.prompt, this.start.prompts[spec.prompt] ?? '');
    this.wait(node, 'model', {
      type: 'model-call-start',
      at: this.at,
      path: node.path,
      attempt: node.attempt,
      model: action.model,
      promptHash,
      request,
      ...(spec.timeoutMs === undefined ? {} : { timeoutAt: this.at + spec.timeoutMs }),
      stage: action.stage,
      role: action.role,
    });
  }

  /** An agent step's output check: its own schema, else its prompt file's (front matter). */
  private agentOutput(node: StepNode): AgentStepSpec {
    const spec = node.step.spec as AgentStepSpec;
    if (spec.output) return spec;
    const schema = promptHints(this.start.prompts[spec.prompt] ?? '')?.output;
    return schema ? { ...spec, output: schema } : spec;
  }

  /**
   * The model of an agent step that names none: 'default' without routing; with it, the routing
   * decision (routing/models.ts), journaled with the signals that fired.
   */
  private routeAgent(node: StepNode, spec: AgentStepSpec, text: () => string): string | Failure {
    const routing = this.plan.spec.routing;
    if (routing === undefined) return 'default';
    const prompt = text();
    const name = routing.classifier;
    const classify = name === undefined ? undefined : this.options.votes?.classifier?.(name);
    if (name !== undefined && classify === undefined)
      return {
        type: 'routing',
        message: `no domain classifier named ${JSON.stringify(name)} is registered`,
        retryable: false,
      };
    let route;
    try {
      route = routeModel(routing, {
        prompt,
        input: node.input,
        tags: spec.tags ?? [],
        costTier: spec.costTier,
        classify,
      });
    } catch (error) {
      return {
        type: 'routing',
        message: `model routing failed: ${(error as Error).message}`,
        retryable: false,
      };
    }
    this.emit({
      type: 'model-route',
      at: this.at,
      path: node.path,
      decision: route.decision,
      model: route.model,
      signals: route.signals,
      ...(route.domain === undefined ? {} : { domain: route.domain }),
    });
    return route.model;
  }

  // ---- consortia ----------------------------------------------------------------------------
  //
  // A consortium step (consortium-step.ts) asks every drafter at once — each call carries its
  // draft index as `sample`, waiting under `<path>#s<index>` like a vote's samples — then, when
  // all have answered or failed, asks the consolidating model under the step's own path.

  private startDrafting(node: StepNode): void | Promise<void> {
    const spec = node.step.spec as ConsortiumStepSpec;
    const prompt = this.stepPrompt(node, spec.prompt);
    if ('retryable' in prompt) return this.failStep(node, prompt);
    const run: ConsortiumRun = {
      drafts: spec.drafters.map((model) => ({
        model,
        attempt: 0,
        waiting: null,
        text: null,
        error: null,
      })),
      merging: false,
    };
    node.consortium = run;
    for (const [index, draft] of run.drafts.entries()) {
      node.attempt += 1;
      draft.attempt = node.attempt;
      const request: Record<string, JsonValue> = {
        input: node.input,
        temperature: spec.temperature,
      };
      if (spec.output) request.outputSchema = spec.output.schema;
      if (spec.maxTokens !== undefined) request.maxTokens = spec.maxTokens;
      const key = sampleKey(node.path, index);
      const refused = this.gate(node, key, node.attempt, draft.model, request, prompt.text);
      if (refused) return this.failStep(node, refused);
      draft.waiting = 'model';
      const decision: Decision = {
        type: 'model-call-start',
        at: this.at,
        path: node.path,
        attempt: node.attempt,
        sample: index,
        model: draft.model,
        promptHash: prompt.hash,
        request,
        ...(spec.timeoutMs === undefined ? {} : { timeoutAt: this.at + spec.timeoutMs }),
        role: 'draft',
      };
      this.waiting.set(key, { node, decision });
      this.emit(decision);
    }
  }

  private deliverDraft(
    node: StepNode,
    index: number,
    event: Exclude<Unsequenced<WorldEvent>, { type: 'run-start' | 'run-cancel' }>,
  ): void {
    const draft: Draft | undefined = node.consortium?.drafts[index];
    if (draft?.waiting !== 'model' || !('attempt' in event) || event.attempt !== draft.attempt)
      return;
    if (event.type === 'model-call-end') draft.text = event.text;
    else if (event.type === 'model-call-error') draft.error = event.error.message;
    else return;
    draft.waiting = null;
    this.waiting.delete(sampleKey(node.path, index));
    this.enqueue(() => this.merge(node));
  }

  private merge(node: StepNode): void | Promise<void> {
    const run = node.consortium;
    if (node.state !== 'running' || !run || run.merging || !allSettled(run)) return;
    const spec = node.step.spec as ConsortiumStepSpec;
    const arrived = draftsArrived(run);
    if (arrived < spec.minDrafts)
      return this.failStep(node, {
        type: 'consortium-drafts',
        code: 'CONSORTIUM_TOO_FEW_DRAFTS',
        message: `${arrived} of ${run.drafts.length} drafts arrived, fewer than minDrafts (${spec.minDrafts}): ${run.drafts
          .filter((d) => d.error !== null)
          .map((d) => `${d.model}: ${d.error ?? ''}`)
          .join('; ')}`,
        retryable: false,
      });
    const prompt = this.stepPrompt(node, spec.prompt);
    if ('retryable' in prompt) return this.failStep(node, prompt);
    run.merging = true;
    const text = mergePrompt(prompt.text(), run.drafts, spec.output !== undefined);
    const request: Record<string, JsonValue> = { prompt: text, temperature: 0 };
    if (spec.output) request.outputSchema = spec.output.schema;
    if (spec.maxTokens !== undefined) request.maxTokens = spec.maxTokens;
    node.attempt += 1;
    const refused = this.gate(node, node.path, node.attempt, spec.merge.model, request, text);
    if (refused) return this.failStep(node, refused);
    this.wait(node, 'model', {
      type: 'model-call-start',
      at: this.at,
      path: node.path,
      attempt: node.attempt,
      model: spec.merge.model,
      promptHash: sha256Hex(text),
      request,
      ...(spec.timeoutMs === undefined ? {} : { timeoutAt: this.at + spec.timeoutMs }),
      role: 'merge',
    });
  }

  /** The step ended: drafts still out are no longer awaited, and its state is dropped. */
  private endConsortium(node: StepNode): void {
    const run = node.consortium as ConsortiumRun;
    run.drafts.forEach((draft, index) => {
      if (draft.waiting) this.waiting.delete(sampleKey(node.path, index));
      draft.waiting = null;
    });
    node.consortium = null;
  }

  // ---- budgets ------------------------------------------------------------------------------
  //
  // Every model call the engine decides goes through gate() before its model-call-start, and its
  // answer through charged() before anything else reads it (budget.ts has the rules). Spend is
  // summed from journaled events only, so replay re-derives every refusal.

  /** The budgets that apply to a call of `node`: the run's and the step's own. */
  private scopes(node: StepNode, ledger: Ledger, except?: string): Scope[] {
    const scopes: Scope[] = [];
    const runLimit = this.plan.spec.budget;
    const spec = node.step.spec;
    const stepLimit = 'budget' in spec ? spec.budget : undefined;
    if (!runLimit && !stepLimit) return scopes;
    let runUsed = ledger.run;
    let stepUsed = ledger.steps[node.path] ?? { usd: 0, tokens: 0 };
    for (const [key, call] of Object.entries(ledger.inflight)) {
      if (key === except) continue;
      runUsed = addSpend(runUsed, call.worst);
      if (call.path === node.path) stepUsed = addSpend(stepUsed, call.worst);
    }
    if (runLimit) scopes.push({ budget: 'run', limit: runLimit, used: runUsed });
    if (stepLimit) scopes.push({ budget: 'step', limit: stepLimit, used: stepUsed });
    return scopes;
  }

  /**
   * The check before a call: null to send it (its worst case reserved; `request.maxTokens` capped
   * to what the budget affords when the step set none), or the step's failure after a journaled
   * budget-exceeded escalation.
   */
  private gate(
    node: StepNode,
    key: string,
    attempt: number,
    model: string,
    request: Record<string, JsonValue>,
    /** The rendered prompt (the journaled request may hold only its variables), made if needed. */
    prompt: string | (() => string),
  ): Failure | null {
    const spec = node.step.spec;
    if (!this.plan.spec.budget && !('budget' in spec && spec.budget !== undefined)) return null;
    const ledger = (this.ledger ??= emptyLedger());
    const scopes = this.scopes(node, ledger, key);
    const max = typeof request.maxTokens === 'number' ? request.maxTokens : undefined;
    const price = this.start.models?.[model]?.price;
    const result = gateCall(scopes, price, typeof prompt === 'string' ? prompt : prompt(), max);
    if (!result.ok) {
      this.emit(escalationEvent(result.refusal, this.at, node.path, model, 'before-call'));
      return budgetFailure(result.refusal, model, 'before-call');
    }
    if (result.maxTokens !== undefined) request.maxTokens = result.maxTokens;
    ledger.inflight[key] = { path: node.path, attempt, worst: result.worst };
    return null;
  }

  /**
   * Charges a call's answer (or failure) to the run and its step. True when its actual usage took
   * a budget past its limit: the escalation is journaled and the step fails, so the answer is not
   * used.
   */
  private charged(
    node: StepNode,
    sample: number | undefined,
    event: Extract<Unsequenced<WorldEvent>, { type: 'model-call-end' | 'model-call-error' }>,
  ): boolean {
    const ledger = this.ledger as Ledger;
    const key = sample === undefined ? event.path : sampleKey(event.path, sample);
    const call = ledger.inflight[key];
    if (call?.attempt !== event.attempt) return false;
    const scopes = this.scopes(node, ledger, key);
    delete ledger.inflight[key];
    const model = this.modelOf(key);
    let spend;
    if (event.type === 'model-call-end')
      spend = actualSpend(event, this.start.models?.[model]?.price);
    // A call that timed out may still be billed: it is charged at its worst case.
    else if (event.error.type === 'timeout') spend = call.worst;
    else return false;
    const before = scopes.map((scope) => ({
      ...scope,
      before:
        scope.budget === 'run' ? ledger.run : (ledger.steps[node.path] ?? { usd: 0, tokens: 0 }),
    }));
    ledger.run = addSpend(ledger.run, spend);
    ledger.steps[node.path] = addSpend(ledger.steps[node.path] ?? { usd: 0, tokens: 0 }, spend);
    if (event.type !== 'model-call-end') return false;
    const over = overrun(before, spend);
    if (!over) return false;
    this.emit(escalationEvent(over, this.at, node.path, model, 'after-call'));
    const failure = budgetFailure(over, model, 'after-call');
    if (sample === undefined) this.release(node);
    else if (node.consortium) {
      const draft = node.consortium.drafts[sample];
      if (draft) draft.waiting = null;
      this.waiting.delete(key);
    } else {
      const pending = node.vote?.pending.find((s) => s.index === sample);
      if (pending) this.releaseSample(node, pending);
    }
    this.enqueue(() => this.failStep(node, failure));
    return true;
  }

  /** The model a waiting call was made to, from its model-call-start. */
  private modelOf(key: string): string {
    const decision = this.waiting.get(key)?.decision;
    return decision?.type === 'model-call-start' ? decision.model : 'default';
  }

  /** A step ended: its calls still in flight are no longer reserved, its own spend is forgotten. */
  private closeSpend(path: string): void {
    const ledger = this.ledger as Ledger;
    for (const [key, call] of Object.entries(ledger.inflight))
      if (call.path === path) delete ledger.inflight[key];
    delete ledger.steps[path];
  }

  // ---- settling -----------------------------------------------------------------------------

  /** The step failed for good (retries exhausted or not retryable): apply its onError policy. */
  private failStep(node: StepNode, failure: Failure): void | Promise<void> {
    if (node.state !== 'running') return;
    const policy = node.step.spec.onError;
    if (policy === 'continue') return this.settle(node, 'failed', null, failure, false);
    if (policy === 'fail' || !node.step.fallback)
      return this.settle(node, 'failed', null, failure, true);
    node.originalError = failure;
    const fallback = new StepNode(
      node.frame,
      node.step.fallback,
      node.frame.prefix + node.step.fallback.id,
      node,
    );
    node.fallback = fallback;
    return this.begin(fallback);
  }

  private settle(
    node: StepNode,
    state: 'completed' | 'failed' | 'skipped',
    output: JsonValue,
    error: Failure | null,
    fatal: boolean,
  ): void | Promise<void> {
    if (node.state !== 'running') return;
    node.state = state;
    node.output = output;
    node.error = error;
    if (node.vote) this.endVote(node);
    node.cascade = null;
    if (node.consortium) this.endConsortium(node);
    if (this.ledger) this.closeSpend(node.path);
    // Nothing reads a settled step's input or last call again (later steps see only its output,
    // error and status): dropping them keeps long runs' state and checkpoints small.
    node.input = null;
    node.lastCall = null;
    this.emit({
      at: this.at,
      ...(error ? { error } : {}),
      ...(state === 'completed' || state === 'skipped' ? { output } : {}),
      path: node.path,
      status: state,
      type: 'step-end',
    });
    if (node.replaces) return this.fallbackSettled(node.replaces, node, fatal);
    return this.nodeSettled(node, fatal);
  }

  private fallbackSettled(
    original: StepNode,
    fallback: StepNode,
    fatal: boolean,
  ): void | Promise<void> {
    const error = original.originalError as Failure;
    if (fallback.state === 'completed')
      return this.settle(original, 'completed', fallback.output, error, false);
    return this.settle(original, 'failed', null, fallback.error ?? error, fatal);
  }

  private nodeSettled(node: StepNode, fatal: boolean): void | Promise<void> {
    const frame = node.frame;
    if (frame.state !== 'running') return;
    if (fatal) return this.frameFailed(frame, node.error as Failure);
    frame.settled += 1;
    for (const dependent of node.step.dependents) {
      const left = (frame.waitingDeps[dependent] as number) - 1;
      frame.waitingDeps[dependent] = left;
      if (left === 0) this.enqueue(() => this.startNode(frame, dependent));
    }
    if (frame.settled === frame.block.steps.length) return this.frameDone(frame);
  }

  // ---- containers ---------------------------------------------------------------------------

  private openFrame(owner: StepNode, block: PlannedBlock, slot: string, vars: ScopeVars): Frame {
    // Inner scope variables shadow outer ones (a map inside a loop sees both item and iteration).
    const frame = new Frame(
      block,
      `${owner.path}/${slot}/`,
      owner.frame,
      owner,
      { ...owner.frame.vars, ...vars },
      slot,
      this.start.input,
    );
    owner.addChild(frame);
    this.enqueue(() => this.startFrame(frame));
    return frame;
  }

  private async startMap(node: StepNode): Promise<void> {
    let items: JsonValue;
    try {
      items = await this.resolve(node.frame.env, node.step.items as CompiledTemplate);
    } catch (error) {
      return this.failStep(node, inputFailure(error));
    }
    if (!Array.isArray(items)) {
      return this.failStep(node, {
        type: 'invalid-items',
        message: `map items must be a list, got ${items === null ? 'null' : typeof items}`,
        retryable: false,
      });
    }
    node.items = items;
    node.results = new Array<JsonValue>(items.length).fill(null);
    if (items.length === 0) return this.settle(node, 'completed', [], null, false);
    this.fillMap(node);
  }

  private fillMap(node: StepNode): void {
    const spec = node.step.spec;
    const concurrency = spec.kind === 'map' ? spec.concurrency : 1;
    while (node.children.size < concurrency && node.nextItem < node.items.length) {
      const index = node.nextItem++;
      this.openFrame(node, node.step.body as PlannedBlock, String(index), {
        item: node.items[index],
        index,
      });
    }
  }

  private startIteration(node: StepNode, iteration: number, previous: JsonValue): void {
    this.openFrame(node, node.step.body as PlannedBlock, String(iteration), {
      iteration,
      previous,
    });
  }

  private async startBranch(node: StepNode): Promise<void> {
    const cases = node.step.cases ?? [];
    for (const [i, branchCase] of cases.entries()) {
      let taken: JsonValue;
      try {
        taken = await evaluateExpression(branchCase.when, node.frame.env);
      } catch (error) {
        return this.failStep(node, inputFailure(error));
      }
      if (taken === true) {
        this.emit({ type: 'branch-decision', at: this.at, path: node.path, taken: i });
        this.openFrame(node, branchCase.block, String(i), {});
        return;
      }
    }
    if (node.step.defaultBlock) {
      this.emit({ type: 'branch-decision', at: this.at, path: node.path, taken: 'default' });
      this.openFrame(node, node.step.defaultBlock, 'default', {});
      return;
    }
    this.emit({ type: 'branch-decision', at: this.at, path: node.path, taken: null });
    return this.settle(node, 'skipped', null, null, false);
  }

  private startParallel(node: StepNode): void {
    node.branchResults = {};
    for (const [name, block] of node.step.branches ?? []) this.openFrame(node, block, name, {});
  }

  private async childFrameDone(node: StepNode, frame: Frame, output: JsonValue): Promise<void> {
    if (node.state !== 'running') return;
    const spec = node.step.spec;
    switch (spec.kind) {
      case 'map':
        node.results[frame.vars.index as number] = output;
        node.doneItems += 1;
        if (node.doneItems === node.items.length)
          return this.settle(node, 'completed', node.results, null, false);
        this.fillMap(node);
        return;
      case 'loop': {
        const iteration = frame.vars.iteration as number;
        if (node.step.until) {
          let stop: JsonValue;
          try {
            stop = await evaluateExpression(node.step.until, { ...frame.env, previous: output });
          } catch (error) {
            return this.failStep(node, inputFailure(error));
          }
          if (stop === true) return this.settle(node, 'completed', output, null, false);
          if (iteration + 1 >= spec.maxIterations) {
            return this.failStep(node, {
              type: 'loop-limit',
              message: `loop reached maxIterations (${spec.maxIterations}) before its until condition held`,
              retryable: false,
            });
          }
        } else if (iteration + 1 >= spec.maxIterations) {
          return this.settle(node, 'completed', output, null, false);
        }
        this.startIteration(node, iteration + 1, output);
        return;
      }
      case 'branch':
        return this.settle(node, 'completed', output, null, false);
      case 'parallel': {
        const results = node.branchResults ?? {};
        results[frame.slot] = output;
        if (node.children.size === 0) {
          const ordered: Record<string, JsonValue> = {};
          for (const [name] of node.step.branches ?? []) ordered[name] = results[name] ?? null;
          return this.settle(node, 'completed', ordered, null, false);
        }
        return;
      }
      default:
        return;
    }
  }

  // ---- cancellation and the end -------------------------------------------------------------

  private cancelChildren(node: StepNode): void {
    for (const child of node.children) {
      child.state = 'cancelled';
      this.cancelNodes(child);
    }
    node.clearChildren();
  }

  private cancelNodes(frame: Frame): void {
    for (const node of frame.nodes) if (node?.state === 'running') this.cancelNode(node);
  }

  private cancelNode(node: StepNode): void {
    if (node.fallback?.state === 'running') this.cancelNode(node.fallback);
    if (node.waiting) this.release(node);
    if (node.vote) this.endVote(node);
    node.cascade = null;
    if (node.consortium) this.endConsortium(node);
    if (this.ledger) this.closeSpend(node.path);
    this.cancelChildren(node);
    node.state = 'cancelled';
    this.emit({ type: 'step-end', at: this.at, path: node.path, status: 'cancelled' });
  }

  private cancelRun(reason: string): void {
    this.root.state = 'cancelled';
    this.cancelNodes(this.root);
    this.endRun('cancelled', undefined, { type: 'cancelled', message: reason, retryable: false });
  }

  private endRun(
    status: 'completed' | 'failed' | 'cancelled',
    output: JsonValue | undefined,
    error: Failure | undefined,
  ): void {
    if (this.ended) return;
    for (const { node } of [...this.waiting.values()]) this.cancelNode(node);
    const end: Decision = {
      type: 'run-end',
      at: this.at,
      status,
      ...(output === undefined ? {} : { output }),
      ...(error === undefined ? {} : { error }),
    };
    this.ended = end;
    this.queue.length = 0;
    this.emit(end);
  }
}

/**
 * 2: nodes leave out fields at their new-node value, and settled nodes drop their input and last
 * call. A checkpoint of another version is not restored: resume replays the journal instead.
 */
export const SNAPSHOT_VERSION = 2;

/** What the engine is given beside the journal: code a spec names that lives outside it. */
export interface EngineOptions {
  /** The registered vote parsers and checks that vote steps name (pure functions). */
  votes?: VoteFunctionLookup;
}

export interface EngineSnapshot {
  v: number;
  at: number;
  approvals: number;
  unknowns: number;
  ended: Decision | null;
  root: FrameSnapshot;
  /**
   * Outstanding decisions by step path (`<path>#s<sample>` for a vote's samples), in the order they
   * were made (resume re-arms in it).
   */
  waiting: Array<[string, Decision]>;
  /** Model spend, once a budget applied to a call (absent otherwise). */
  budget?: Ledger;
}

interface FrameSnapshot {
  slot: string;
  vars: ScopeVars;
  state: Frame['state'];
  settled: number;
  deps: number[];
  nodes: Array<NodeSnapshot | null>;
}

/**
 * A step's state in a checkpoint. Only what differs from a new node is written (a settled leaf is
 * its state, attempt and output), keys in canonical order: a 1,000-step chain's checkpoint was
 * 215 KB of mostly repeated inputs and nulls, and writing it cost more than the steps around it.
 */
interface NodeSnapshot {
  state: NodeState;
  output?: JsonValue;
  error?: Failure;
  attempt?: number;
  waiting?: Waiting;
  input?: JsonValue;
  lastCall?: Unsequenced<ToolCallStartEvent>;
  map?: { items: JsonValue[]; results: JsonValue[]; nextItem: number; doneItems: number };
  branchResults?: Record<string, JsonValue>;
  originalError?: Failure;
  fallback?: NodeSnapshot;
  children?: FrameSnapshot[];
  /** Only on route steps that have started. */
  route?: RouteRun;
  /** Only on vote steps that have started. */
  vote?: VoteRun;
  /** Only on cascade steps that have started. */
  cascade?: CascadeRun;
  /** Only on consortium steps that have started. */
  consortium?: ConsortiumRun;
}

/** A snapshot that does not fit the plan it is restored against. */
export class SnapshotError extends Error {
  constructor(detail: string) {
    super(`engine snapshot does not fit the workflow: ${detail}`);
    this.name = 'SnapshotError';
  }
}

function snapshotFrame(frame: Frame): FrameSnapshot {
  // Keys in canonical order, so the checkpoint writer serialises it as built (core/json.ts).
  return {
    deps: frame.waitingDeps.slice(),
    // Array.from, not map: steps not started yet are holes, which map would keep.
    nodes: Array.from(frame.nodes, (node) => (node ? snapshotNode(node) : null)),
    settled: frame.settled,
    slot: frame.slot,
    state: frame.state,
    vars: frame.vars,
  };
}

function snapshotNode(node: StepNode): NodeSnapshot {
  // Keys added in canonical order; a field at its new-node value is left out (restoreNode).
  const snap: Partial<NodeSnapshot> = {};
  if (node.attempt !== 0) snap.attempt = node.attempt;
  if (node.branchResults !== null) snap.branchResults = node.branchResults;
  if (node.cascade) snap.cascade = node.cascade;
  if (node.children.size > 0) snap.children = [...node.children].map(snapshotFrame);
  if (node.consortium) snap.consortium = node.consortium;
  if (node.error !== null) snap.error = node.error;
  if (node.fallback) snap.fallback = snapshotNode(node.fallback);
  if (node.input !== null) snap.input = node.input;
  if (node.lastCall !== null) snap.lastCall = node.lastCall;
  if (node.items !== NONE)
    snap.map = {
      doneItems: node.doneItems,
      items: node.items as JsonValue[],
      nextItem: node.nextItem,
      results: node.results,
    };
  if (node.originalError !== null) snap.originalError = node.originalError;
  if (node.output !== null) snap.output = node.output;
  if (node.route) snap.route = node.route;
  snap.state = node.state;
  if (node.vote) snap.vote = node.vote;
  if (node.waiting !== null) snap.waiting = node.waiting;
  return snap as NodeSnapshot;
}

/** The block a container step runs for a child slot (map item, loop iteration, case, branch). */
function childBlock(step: PlannedStep, slot: string): PlannedBlock | undefined {
  switch (step.spec.kind) {
    case 'map':
    case 'loop':
      return step.body;
    case 'branch':
      return slot === 'default' ? step.defaultBlock : step.cases?.[Number(slot)]?.block;
    case 'parallel':
      return step.branches?.find(([name]) => name === slot)?.[1];
    default:
      return undefined;
  }
}

function isChild(decision: Decision, childRunId: string): boolean {
  return decision.type === 'child-run-start' && decision.childRunId === childRunId;
}

export function idempotencyKey(runId: string, path: string, attempt: number): string {
  return sha256Hex(`${runId}\u0000${path}\u0000${attempt}`).slice(0, 32);
}

/** The template rendered with `input` on first call (checkPrompt has accepted the pair). */
function lazyText(template: string, input: JsonValue): () => string {
  let text: string | undefined;
  return () => {
    if (text === undefined) {
      const rendered = renderPrompt(template, input);
      text = rendered.ok ? rendered.text : '';
    }
    return text;
  };
}

/** A prompt file's front matter, or null (none, or unusable: rendering reports that). */
function promptHints(file: string): PromptFrontMatter | null {
  const parsed = parsePromptFile(file);
  return parsed.ok ? parsed.frontMatter : null;
}

/** A router decision as a journal event of the route step at `path`. */
function routeEvent(decision: RouteDecision, at: number, path: string): Decision {
  switch (decision.type) {
    case 'route-consult':
      return { type: decision.type, at, path, reason: decision.reason, down: [...decision.down] };
    case 'route-plan':
      // `path` is the step's; the planned path is `nodes`.
      return {
        type: decision.type,
        at,
        path,
        from: decision.from,
        nodes: [...decision.path],
        cost: decision.cost,
      };
    case 'route-call':
      return {
        type: decision.type,
        at,
        path,
        node: decision.node,
        tool: decision.tool,
        monitor: decision.monitor,
        priority: decision.priority,
      };
    case 'route-reroute':
      return {
        type: decision.type,
        at,
        path,
        node: decision.node,
        tool: decision.tool,
        cause: decision.cause,
        message: decision.message,
      };
    case 'route-escalate':
      // The router's `at` (the node reached) is `from` here: `at` is the event's time.
      return {
        type: decision.type,
        at,
        path,
        reason: decision.reason,
        from: decision.at,
        completed: [...decision.completed],
        failed: decision.failed,
      };
    case 'route-end':
      return { type: decision.type, at, path, outcome: outcomeRecord(decision.outcome) };
  }
}

function outcomeRecord(outcome: RouteOutcome): RouteOutcomeRecord {
  switch (outcome.status) {
    case 'reached':
      return { status: 'reached', path: [...outcome.path] };
    case 'demoted':
      return { ...outcome, completed: [...outcome.completed] };
    case 'escalated':
      return { ...outcome, completed: [...outcome.completed] };
  }
}

/**
 * A route's request as the monitors read it: `{ text?, amount?, riskFlags? }`, or null for none.
 * Returns a message when the value does not fit.
 */
function routeRequest(value: JsonValue): RouteRequest | string {
  if (value === null) return {};
  const bad = (why: string): string =>
    `a route's request must be { text?: string, amount?: number, riskFlags?: string[] }: ${why}`;
  if (typeof value !== 'object' || Array.isArray(value))
    return bad(`got ${Array.isArray(value) ? 'a list' : typeof value}`);
  const request: { text?: string; amount?: number; riskFlags?: string[] } = {};
  for (const [key, field] of Object.entries(value)) {
    if (field === null) continue;
    if (key === 'text' && typeof field === 'string') request.text = field;
    else if (key === 'amount' && typeof field === 'number') request.amount = field;
    else if (
      key === 'riskFlags' &&
      Array.isArray(field) &&
      field.every((f) => typeof f === 'string')
    )
      request.riskFlags = field;
    else return bad(`"${key}" is ${JSON.stringify(field)}`);
  }
  return request;
}

function approvalOutput(event: {
  approved: boolean;
  value?: JsonValue;
  comment?: string;
}): JsonValue {
  return {
    approved: event.approved,
    value: event.value ?? null,
    comment: event.comment ?? null,
  };
}

function inputFailure(error: unknown): Failure {
  if (error instanceof TemplateError)
    return { type: 'input-error', message: `${error.message} (at ${error.at})`, retryable: false };
  return {
    type: 'input-error',
    message: error instanceof Error ? error.message : String(error),
    retryable: false,
  };
}
