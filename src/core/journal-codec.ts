import type { JournalEvent } from './events.js';
import { PAYLOAD_FIELDS } from './events.js';
import { chainHash, sha256Hex } from './hash.js';
import { canonicalJson, type JsonValue } from './json.js';
import type { Blob, StoredEvent } from './ports.js';

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
  stored: StoredEvent;
  blobs: Blob[];
}

export function encodeEvent(event: JournalEvent, prevHash: string): EncodedEvent {
  let body = canonicalJson(event as unknown as JsonValue);
  const blobs: Blob[] = [];
  if (body.length > BODY_LIMIT) {
    const slim: Record<string, JsonValue> = { ...(event as unknown as Record<string, JsonValue>) };
    for (const field of PAYLOAD_FIELDS) {
      const value = slim[field];
      if (value === undefined) continue;
      const text = canonicalJson(value);
      if (text.length <= FIELD_LIMIT) continue;
      const hash = sha256Hex(text);
      blobs.push({ hash, text });
      delete slim[field];
      slim[`${field}Ref`] = hash;
    }
    body = canonicalJson(slim);
  }
  return {
    stored: { seq: event.seq, type: event.type, body, hash: chainHash(prevHash, body) },
    blobs,
  };
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
