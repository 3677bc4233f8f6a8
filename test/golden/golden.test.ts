import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { importRuns, type GoldenFile } from './golden-file.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/golden');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('golden journals recorded by earlier versions still replay to the same decisions', () => {
  it('there are golden journals to check', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of files) {
    it(`${file} verifies: hash chain, payloads and every decision`, async () => {
      const golden = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as GoldenFile;
      const store = new MemoryJournalStore();
      await importRuns(store, golden);
      const top = golden.runs[0]?.run.runId as string;
      const report = await new Runtime({ store }).verify(top);
      expect(report.error).toBeUndefined();
      expect(report.ok).toBe(true);
      expect(report.decisionsChecked).toBeGreaterThan(0);
    });
  }
});
