import type { WorkflowSpec } from '../core/spec.js';
import { sha256Hex } from '../core/hash.js';
import { rememberText } from '../core/journal-codec.js';
import { canonicalJson, sameAsCanonical, type JsonValue } from '../core/json.js';

/** A spec as a run journals it: the hash of its canonical text, and a copy parsed from that text. */
export interface SpecForm {
  readonly hash: string;
  /**
   * Shared by every run of the same spec object, as a cached plan already is (runtime.ts): read
   * only, by convention rather than Object.freeze, because the JSON Schema validator annotates
   * output schemas in place. What a run journals is the text the codec was told (rememberText),
   * fixed whatever happens to the copy.
   */
  readonly copy: JsonValue & object;
}

/**
 * Forms by the spec object they were made from. A caller that starts many runs of one spec (a
 * server, a benchmark) gets the form again after a walk that copies nothing, instead of
 * serialising, hashing and parsing the spec each time: ~3 ms per run for a 1,000-step spec, most
 * of it sorting each step's keys (zod lists them in schema order) into a copy. A spec changed in
 * place since is noticed by that walk and formed anew.
 */
const FORMS = new WeakMap<object, SpecForm>();

export function specForm(spec: WorkflowSpec): SpecForm {
  const known = FORMS.get(spec);
  if (known !== undefined && sameAsCanonical(spec, known.copy)) return known;
  const text = canonicalJson(spec as unknown as JsonValue);
  const copy = JSON.parse(text) as JsonValue & object;
  const hash = sha256Hex(text);
  // The journal writer stores the spec as this text, under this hash, rather than serialising and
  // hashing it again (the spec's blob ref is its hash).
  rememberText(copy, text, hash);
  const form: SpecForm = { hash, copy };
  FORMS.set(spec, form);
  return form;
}
