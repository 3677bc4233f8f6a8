// The journal writer may be told the canonical text of a payload it would otherwise serialise (the
// run-start's spec); what it stores must be exactly what it stores without being told.
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import { hashJson } from '../../src/core/hash.js';
import { canonicalJson, type JsonValue } from '../../src/core/json.js';
import { encodeEvent, rememberText } from '../../src/core/journal-codec.js';

function runStart(steps: number): JournalEvent {
  const spec = {
    name: 'big',
    steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, kind: 'tool', tool: 'noop' })),
  };
  return {
    type: 'run-start',
    seq: 0,
    at: 1,
    runId: 'run_1',
    workflow: 'big',
    specHash: 'h',
    spec,
    input: { x: 1 },
    prompts: {},
    tools: {},
  } as unknown as JournalEvent;
}

describe('encodeEvent with a remembered payload text', () => {
  for (const steps of [1, 30, 300]) {
    it(`stores the same text and blobs as without it (${steps}-step spec)`, () => {
      const told = runStart(steps);
      const spec = (told as unknown as { spec: JsonValue & object }).spec;
      rememberText(spec, canonicalJson(spec), hashJson(spec));
      const untold = JSON.parse(JSON.stringify(told)) as JournalEvent;
      expect(encodeEvent(told)).toEqual(encodeEvent(untold));
    });
  }

  it('moves a spec over the inline limit to a blob named by its hash', () => {
    const event = runStart(300);
    const spec = (event as unknown as { spec: JsonValue & object }).spec;
    rememberText(spec, canonicalJson(spec), hashJson(spec));
    const encoded = encodeEvent(event);
    expect(encoded.blobs).toHaveLength(1);
    expect(encoded.blobs[0]?.text).toBe(canonicalJson(spec));
    expect(JSON.parse(encoded.text)).toMatchObject({ specRef: encoded.blobs[0]?.hash });
    expect(encoded.text).not.toContain('"spec":');
  });
});
