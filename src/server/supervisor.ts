import { SwitchyardError } from '../core/errors.js';
import type { JournalEvent } from '../core/events.js';
import type { JsonValue } from '../core/json.js';
import type { RunStatus } from '../core/ports.js';
import type { Logger } from '../observability/logger.js';
import type { RunOutcome, RunnableWorkflow, Runtime } from '../runtime/runtime.js';
import { ServerBusyRunError, ServerError, statusFor } from './errors.js';
import type { EventHub } from './hub.js';

/** What an operation answers once its first event is durable (the drive goes on in background). */
export interface Accepted {
  runId: string;
  status: RunStatus;
  output?: JsonValue;
  error?: { type: string; message: string };
}

/** How many times a cancel is retried when the run's own driver appended first. */
const CANCEL_ATTEMPTS = 20;

/**
 * Drives runs for the server. Runtime operations drive a run until it ends or pauses, which may take
 * minutes; an HTTP request must not wait for that. So each operation is started here, answered as
 * soon as its first journal event is durable (or it failed before writing anything), and the drive
 * continues in the background, tracked so that a decision cannot race the drive of the same run and
 * shutdown can wait for drives.
 */
export class RunSupervisor {
  /** Top-level runs this server is driving now, with their drive. */
  private readonly driving = new Map<string, Promise<unknown>>();
  private closing = false;

  constructor(
    private readonly runtime: Runtime,
    private readonly hub: EventHub,
    private readonly logger: Logger,
  ) {}

  /** Starts a run; resolves once its run-start is durable. */
  async submit(workflow: RunnableWorkflow, input: unknown): Promise<Accepted> {
    this.assertOpen();
    let started: ((runId: string) => void) | undefined;
    const runIdKnown = new Promise<string>((resolve) => (started = resolve));
    const drive = this.runtime.start(workflow, input, { onStarted: (runId) => started?.(runId) });
    // The run id is known before anything is written; listen from then on for its run-start.
    const accepted = Promise.race([
      runIdKnown.then((runId) => {
        this.track(runId, drive);
        return this.journaled(runId, (event) => event.type === 'run-start', drive);
      }),
      drive.then(accept),
    ]);
    return accepted;
  }

  /** Delivers an approval decision; resolves once it is journaled. */
  async approve(
    runId: string,
    step: string,
    decision: { approved: boolean; value?: JsonValue; comment?: string },
  ): Promise<Accepted> {
    return this.decide(runId, step, 'approval-decision', () =>
      this.runtime.approve(runId, step, decision),
    );
  }

  /** Settles a call whose outcome is unknown; resolves once the decision is journaled. */
  async resolve(
    runId: string,
    step: string,
    action: 'retry' | 'complete' | 'fail',
    value: JsonValue | undefined,
  ): Promise<Accepted> {
    return this.decide(runId, step, 'outcome-decision', () =>
      this.runtime.resolveOutcome(runId, step, action, value),
    );
  }

