import type { AppendRequest, RunRecord } from '../core/ports.js';
import { AppendRequestError } from './errors.js';

/**
 * Checks what a request says about itself, before any store state is read: every store rejects the
 * same malformed requests the same way, and a gap inside a batch can never reach the table.
 */
export function checkRequest(request: AppendRequest): void {
  const { runId, expectedSeq, events, create } = request;
  if (!Number.isSafeInteger(expectedSeq) || expectedSeq < 0) {
    throw new AppendRequestError(runId, `expectedSeq must be an integer ≥ 0, got ${expectedSeq}`);
  }
  for (let i = 0; i < events.length; i++) {
    const seq = (events[i] as { seq: number }).seq;
    if (seq !== expectedSeq + i) {
      throw new AppendRequestError(
        runId,
        `events[${i}].seq is ${seq}, expected ${expectedSeq + i} ` +
          '(events follow expectedSeq without gaps)',
      );
    }
  }
  if (create !== undefined) {
    if (expectedSeq !== 0) {
      throw new AppendRequestError(runId, `a batch that creates the run must have expectedSeq 0`);
    }
    if (create.runId !== runId) {
      throw new AppendRequestError(runId, `create.runId is ${create.runId}, expected ${runId}`);
    }
  }
}

/** The run record a creating request produces. */
export function newRunRecord(request: AppendRequest): RunRecord {
  const create = request.create as NonNullable<AppendRequest['create']>;
  return {
    runId: request.runId,
    workflow: create.workflow,
    specHash: create.specHash,
    status: request.status ?? 'running',
    parentRunId: create.parentRunId,
    createdAt: create.createdAt,
    updatedAt: request.at,
    headSeq: request.events.length - 1,
  };
}

/** Distinct blobs of a request, so a batch that names one payload twice writes it once. */
export function uniqueBlobs(request: AppendRequest): AppendRequest['blobs'] {
  if (request.blobs.length < 2) return request.blobs;
  const seen = new Set<string>();
  const out: AppendRequest['blobs'] = [];
  for (const blob of request.blobs) {
    if (seen.has(blob.hash)) continue;
    seen.add(blob.hash);
    out.push(blob);
  }
  return out;
}
