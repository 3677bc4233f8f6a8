import { describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { StoreClosedError } from '../../src/journal/errors.js';
import { describeJournalStoreConformance } from '../conformance/journal-store.js';

describeJournalStoreConformance('memory', async () => {
  const store = new MemoryJournalStore();
  return { store, cleanup: () => store.close() };
});

describe('MemoryJournalStore', () => {
  it('refuses use after close', async () => {
    const store = new MemoryJournalStore();
    await store.close();
    await expect(store.read('r')).rejects.toBeInstanceOf(StoreClosedError);
  });
});
