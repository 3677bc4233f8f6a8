import type { JournalEvent, Unsequenced } from '../core/events.js';
import { chainHash, hashJson, sha256Hex } from '../core/hash.js';
import { blobRefs, encodeEvent, hydrate } from '../core/journal-codec.js';
import type { JsonValue } from '../core/json.js';
import type {
  AppendRequest,
  Blob,
  JournalStore,
  RunRecord,
  RunStatus,
  StoredEvent,
} from '../core/ports.js';
import { JournalHashError, JournalInvalidError } from '../executor/errors.js';
import { JournalConflictError } from '../journal/errors.js';

/** Numbers, chains and encodes a run's events and appends them, one batch per world event. */
export class RunJournal {
  constructor(
    readonly store: JournalStore,
    readonly runId: string,
    private headSeq: number,
    private lastHash: string,
    /** Run metadata for the first append of a new run. */
    private create?: AppendRequest['create'],
  ) {}

  /** Appends batches in one store call (one transaction): the group commit of a driver's tick. */
  async append(
    batches: Array<Array<Unsequenced<JournalEvent>>>,
    status: RunStatus,
    at: number,
  ): Promise<JournalEvent[]> {
    const create = this.headSeq === -1 ? this.create : undefined;
    const events: StoredEvent[] = [];
    const blobs = new Map<string, Blob>();
    const sequenced: JournalEvent[] = [];
    let seq = this.headSeq;
    let hash = this.lastHash;
    for (const batch of batches) {
      for (const draft of batch) {
        seq += 1;
        const event = { ...draft, seq };
        const encoded = encodeEvent(event, hash);
        hash = encoded.stored.hash;
        events.push(encoded.stored);
        for (const blob of encoded.blobs) blobs.set(blob.hash, blob);
        sequenced.push(event);
      }
    }
    await this.store.append({
      runId: this.runId,
      expectedSeq: this.headSeq + 1,
      events,
      blobs: [...blobs.values()],
      status,
      at,
      ...(create ? { create } : {}),
    });
    this.headSeq = seq;
    this.lastHash = hash;
    return sequenced;
  }
}

export interface LoadedJournal {
  run: RunRecord;
  events: JournalEvent[];
  lastHash: string;
  headSeq: number;
}

/**
 * Reads a run's journal, checking the hash chain and every payload's content
 * hash. Any damage is a typed error naming the seq, never a crash further down.
 */
export async function loadJournal(store: JournalStore, run: RunRecord): Promise<LoadedJournal> {
  const stored = await store.read(run.runId);
  const blobs = new Map<string, JsonValue>();
  const events: JournalEvent[] = [];
  let prev = '';
  for (let index = 0; index < stored.length; index++) {
    const row = stored[index] as StoredEvent;
    if (row.seq !== index)
      throw new JournalInvalidError(`seq ${row.seq} found where ${index} was expected`, {
        seq: index,
      });
    if (chainHash(prev, row.body) !== row.hash)
      throw new JournalHashError(run.runId, row.seq, 'event');
    prev = row.hash;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(row.body) as Record<string, unknown>;
    } catch {
      throw new JournalInvalidError(`event at seq ${row.seq} is not valid JSON`, { seq: row.seq });
    }
    for (const ref of blobRefs(parsed)) {
      if (blobs.has(ref)) continue;
      const text = await store.getBlob(ref);
      if (text === undefined)
        throw new JournalInvalidError(`payload ${ref} referenced at seq ${row.seq} is missing`, {
          seq: row.seq,
        });
      // Payloads are few (content-addressed, stored once), so they are always checked.
      if (sha256Hex(text) !== ref) throw new JournalHashError(run.runId, row.seq, `payload ${ref}`);
      blobs.set(ref, JSON.parse(text) as JsonValue);
    }
    events.push(hydrate(parsed, blobs));
  }
  // The hash chain cannot show events cut off the end; the run record's head seq can.
  if (stored.length - 1 < run.headSeq) {
    throw new JournalInvalidError(
      `run ${run.runId} has ${stored.length} events but its record says ${run.headSeq + 1}: events were removed from the end of the journal`,
      { seq: stored.length },
    );
  }
  if (stored.length - 1 > run.headSeq) {
    throw new JournalConflictError(run.runId, run.headSeq + 1, stored.length - 1, 'extended');
  }
  const first = events[0];
  if (first?.type === 'run-start') {
    const specHash = hashJson(first.spec);
    if (specHash !== first.specHash || specHash !== run.specHash) {
      throw new JournalHashError(run.runId, 0, 'the spec recorded in run-start');
    }
  }
  return { run, events, lastHash: prev, headSeq: stored.length - 1 };
}
