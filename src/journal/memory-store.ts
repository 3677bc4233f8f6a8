import type {
  AppendRequest,
  Checkpoint,
  JournalStore,
  RunFilter,
  RunRecord,
  StoredBatch,
} from '../core/ports.js';
import { JournalConflictError, RunNotFoundError, StoreClosedError } from './errors.js';
import { checkRequest, headAfter, newRunRecord } from './request.js';

interface MemoryRun {
  record: RunRecord;
  batches: StoredBatch[];
}

const copyBatch = (batch: StoredBatch): StoredBatch => ({
  seq: batch.seq,
  lastSeq: batch.lastSeq,
  body: batch.body,
  hash: batch.hash,
});

/** The run's record after `request`, or the conflict that refuses it; changes nothing. */
function nextRecord(request: AppendRequest, current: MemoryRun | undefined): RunRecord {
  if (request.create !== undefined) {
    if (current !== undefined)
      throw new JournalConflictError(
        request.runId,
        request.expectedSeq,
        current.record.headSeq,
        'exists',
      );
    return newRunRecord(request);
  }
  if (current === undefined) throw new RunNotFoundError(request.runId);
  const head = current.record.headSeq;
  if (request.expectedSeq !== head + 1)
    throw new JournalConflictError(request.runId, request.expectedSeq, head, 'extended');
  return {
    ...current.record,
    headSeq: headAfter(request),
    status: request.status ?? current.record.status,
    updatedAt: request.at,
  };
}

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
  readonly #checkpoints = new Map<string, Checkpoint>();
  readonly #meta = new Map<string, string>();
  #closed = false;

  async append(request: AppendRequest): Promise<void> {
    this.#commit([request]);
  }

  async appendMany(requests: AppendRequest[]): Promise<void> {
    this.#commit(requests);
  }

  async read(runId: string, fromSeq = 0, limit?: number): Promise<StoredBatch[]> {
    this.#assertOpen();
    const batches = this.#runs.get(runId)?.batches ?? [];
    let first = 0;
    if (fromSeq > 0) {
      // Batches are in seq order: binary search for the first one that reaches fromSeq.
      let high = batches.length;
      while (first < high) {
        const middle = (first + high) >>> 1;
        if ((batches[middle] as StoredBatch).lastSeq < fromSeq) first = middle + 1;
        else high = middle;
      }
    }
    const end = limit === undefined ? batches.length : first + limit;
    return batches.slice(first, end).map(copyBatch);
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

  async readCheckpoint(runId: string): Promise<Checkpoint | undefined> {
    this.#assertOpen();
    const checkpoint = this.#checkpoints.get(runId);
    return checkpoint === undefined ? undefined : { ...checkpoint };
  }

  async getMeta(key: string): Promise<string | undefined> {
    this.#assertOpen();
    return this.#meta.get(key);
  }

  async putMeta(key: string, value: string): Promise<void> {
    this.#assertOpen();
    this.#meta.set(key, value);
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
    if (requests.length === 1) return this.#commitOne(requests[0] as AppendRequest);
    const staged = new Map<string, MemoryRun>();
    for (const request of requests) {
      checkRequest(request);
      const current = staged.get(request.runId) ?? this.#runs.get(request.runId);
      const record = nextRecord(request, current);
      const pending = staged.get(request.runId)?.batches ?? [];
      staged.set(request.runId, {
        record,
        batches: [...pending, ...request.batches.map(copyBatch)],
      });
    }
    for (const [runId, change] of staged) {
      const run = this.#runs.get(runId);
      if (run === undefined) {
        this.#runs.set(runId, change);
      } else {
        run.record = change.record;
        for (const batch of change.batches) run.batches.push(batch);
      }
    }
    for (const request of requests) this.#keepExtras(request);
  }

  /**
   * One request, the driver's every append: every check comes before the first change, so it is
   * all-or-nothing without the overlay.
   */
  #commitOne(request: AppendRequest): void {
    checkRequest(request);
    const current = this.#runs.get(request.runId);
    const record = nextRecord(request, current);
    if (current === undefined) {
      this.#runs.set(request.runId, { record, batches: request.batches.map(copyBatch) });
    } else {
      current.record = record;
      for (const batch of request.batches) current.batches.push(copyBatch(batch));
    }
    this.#keepExtras(request);
  }

  #keepExtras(request: AppendRequest): void {
    if (request.checkpoint !== undefined)
      this.#checkpoints.set(request.runId, { ...request.checkpoint });
    for (const blob of request.blobs) {
      if (!this.#blobs.has(blob.hash)) this.#blobs.set(blob.hash, blob.text);
    }
  }
}
