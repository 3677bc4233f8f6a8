import { describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { sequentialIds, workflow } from './harness.js';

const spec = workflow({
  name: 'tool-change',
  steps: [
    { id: 'first', kind: 'tool', tool: 'lookup' },
    { id: 'gate', kind: 'approval', after: ['first'] },
    { id: 'second', kind: 'tool', tool: 'lookup', after: ['gate'] },
  ],
});

function runtimeWith(
  store: MemoryJournalStore,
  version: string | undefined,
  warnings: string[],
): Runtime {
  return new Runtime({
    store,
    clock: new VirtualClock(),
    ids: sequentialIds(),
    onWarning: (message) => warnings.push(message),
    tools: [
      {
        name: 'lookup',
        retry: 'safe',
        ...(version ? { version } : {}),
        execute: () => version ?? 'none',
      },
    ],
  });
}

describe('a tool that changed underneath a run', () => {
  it('is reported when the run resumes, and later calls use the new version', async () => {
    const store = new MemoryJournalStore();
    const warnings: string[] = [];
    const paused = await runtimeWith(store, '1.0.0', warnings).start({ spec });
    expect(paused.status).toBe('waiting');
    const done = await runtimeWith(store, '2.0.0', warnings).approve(paused.runId, 'gate', {
      approved: true,
    });
    expect(done.status).toBe('completed');
    expect(done.output).toBe('2.0.0');
    expect(warnings).toEqual([
      expect.stringMatching(/tool 'lookup' was version 1\.0\.0 .* is 2\.0\.0 now/),
    ]);
  });

  it('is not reported when the version is unchanged', async () => {
    const store = new MemoryJournalStore();
    const warnings: string[] = [];
    const paused = await runtimeWith(store, '1.0.0', warnings).start({ spec });
    await runtimeWith(store, '1.0.0', warnings).approve(paused.runId, 'gate', { approved: true });
    expect(warnings).toEqual([]);
  });
});
