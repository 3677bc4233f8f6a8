import type { JournalEvent, RunStartEvent } from '../core/events.js';
import { hashJson, sha256Hex } from '../core/hash.js';
import { batchBody, batchHash, blobRefs, encodeEvent, hydrate } from '../core/journal-codec.js';
import { canonicalJson, type JsonValue } from '../core/json.js';
import type {
  AppendRequest,
  Blob,
  Checkpoint,
  JournalStore,
  RunRecord,
  RunStatus,
  StoredBatch,
} from '../core/ports.js';
import type { EngineSnapshot } from '../executor/engine.js';
import { JournalHashError, JournalInvalidError } from '../executor/errors.js';
import { JournalConflictError } from '../journal/errors.js';

/** Checkpoints are written once this much journal has been appended since the last one… */
export const CHECKPOINT_MIN_BYTES = 256 * 1024;
/** …and at least this many times the last checkpoint's size, so their cost stays O(1) per event. */
const CHECKPOINT_GROWTH = 4;
/** A run that pauses gets a checkpoint sooner: the next thing to happen to it is a resume. */
const CHECKPOINT_PAUSE_BYTES = 16 * 1024;

/** Encodes and chains a run's events and appends them, one batch row per driver tick. */
export class RunJournal {
  private sinceCheckpoint = 0;
  private stateBytes = 0;
  private storedStart: string | undefined;

  constructor(
    readonly store: JournalStore,
    readonly runId: string,
    private headSeq: number,
    private lastHash: string,
    /** Run metadata for the first append of a new run. */
    private create?: AppendRequest['create'],
    private readonly checkpointMinBytes = CHECKPOINT_MIN_BYTES,
  ) {}

  /** The run-start as stored, once this journal appended it (checkpoints carry it). */
  get startText(): string | undefined {
    return this.storedStart;
  }

  /** The seq the next appended event must carry. */
  get nextSeq(): number {
    return this.headSeq + 1;
  }

  /** For a journal loaded from a checkpoint: how much came after it, and its size. */
  checkpointed(sinceBytes: number, stateBytes: number): this {
    this.sinceCheckpoint = sinceBytes;
    this.stateBytes = stateBytes;
    return this;
  }

  /**
   * Appends events numbered from nextSeq as one batch (one store call, one transaction: the group
   * commit of a driver's tick). `fullTexts[i]`, when given, is event i's canonical JSON, which the
   * caller already made. No events: only the status is recorded. `checkpoint` is asked for the
   * engine's state when enough journal has grown since the last checkpoint.
   */
  async append(
    events: readonly JournalEvent[],
    status: RunStatus,
    at: number,
    fullTexts?: ReadonlyArray<string | undefined>,
    checkpoint?: () => string,
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
      if (event.seq === 0) this.storedStart = encoded.text;
      if (encoded.blobs.length > 0) blobs = blobs.concat(encoded.blobs);
    }
    let batches: StoredBatch[] = [];
    let hash = this.lastHash;
    let since = this.sinceCheckpoint;
    if (events.length > 0) {
      const body = batchBody(texts);
      hash = batchHash(this.lastHash, body);
      batches = [{ seq: this.headSeq + 1, lastSeq: this.headSeq + events.length, body, hash }];
      since += body.length;
    }
    const due =
      events.length > 0 &&
      since >= CHECKPOINT_GROWTH * this.stateBytes &&
      (since >= this.checkpointMinBytes ||
        (since >= Math.min(CHECKPOINT_PAUSE_BYTES, this.checkpointMinBytes) &&
          (status === 'waiting' || status === 'outcome-unknown')));
    const state = due ? checkpoint?.() : undefined;
    await this.store.append({
      runId: this.runId,
      expectedSeq: this.headSeq + 1,
      batches,
      blobs,
      status,
      at,
      ...(create ? { create } : {}),
      ...(state === undefined ? {} : { checkpoint: { seq: this.headSeq + events.length, state } }),
    });
    this.headSeq += events.length;
    this.lastHash = hash;
    this.sinceCheckpoint = state === undefined ? since : 0;
    if (state !== undefined) this.stateBytes = state.length;
  }
}

