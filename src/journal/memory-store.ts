import type {
  AppendRequest,
  JournalStore,
  RunFilter,
  RunRecord,
  StoredEvent,
} from '../core/ports.js';
import { JournalConflictError, RunNotFoundError, StoreClosedError } from './errors.js';
import { checkRequest, newRunRecord } from './request.js';

interface MemoryRun {
  record: RunRecord;
  events: StoredEvent[];
}

const copyEvent = (event: StoredEvent): StoredEvent => ({
  seq: event.seq,
  type: event.type,
  body: event.body,
  hash: event.hash,
});

/**
 * The journal in plain maps, for tests and throwaway runs. It keeps the durable stores' semantics
 * (conflicts, all-or-nothing batches) and copies on the way in and out, so a caller that mutates an
 * object it passed or received cannot rewrite history.
 */
export class MemoryJournalStore implements JournalStore {
  readonly specificationVersion = 'v1' as const;
  readonly kind = 'memory';
  readonly #runs = new Map<string, MemoryRun>();
  readonly #blobs = new Map<string, string>();
  #closed = false;

  async append(request: AppendRequest): Promise<void> {
    this.#commit([request]);
  }

  async appendMany(requests: AppendRequest[]): Promise<void> {
    this.#commit(requests);
  }

  async read(runId: string, fromSeq = 0): Promise<StoredEvent[]> {
    this.#assertOpen();
    const events = this.#runs.get(runId)?.events ?? [];
    // seq equals the index (seqs start at 0 without gaps), so the tail is a slice.
    return events.slice(Math.max(0, Math.ceil(fromSeq))).map(copyEvent);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.#assertOpen();
    const run = this.#runs.get(runId);
    return run === undefined ? undefined : { ...run.record };
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    this.#assertOpen();
    const matches: RunRecord[] = [];
    for (const { record } of this.#runs.values()) {
      if (filter.status !== undefined && record.status !== filter.status) continue;
      if (filter.workflow !== undefined && record.workflow !== filter.workflow) continue;
      if (filter.parentRunId !== undefined && record.parentRunId !== filter.parentRunId) continue;
      matches.push({ ...record });
    }
    matches.sort(
      (a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0),
    );
    return filter.limit === undefined
      ? matches
      : matches.slice(0, Math.max(0, Math.floor(filter.limit)));
  }

  async getBlob(hash: string): Promise<string | undefined> {
    this.#assertOpen();
    return this.#blobs.get(hash);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError(this.kind);
  }

  /** Stages every request against a private overlay first, so a failing batch changes nothing. */
  #commit(requests: AppendRequest[]): void {
    this.#assertOpen();
    const staged = new Map<string, MemoryRun>();
    for (const request of requests) {
      checkRequest(request);
      const current = staged.get(request.runId) ?? this.#runs.get(request.runId);
      let record: RunRecord;
      if (request.create !== undefined) {
        if (current !== undefined) {
          throw new JournalConflictError(
            request.runId,
            request.expectedSeq,
            current.record.headSeq,
            'exists',
          );
        }
        record = newRunRecord(request);
      } else {
        if (current === undefined) throw new RunNotFoundError(request.runId);
        const head = current.record.headSeq;
        if (request.expectedSeq !== head + 1) {
          throw new JournalConflictError(request.runId, request.expectedSeq, head, 'extended');
        }
        record = {
          ...current.record,
          headSeq: head + request.events.length,
          status: request.status ?? current.record.status,
          updatedAt: request.at,
        };
      }
      const pending = staged.get(request.runId)?.events ?? [];
      staged.set(request.runId, { record, events: [...pending, ...request.events.map(copyEvent)] });
    }
    for (const [runId, change] of staged) {
      const run = this.#runs.get(runId);
      if (run === undefined) {
        this.#runs.set(runId, change);
      } else {
        run.record = change.record;
        for (const event of change.events) run.events.push(event);
      }
    }
    for (const request of requests) {
      for (const blob of request.blobs) {
        if (!this.#blobs.has(blob.hash)) this.#blobs.set(blob.hash, blob.text);
      }
    }
  }
}
