import { sha256Hex } from '../core/hash.js';
import type { Backoff } from '../core/spec.js';

/**
 * Delay before retry number `attempt` (1-based: the delay after the first failure is attempt 1).
 * Jitter is derived from a hash of the run and step, not a random draw, so the decision is a pure
 * function of the journal and replays identically, while concurrent runs still spread out.
 */
export function backoffDelay(backoff: Backoff, attempt: number, salt: string): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (attempt - 1));
  if (!backoff.jitter) return Math.round(base);
  const unit = parseInt(sha256Hex(`${salt}#${attempt}`).slice(0, 8), 16) / 0x1_0000_0000;
  return Math.round(base * (0.5 + unit / 2));
}