/** A checkpoint's state text: the engine snapshot and the run-start as stored, in canonical order. */
export function checkpointState(snapshot: EngineSnapshot, startText: string): string {
  return `{"engine":${canonicalJson(snapshot as unknown as JsonValue)},"start":${startText}}`;
}

/** The snapshot format version of a stored checkpoint; undefined when it cannot be read. */
export function snapshotVersion(state: string): number | undefined {
  try {
    const v = (JSON.parse(state) as { engine?: { v?: unknown } }).engine?.v;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
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
  const rows = await store.read(run.runId);
  const decoded = await decodeBatches(store, run, rows, 0, '');
  const first = decoded.events[0];
  if (first?.type === 'run-start') checkSpec(run, first);
  return { run, ...decoded };
}

/** One page of a journal read in pages: `batches` index into `events`, which begin at `firstSeq`. */
export interface JournalPage {
  firstSeq: number;
  events: JournalEvent[];
  batches: LoadedBatch[];
}

/** Batches per page: a few MB of Hanoi vote events parsed, whatever the journal's length. */
export const PAGE_BATCHES = 1024;

/**
 * Reads a run's journal a page at a time with loadJournal's checks (chain, numbering, payloads,
 * spec, and the run record's head after the last page), so verifying a million-step run holds one
 * page in memory rather than the whole journal.
 */
export async function* readJournalPages(
  store: JournalStore,
  run: RunRecord,
  pageBatches = PAGE_BATCHES,
): AsyncGenerator<JournalPage> {
  let next = 0;
  let prev = '';
  for (;;) {
    const rows = await store.read(run.runId, next, pageBatches);
    if (rows.length === 0) break;
    const decoded = await decodeRows(store, run.runId, rows, next, prev);
    if (next === 0) {
      const first = decoded.events[0];
      if (first?.type === 'run-start') checkSpec(run, first);
    }
    yield { firstSeq: next, events: decoded.events, batches: decoded.batches };
    next += decoded.events.length;
    prev = decoded.lastHash;
  }
  checkHead(run, next - 1);
}

/**
 * A run's run-start with its payloads in place (a large spec is stored as a blob), read from the
 * first batch alone and checked as loadJournal checks it; undefined when the run has no events.
 */
export async function readRunStart(
  store: JournalStore,
  runId: string,
): Promise<RunStartEvent | undefined> {
  const rows = await store.read(runId, 0, 1);
  if (rows.length === 0) return undefined;
  const first = await decodeRows(store, runId, rows, 0, '');
  const start = first.events[0];
  return start?.type === 'run-start' ? start : undefined;
}

/** A run's journal from its checkpoint on: the engine state there and the events after it. */
export interface CheckpointedJournal {
  run: RunRecord;
  start: RunStartEvent;
  snapshot: EngineSnapshot;
  /** seq of the checkpoint's last event; `events` begin after it. */
  seq: number;
  events: JournalEvent[];
  batches: LoadedBatch[];
  lastHash: string;
  headSeq: number;
  /** Bytes of the batch bodies after the checkpoint, and of the checkpoint itself. */
  tailBytes: number;
  stateBytes: number;
}

/**
 * Reads a run from its checkpoint: the batch the checkpoint sits on (whose stored hash anchors the
 * rest of the chain) and every batch after it, checked as loadJournal checks them. Undefined when
 * the checkpoint cannot be used (not at a batch end, unreadable), so the caller reads the whole
 * journal instead: a checkpoint only saves work, and `replay --verify` reports a bad one.
 */
export async function loadFromCheckpoint(
  store: JournalStore,
  run: RunRecord,
  checkpoint: Checkpoint,
): Promise<CheckpointedJournal | undefined> {
  let state: { engine?: unknown; start?: unknown };
  try {
    state = JSON.parse(checkpoint.state) as typeof state;
  } catch {
    return undefined;
  }
  const { engine, start: storedStart } = state;
  if (!isRecord(engine) || !isRecord(storedStart)) return undefined;
  const rows = await store.read(run.runId, checkpoint.seq);
  const anchor = rows[0];
  if (anchor?.lastSeq !== checkpoint.seq) return undefined;
  const blobs = new Map<string, JsonValue>();
  const start: JournalEvent = await hydrateChecked(store, run.runId, storedStart, 0, blobs);
  if (start.type !== 'run-start' || start.seq !== 0) return undefined;
  checkSpec(run, start);
  const decoded = await decodeBatches(store, run, rows.slice(1), checkpoint.seq + 1, anchor.hash);
  let tailBytes = 0;
  for (const batch of decoded.batches) tailBytes += batch.body.length;
  return {
    run,
    start,
    snapshot: engine as unknown as EngineSnapshot,
    seq: checkpoint.seq,
    ...decoded,
    tailBytes,
    stateBytes: checkpoint.state.length,
  };
}

/** The run-start's spec must hash to what the run-start and the run record say. */
function checkSpec(run: RunRecord, start: RunStartEvent): void {
  const specHash = hashJson(start.spec);
  if (specHash !== start.specHash || specHash !== run.specHash) {
    throw new JournalHashError(run.runId, 0, 'the spec recorded in run-start');
  }
}

async function hydrateChecked(
  store: JournalStore,
  runId: string,
  item: Record<string, unknown>,
  seq: number,
  blobs: Map<string, JsonValue>,
): Promise<JournalEvent> {
  for (const ref of blobRefs(item)) {
    if (blobs.has(ref)) continue;
    const text = await store.getBlob(ref);
    if (text === undefined)
      throw new JournalInvalidError(`payload ${ref} referenced at seq ${seq} is missing`, { seq });
    // Payloads are few (content-addressed, stored once), so they are always checked.
    if (sha256Hex(text) !== ref) throw new JournalHashError(runId, seq, `payload ${ref}`);
    blobs.set(ref, JSON.parse(text) as JsonValue);
  }
  return hydrate(item, blobs);
}

/**
 * Checks and parses batch rows that continue a journal at `firstSeq` after a batch whose hash is
 * `prevHash`: numbering, chain links, JSON, payloads, and the run record's head.
 */
async function decodeBatches(
  store: JournalStore,
  run: RunRecord,
  stored: readonly StoredBatch[],
  firstSeq: number,
  prevHash: string,
): Promise<{ events: JournalEvent[]; batches: LoadedBatch[]; lastHash: string; headSeq: number }> {
  const decoded = await decodeRows(store, run.runId, stored, firstSeq, prevHash);
  const headSeq = firstSeq + decoded.events.length - 1;
  checkHead(run, headSeq);
  return { ...decoded, headSeq };
}

async function decodeRows(
  store: JournalStore,
  runId: string,
  stored: readonly StoredBatch[],
  firstSeq: number,
  prevHash: string,
): Promise<{ events: JournalEvent[]; batches: LoadedBatch[]; lastHash: string }> {
  const blobs = new Map<string, JsonValue>();
  const events: JournalEvent[] = [];
  const batches: LoadedBatch[] = new Array<LoadedBatch>(stored.length);
  let prev = prevHash;
  for (let index = 0; index < stored.length; index++) {
    const row = stored[index] as StoredBatch;
    const start = events.length;
    if (row.seq !== firstSeq + start)
      throw new JournalInvalidError(
        `a batch starts at seq ${row.seq} where ${firstSeq + start} was expected`,
        { seq: firstSeq + start },
      );
    if (batchHash(prev, row.body) !== row.hash) throw new JournalHashError(runId, row.seq, 'event');
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
      events.push(await hydrateChecked(store, runId, item, seq, blobs));
    }
    batches[index] = { start, end: events.length, body: row.body };
  }
  return { events, batches, lastHash: prev };
}

/** The hash chain cannot show batches cut off the end; the run record's head seq can. */
function checkHead(run: RunRecord, headSeq: number): void {
  if (headSeq < run.headSeq) {
    throw new JournalInvalidError(
      `run ${run.runId} has ${headSeq + 1} events but its record says ${run.headSeq + 1}: events were removed from the end of the journal`,
      { seq: headSeq + 1 },
    );
  }
  if (headSeq > run.headSeq) {
    throw new JournalConflictError(run.runId, run.headSeq + 1, headSeq, 'extended');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