  /**
   * Cancels a run. A run this server is driving has a live driver the Runtime does not let us reach,
   * so the cancel is a second writer: whichever appends first wins, the other gets JOURNAL_CONFLICT.
   * When the live driver wins, the cancel is retried on the journal as it now stands; when the cancel
   * wins, the live driver stops with JOURNAL_CONFLICT (logged as expected).
   */
  async cancel(runId: string, reason: string): Promise<Accepted> {
    this.assertOpen();
    const top = await this.topOf(runId);
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.runtime.cancel(runId, reason);
        return accept(outcome);
      } catch (error) {
        const conflict = error instanceof SwitchyardError && error.code === 'JOURNAL_CONFLICT';
        if (!conflict || attempt >= CANCEL_ATTEMPTS || !this.driving.has(top)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
      }
    }
  }

  /**
   * Resumes the top-level runs the store records as running: they were in flight when the previous
   * server stopped. Each is resumed in the background, with the same guarantees as `switchyard
   * resume` (safe tools called again with the same key, unsafe ones stopped as outcome-unknown).
   */
  async resumeInFlight(): Promise<string[]> {
    const listed = await this.runtime.listRuns({ status: 'running', parentRunId: null });
    // The server listens before this runs, so a run submitted meanwhile is running too: it has a
    // driver here already, and a second one would re-arm its call in flight as interrupted.
    const orphans = listed.filter((run) => !this.driving.has(run.runId));
    for (const run of orphans) {
      this.logger.info({ runId: run.runId, workflow: run.workflow }, 'resuming run left running');
      this.track(run.runId, this.runtime.resume(run.runId));
    }
    return orphans.map((run) => run.runId);
  }

  /** True while this server drives the run (or the run tree it belongs to). */
  isDriving(runId: string): boolean {
    return this.driving.has(runId);
  }

  /** Resolves when this server's drive of the run (if any) has settled. */
  async idleRun(runId: string): Promise<void> {
    await this.driving.get(runId);
  }

  get activeDrives(): number {
    return this.driving.size;
  }

  /** Resolves when no drive is in progress (tests), or after `timeoutMs` (shutdown). */
  async idle(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.driving.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.driving.values()]),
        new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, 2_147_483_647)))),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  /** Refuses new operations from now on. */
  close(): void {
    this.closing = true;
  }

  private async decide(
    runId: string,
    step: string,
    type: 'approval-decision' | 'outcome-decision',
    operation: () => Promise<RunOutcome>,
  ): Promise<Accepted> {
    this.assertOpen();
    const top = await this.topOf(runId);
    if (this.driving.has(top)) throw new ServerBusyRunError(top);
    // Called and tracked in the same synchronous stretch as the check above: a second decision
    // arriving meanwhile finds the run claimed.
    const drive = operation();
    this.track(top, drive);
    const decided = this.journaled(
      null,
      (event) => event.type === type && 'path' in event && event.path === step,
      drive,
    );
    return decided.then((accepted) => ({ ...accepted, runId }));
  }

  /**
   * Resolves when an event matching `match` (of `runId`, or of any run when null) is journaled, with
   * the run's status then; or when `drive` settles first (it ended, or failed before writing).
   */
  private journaled(
    runId: string | null,
    match: (event: JournalEvent) => boolean,
    drive: Promise<RunOutcome>,
  ): Promise<Accepted> {
    return new Promise<Accepted>((resolve, reject) => {
      let done = false;
      const listener = (id: string, events: readonly JournalEvent[]): void => {
        if (done || (runId !== null && id !== runId) || !events.some(match)) return;
        finish();
        resolve({ runId: id, status: 'running' });
      };
      const unsubscribe =
        runId === null ? this.hub.subscribeAll(listener) : this.hub.subscribe(runId, listener);
      const finish = (): void => {
        done = true;
        unsubscribe();
      };
      drive.then(
        (outcome) => {
          if (done) return;
          finish();
          resolve(accept(outcome));
        },
        (error: unknown) => {
          if (done) return;
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Keeps a drive reachable until it settles, and logs how it ended. */
  private track(runId: string, drive: Promise<RunOutcome>): void {
    const tracked = drive.then(
      (outcome) => {
        this.logger.debug({ runId, status: outcome.status }, 'drive ended');
      },
      (error: unknown) => {
        if (error instanceof SwitchyardError && error.code === 'JOURNAL_CONFLICT') {
          // Expected after a cancel overtook this drive (see cancel()).
          this.logger.info(
            { runId, code: error.code },
            'drive stopped: another writer extended the run',
          );
        } else if (error instanceof SwitchyardError && statusFor(error) < 500) {
          // Refused before anything was written (NOT_PENDING, RUN_ENDED…): the caller was told.
          this.logger.debug({ runId, code: error.code }, 'operation refused');
        } else {
          this.logger.error(
            {
              runId,
              ...(error instanceof SwitchyardError
                ? { code: error.code, message: error.message }
                : { err: error }),
            },
            'drive failed',
          );
        }
      },
    );
    const entry = tracked.finally(() => {
      if (this.driving.get(runId) === entry) this.driving.delete(runId);
    });
    this.driving.set(runId, entry);
  }

  private async topOf(runId: string): Promise<string> {
    let run = await this.runtime.getRun(runId);
    while (run.parentRunId !== null) run = await this.runtime.getRun(run.parentRunId);
    return run.runId;
  }

  private assertOpen(): void {
    if (this.closing) {
      throw new ServerError(503, 'SERVER_CLOSING', 'the server is shutting down', {
        hint: 'retry against the restarted server',
      });
    }
  }
}

function accept(outcome: RunOutcome): Accepted {
  return {
    runId: outcome.runId,
    status: outcome.status,
    ...(outcome.output === undefined ? {} : { output: outcome.output }),
    ...(outcome.error
      ? { error: { type: outcome.error.type, message: outcome.error.message } }
      : {}),
  };
}
