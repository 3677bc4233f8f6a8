import { describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { deferred, harness, safeTool, until, workflow } from './harness.js';

const spec = workflow({
  name: 'busy',
  steps: [
    { id: 'gate', kind: 'approval' },
    { id: 'slow', kind: 'tool', tool: 'slow' },
  ],
});

describe('deciding a run that another process is driving', () => {
  it('is refused with RUN_BUSY while the run is recorded as running, and accepted once it waits', async () => {
    const store = new MemoryJournalStore();
    const release = deferred<number>();
    const driving = harness({ store, tools: [safeTool('slow', () => release.promise)] }).runtime;
    const other = harness({ store, tools: [safeTool('slow', () => 1)] }).runtime;
    const started = driving.start({ spec });
    await until(async () => (await store.listRuns()).length === 1, 'the run to start');
    const [run] = await store.listRuns();
    const runId = run?.runId as string;
    await expect(other.approve(runId, 'gate', { approved: true })).rejects.toMatchObject({
      code: 'RUN_BUSY',
    });
    release.resolve(1);
    expect((await started).status).toBe('waiting');
    expect((await other.approve(runId, 'gate', { approved: true })).status).toBe('completed');
  });

  it('is allowed with force, for a run whose process was killed', async () => {
    const store = new MemoryJournalStore();
    const driving = harness({
      store,
      tools: [safeTool('slow', () => new Promise(() => undefined))],
    }).runtime;
    void driving.start({ spec });
    await until(async () => (await store.listRuns()).length === 1, 'the run to start');
    const [run] = await store.listRuns();
    const other = harness({ store, tools: [safeTool('slow', () => 2)] }).runtime;
    const outcome = await other.approve(
      run?.runId as string,
      'gate',
      { approved: true },
      { force: true },
    );
    expect(outcome.status).toBe('completed');
  });
});

describe('cancelling', () => {
  it('a run that already ended is refused with RUN_ENDED', async () => {
    const { runtime } = harness({ tools: [safeTool('slow', () => 1)] });
    const done = await runtime.start({
      spec: workflow({ name: 'quick', steps: [{ id: 's', kind: 'tool', tool: 'slow' }] }),
    });
    expect(done.status).toBe('completed');
    await expect(runtime.cancel(done.runId)).rejects.toMatchObject({ code: 'RUN_ENDED' });
  });
});

describe('deciding a long run', () => {
  it('replays its journal once, not once to find the decision and again to continue', async () => {
    class CountingStore extends MemoryJournalStore {
      reads = 0;
      override async read(runId: string, fromSeq?: number): ReturnType<MemoryJournalStore['read']> {
        this.reads += 1;
        return super.read(runId, fromSeq);
      }
    }
    const store = new CountingStore();
    const { runtime } = harness({ store, tools: [safeTool('slow', () => 1)] });
    const paused = await runtime.start({ spec });
    store.reads = 0;
    const done = await runtime.approve(paused.runId, 'gate', { approved: true });
    expect(done.status).toBe('completed');
    expect(store.reads).toBe(1);
  });
});
