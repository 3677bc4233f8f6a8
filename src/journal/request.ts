import type { AppendRequest, RunRecord } from '../core/ports.js';
import { AppendRequestError } from './errors.js';

/**
 * Checks what a request says about itself, before any store state is read: every store rejects the
 * same malformed requests the same way, and a gap inside a batch can never reach the table.
 */
export function checkRequest(request: AppendRequest): void {
  const { runId, expectedSeq, batches, create } = request;
  if (!Number.isSafeInteger(expectedSeq) || expectedSeq < 0) {
    throw new AppendRequestError(runId, `expectedSeq must be an integer ≥ 0, got ${expectedSeq}`);
  }
  let next = expectedSeq;
  for (let i = 0; i < batches.length; i++) {
    const { seq, lastSeq } = batches[i] as { seq: number; lastSeq: number };
    if (seq !== next) {
      throw new AppendRequestError(
        runId,
        `batches[${i}].seq is ${seq}, expected ${next} ` +
          '(batches follow expectedSeq and each other without gaps)',
      );
    }
    if (!Number.isSafeInteger(lastSeq) || lastSeq < seq) {
      throw new AppendRequestError(
        runId,
        `batches[${i}].lastSeq is ${lastSeq}, expected an integer ≥ its seq ${seq}`,
      );
    }
    next = lastSeq + 1;
  }
  if (request.checkpoint !== undefined && request.checkpoint.seq !== next - 1) {
    throw new AppendRequestError(
      runId,
      `checkpoint.seq is ${request.checkpoint.seq}, expected ${next - 1} (the request's last event)`,
    );
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
    headSeq: headAfter(request),
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

/** The run's head seq once the request has landed. */
export function headAfter(request: AppendRequest): number {
  const last = request.batches[request.batches.length - 1];
  return last === undefined ? request.expectedSeq - 1 : last.lastSeq;
}
