// The one node:* import allowed in the deterministic layers (eslint.config.js): SHA-256 is a pure
// function, and Node's one-shot `crypto.hash` is ~8x faster than a pure-JS digest on journal-sized
// inputs, which matters when resume re-hashes hundreds of thousands of events.
import { hash } from 'node:crypto';
import { canonicalJson, type JsonValue } from './json.js';

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

export function hashJson(value: JsonValue): string {
  return sha256Hex(canonicalJson(value));
}

/** Link of the journal's hash chain: sha256(prevHash ‖ body). The first event's prevHash is ''. */
export function chainHash(prevHash: string, body: string): string {
  return sha256Hex(prevHash + body);
}
