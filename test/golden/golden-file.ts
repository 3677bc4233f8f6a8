import type { Blob, JournalStore, RunRecord, StoredBatch } from '../../src/core/ports.js';

/** A run tree exactly as stored: what a golden journal file holds. */
export interface GoldenFile {
  runs: Array<{ run: RunRecord; batches: StoredBatch[] }>;
  blobs: Blob[];
}

export async function exportRun(store: JournalStore, runId: string): Promise<GoldenFile> {
  const golden: GoldenFile = { runs: [], blobs: [] };
  const seen = new Set<string>();
  const visit = async (id: string): Promise<void> => {
    const run = await store.getRun(id);
    if (!run) throw new Error(`no run ${id}`);
    const batches = await store.read(id);
    golden.runs.push({ run, batches });
    for (const batch of batches) {
      for (const match of batch.body.matchAll(/"[a-zA-Z]+Ref":"([0-9a-f]{64})"/g)) {
        const hash = match[1] as string;
        if (seen.has(hash)) continue;
        seen.add(hash);
        const text = await store.getBlob(hash);
        if (text === undefined) throw new Error(`missing blob ${hash}`);
        golden.blobs.push({ hash, text });
      }
    }
    for (const child of await store.listRuns({ parentRunId: id })) await visit(child.runId);
  };
  await visit(runId);
  return golden;
}

/** Writes a golden file's runs into a store, exactly as they were stored. */
export async function importRuns(store: JournalStore, golden: GoldenFile): Promise<void> {
  for (const { run, batches } of golden.runs) {
    await store.append({
      runId: run.runId,
      expectedSeq: 0,
      batches,
      blobs: golden.blobs,
      status: run.status,
      at: run.updatedAt,
      create: {
        runId: run.runId,
        workflow: run.workflow,
        specHash: run.specHash,
        parentRunId: run.parentRunId,
        createdAt: run.createdAt,
      },
    });
  }
}
