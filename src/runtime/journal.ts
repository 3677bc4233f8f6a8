import type { JournalEvent } from '../core/events.js';
import { hashJson, sha256Hex } from '../core/hash.js';
import { batchBody, batchHash, blobRefs, encodeEvent, hydrate } from '../core/journal-codec.js';
import type { JsonValue } from '../core/json.js';
import type {
  AppendRequest,
  Blob,
  JournalStore,
  RunRecord,
  RunStatus,
  StoredBatch,
} from '../core/ports.js';
import { JournalHashError, JournalInvalidError } from '../executor/errors.js';
import { JournalConflictError } from '../journal/errors.js';

/** Encodes and chains a run's events and appends them, one batch row per driver tick. */
export class RunJournal {
  constructor(
    readonly store: JournalStore,
    readonly runId: string,
    private headSeq: number,
    private lastHash: string,
    /** Run metadata for the first append of a new run. */
    private create?: AppendRequest['create'],
  ) {}

  /** The seq the next appended event must carry. */
  get nextSeq(): number {
    return this.headSeq + 1;
  }

  /**
   * Appends events numbered from nextSeq as one batch (one store call, one transaction: the group
   * commit of a driver's tick). `fullTexts[i]`, when given, is event i's canonical JSON, which the
   * caller already made. No events: only the status is recorded.
   */
  async append(
    events: readonly JournalEvent[],
    status: RunStatus,
    at: number,
    fullTexts?: ReadonlyArray<string | undefined>,
  ): Promise<void> {
    const create = this.headSeq === -1 ? this.create : undefined;
    const texts: string[] = new Array<string>(events.length);
    let blobs: Blob[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as JournalEvent;
      if (event.seq !== this.headSeq + 1 + i) {
        throw new JournalInvalidError(
          `event ${i} of a batch carries seq ${event.seq}, expected ${this.headSeq + 1 + i}`,
          { seq: this.headSeq + 1 + i },
        );
      }
      const encoded = encodeEvent(event, fullTexts?.[i]);
      texts[i] = encoded.text;
      if (encoded.blobs.length > 0) blobs = blobs.concat(encoded.blobs);
    }
    let batches: StoredBatch[] = [];
    let hash = this.lastHash;
    if (events.length > 0) {
      const body = batchBody(texts);
      hash = batchHash(this.lastHash, body);
      batches = [
        { seq: this.headSeq + 1, lastSeq: this.headSeq + events.length, body, hash },
      ];
    }
    await this.store.append({
      runId: this.runId,
      expectedSeq: this.headSeq + 1,
      batches,
      blobs,
      status,
      at,
      ...(create ? { create } : {}),
    });
    this.headSeq += events.length;
    this.lastHash = hash;
  }
}

/** Where one stored batch sits in the loaded event list, with its body as stored. */
export interface LoadedBatch {
  /** Index in `events` of the batch's first event (equal to its seq). */
  start: number;
  /** Index just past its last event. */
  end: number;
  body: string;
}

export interface LoadedJournal {
  run: RunRecord;
  events: JournalEvent[];
  batches: LoadedBatch[];
  lastHash: string;
  headSeq: number;
}

/**
 * Reads a run's journal, checking the hash chain, the numbering and every payload's content hash.
 * Any damage is a typed error naming the seq, never a crash further down.
 */
export async function loadJournal(store: JournalStore, run: RunRecord): Promise<LoadedJournal> {
  const stored = await store.read(run.runId);
  const blobs = new Map<string, JsonValue>();
  const events: JournalEvent[] = [];
  const batches: LoadedBatch[] = new Array<LoadedBatch>(stored.length);
  let prev = '';
  for (let index = 0; index < stored.length; index++) {
    const row = stored[index] as StoredBatch;
    const start = events.length;
    if (row.seq !== start)
      throw new JournalInvalidError(`a batch starts at seq ${row.seq} where ${start} was expected`, {
        seq: start,
      });
    if (batchHash(prev, row.body) !== row.hash)
      throw new JournalHashError(run.runId, row.seq, 'event');
    prev = row.hash;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.body);
    } catch {
      throw new JournalInvalidError(`the batch at seq ${row.seq} is not valid JSON`, {
        seq: row.seq,
      });
    }
    if (!Array.isArray(parsed) || parsed.length !== row.lastSeq - row.seq + 1) {
      throw new JournalInvalidError(
        `the batch at seq ${row.seq} does not hold events ${row.seq}–${row.lastSeq}`,
        { seq: row.seq },
      );
    }
    for (let i = 0; i < parsed.length; i++) {
      const item = parsed[i] as Record<string, unknown> | null;
      const seq = row.seq + i;
      if (typeof item !== 'object' || item?.seq !== seq) {
        throw new JournalInvalidError(`the event at seq ${seq} is missing or misnumbered`, { seq });
      }
      for (const ref of blobRefs(item)) {
        if (blobs.has(ref)) continue;
        const text = await store.getBlob(ref);
        if (text === undefined)
          throw new JournalInvalidError(`payload ${ref} referenced at seq ${seq} is missing`, {
            seq,
          });
        // Payloads are few (content-addressed, stored once), so they are always checked.
        if (sha256Hex(text) !== ref) throw new JournalHashError(run.runId, seq, `payload ${ref}`);
        blobs.set(ref, JSON.parse(text) as JsonValue);
      }
      events.push(hydrate(item, blobs));
    }
    batches[index] = { start, end: events.length, body: row.body };
  }
  const headSeq = events.length - 1;
  // The hash chain cannot show batches cut off the end; the run record's head seq can.
  if (headSeq < run.headSeq) {
    throw new JournalInvalidError(
      `run ${run.runId} has ${events.length} events but its record says ${run.headSeq + 1}: events were removed from the end of the journal`,
      { seq: events.length },
    );
  }
  if (headSeq > run.headSeq) {
    throw new JournalConflictError(run.runId, run.headSeq + 1, headSeq, 'extended');
  }
  const first = events[0];
  if (first?.type === 'run-start') {
    const specHash = hashJson(first.spec);
    if (specHash !== first.specHash || specHash !== run.specHash) {
      throw new JournalHashError(run.runId, 0, 'the spec recorded in run-start');
    }
  }
  return { run, events, batches, lastHash: prev, headSeq };
}
