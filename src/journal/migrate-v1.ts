import { isWorldEvent, type JournalEvent } from '../core/events.js';
import { chainHash } from '../core/hash.js';
import { batchBody, batchHash } from '../core/journal-codec.js';
import type { StoredBatch } from '../core/ports.js';

/** A row of a schema-1 journal: one event per row, chained event by event. */
export interface V1EventRow {
  seq: number;
  type: string;
  body: string;
  hash: string;
}

/**
 * Regroups one run's schema-1 event rows into batch rows: each world event with the decisions that
 * follow it (the grouping replay expects), chained batch by batch. The old chain is checked first,
 * so a damaged journal is refused rather than laundered into a valid-looking new chain.
 */
export function batchesFromV1(
  rows: readonly V1EventRow[],
): { batches: StoredBatch[] } | { damagedAt: number } {
  let prev = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as V1EventRow;
    if (row.seq !== i || chainHash(prev, row.body) !== row.hash) return { damagedAt: i };
    prev = row.hash;
  }
  const batches: StoredBatch[] = [];
  let texts: string[] = [];
  let start = 0;
  let hash = '';
  const close = (end: number): void => {
    if (texts.length === 0) return;
    const body = batchBody(texts);
    hash = batchHash(hash, body);
    batches.push({ seq: start, lastSeq: end - 1, body, hash });
    texts = [];
    start = end;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as V1EventRow;
    if (isWorldEvent({ type: row.type } as JournalEvent)) close(i);
    texts.push(row.body);
  }
  close(rows.length);
  return { batches };
}
