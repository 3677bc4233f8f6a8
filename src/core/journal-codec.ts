import type { JournalEvent } from './events.js';
import { PAYLOAD_FIELDS } from './events.js';
import { chainHash, sha256Hex } from './hash.js';
import { canonicalJson, type JsonValue } from './json.js';
import type { Blob } from './ports.js';

/**
 * How events become stored rows. The body is the RFC 8785 canonical JSON of the event; a payload
 * field whose JSON is large moves to the content-addressed blob store as `<field>Ref`, so identical
 * prompts, specs and outputs are stored once and an event's size stays bounded.
 */
const BODY_LIMIT = 2048;
const FIELD_LIMIT = 512;

/** Each payload field with the name of its ref, spelled once: loading reads these per event. */
const REF_FIELDS = PAYLOAD_FIELDS.map((field) => [field, `${field}Ref`] as const);

export interface EncodedEvent {
  /** The event's canonical JSON as stored: large payload fields replaced by their refs. */
  text: string;
  blobs: Blob[];
}

const NO_BLOBS: Blob[] = [];

/** Canonical texts (and their sha256) of payload values their maker already serialised. */
const KNOWN_TEXTS = new WeakMap<object, { text: string; hash: string }>();

/**
 * Tells the codec the canonical JSON of a payload value that will not change (the run-start's
 * spec, parsed from that very text) and its sha256, so encoding its event neither serialises nor
 * hashes it again, nor, when it alone is over the inline limit, serialises the whole event to
 * find that out.
 */
export function rememberText(value: object, text: string, hash: string): void {
  KNOWN_TEXTS.set(value, { text, hash });
}

/**
 * True when the event's spec has a remembered text over the inline limit. Only the run-start's
 * spec is ever remembered, so one field is looked at, not every payload field of every decision.
 */
function knownOverLimit(record: Record<string, unknown>): boolean {
  const spec = record.spec;
  if (typeof spec !== 'object' || spec === null) return false;
  const known = KNOWN_TEXTS.get(spec);
  return known !== undefined && known.text.length > BODY_LIMIT;
}

/**
 * Encodes one event. `full` is its canonical JSON when the caller already has it (the driver
 * serialises each world event once, for its live copy and for the journal).
 */
export function encodeEvent(event: JournalEvent, full?: string): EncodedEvent {
  const record = event as unknown as Record<string, JsonValue>;
  if (full !== undefined || !knownOverLimit(record)) {
    const text = full ?? canonicalJson(record);
    if (text.length <= BODY_LIMIT) return { text, blobs: NO_BLOBS };
  }
  const blobs: Blob[] = [];
  const slim: Record<string, JsonValue> = { ...record };
  for (const field of PAYLOAD_FIELDS) {
    const value = slim[field];
    if (value === undefined) continue;
    const known = typeof value === 'object' && value !== null ? KNOWN_TEXTS.get(value) : undefined;
    const fieldText = known?.text ?? canonicalJson(value);
    if (fieldText.length <= FIELD_LIMIT) continue;
    const hash = known?.hash ?? sha256Hex(fieldText);
    blobs.push({ hash, text: fieldText });
    delete slim[field];
    slim[`${field}Ref`] = hash;
  }
  return { text: canonicalJson(slim), blobs };
}

/** A batch row's body: the canonical JSON array of its events' stored texts. */
export function batchBody(texts: readonly string[]): string {
  return `[${texts.join(',')}]`;
}

/** The batch's link in the journal's hash chain. */
export function batchHash(prevHash: string, body: string): string {
  return chainHash(prevHash, body);
}

/** Blob hashes an event body refers to. */
export function blobRefs(parsed: Record<string, unknown>): string[] {
  const refs: string[] = [];
  for (const [, name] of REF_FIELDS) {
    const ref = parsed[name];
    if (typeof ref === 'string') refs.push(ref);
  }
  return refs;
}

/** Puts blob contents back in place of their refs; `blobs` maps hash → parsed value. */
export function hydrate(
  parsed: Record<string, unknown>,
  blobs: ReadonlyMap<string, JsonValue>,
): JournalEvent {
  for (const [field, name] of REF_FIELDS) {
    const ref = parsed[name];
    if (typeof ref !== 'string') continue;
    const value = blobs.get(ref);
    if (value === undefined) throw new Error(`blob ${ref} is missing`);
    parsed[field] = value;
    delete parsed[name];
  }
  return parsed as unknown as JournalEvent;
}
