import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * How a SQLite batch row holds its body. A body shorter than PACK_FROM bytes is stored as the TEXT it
 * is (a tool step's batch, a few hundred bytes, would gain little and pay zlib's set-up). A longer
 * one is stored as a BLOB: one format byte, then the canonical JSON deflated (raw, level 2) with
 * DICTIONARY_V1 as the preset dictionary. Measured on a 12-disk Hanoi vote run: 2.8 KB batches
 * become ~500 bytes, and bytes per step fall from ~4.1 KB (rows filling a page each) to under
 * 1 KB. The hash chain is over the canonical text, never over the stored bytes.
 *
 * Level 2 rather than zlib's default 6: the journal's text repeats itself so much that the lazy
 * matching of the higher levels buys little. Measured on this journal's batches: a Hanoi vote
 * batch (2.7 KB) 29 → 25 µs for 458 → 498 bytes; a 100-task fan-out's batches (~27 KB) 120 → 54 µs
 * for 2.4 → 2.6 KB, which was a third of a durable fan-out step's cost over the in-memory one. The
 * level is the writer's choice alone: any level inflates the same, so older rows stay readable.
 */
export const PACK_FROM = 1024;

const FORMAT_DEFLATE_V1 = 1;

/**
 * The vocabulary of journal rows, as canonical JSON writes them (keys sorted), so that even a
 * batch's first event finds its keys in the window. Frozen: rows written with it must stay
 * readable. A better dictionary is a new format byte, never an edit of this one.
 */
const DICTIONARY_V1 = Buffer.from(
  [
    '{"at":1795639333831,"kind":"tool","path":"","seq":1,"type":"step-start"}',
    '{"at":1795639333831,"attempt":1,"input":{},"key":"","path":"","safe":false,"seq":1,"tool":"","type":"tool-call-start"}',
    '{"at":1795639333831,"attempt":1,"output":{},"path":"","seq":1,"type":"tool-call-end"}',
    '{"at":1795639333831,"attempt":1,"error":{"message":"","retryable":true,"type":"error"},"path":"","seq":1,"type":"tool-call-error"}',
    '{"at":1795639333831,"attempt":1,"model":"","path":"","promptHash":"","request":{"input":{},"temperature":0},"sample":0,"seq":1,"type":"model-call-start"}',
    '{"at":1795639333831,"attempt":1,"model":"simulated:","path":"","sample":0,"seq":1,"simulated":true,"text":"","type":"model-call-end","usage":{"inputTokens":605,"outputTokens":58}}',
    '{"at":1795639333831,"candidate":0,"path":"","sample":0,"seq":1,"type":"vote-cast","votes":1}',
    '{"at":1795639333831,"candidate":0,"lead":3,"path":"","samples":3,"seq":1,"type":"vote-decided","votes":3}',
    '{"at":1795639333831,"fireAt":1795639333831,"path":"","purpose":"retry","seq":1,"timer":1,"type":"timer-start"}',
    '{"at":1795639333831,"output":{},"path":"","seq":1,"status":"completed","type":"step-end"}',
  ].join(','),
);

/** The value to store for a body: the text itself, or its packed bytes. */
export function packBody(text: string): string | Buffer {
  if (text.length < PACK_FROM) return text;
  const packed = deflateRawSync(text, { level: 2, dictionary: DICTIONARY_V1 });
  const row = Buffer.allocUnsafe(packed.length + 1);
  row[0] = FORMAT_DEFLATE_V1;
  packed.copy(row, 1);
  return row;
}

/** The body's canonical text from a stored value; throws on a format this version does not know. */
export function unpackBody(stored: string | Uint8Array): string {
  if (typeof stored === 'string') return stored;
  const format = stored[0];
  if (format !== FORMAT_DEFLATE_V1)
    throw new Error(`batch body has unknown storage format ${String(format)}`);
  return inflateRawSync(stored.subarray(1), { dictionary: DICTIONARY_V1 }).toString('utf8');
}
