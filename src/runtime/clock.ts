import { randomBytes } from 'node:crypto';
import type { Clock, IdSource } from '../core/ports.js';

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, callback) {
    // setTimeout's limit is 2^31-1 ms; chain longer waits rather than firing early.
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const delay = Math.max(0, at - Date.now());
      handle = setTimeout(delay > 2_000_000_000 ? arm : callback, Math.min(delay, 2_000_000_000));
    };
    arm();
    return () => clearTimeout(handle);
  },
};

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Run ids sort by creation time (base-32 milliseconds) and carry 60 random bits. */
export const randomIds: IdSource = {
  runId() {
    let time = Date.now();
    let head = '';
    for (let i = 0; i < 9; i++) {
      head = (ALPHABET[time % 32] as string) + head;
      time = Math.floor(time / 32);
    }
    const bytes = randomBytes(12);
    let tail = '';
    for (const byte of bytes) tail += ALPHABET[byte % 32] as string;
    return `run_${head}${tail}`;
  },
};
