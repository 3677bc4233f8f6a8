import { describe, expect, it } from 'vitest';
import type { AppendRequest } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ManualClock } from '../support/manual-clock.js';
import { deferred, harness, safeTool, until, workflow } from './harness.js';

describe('the driver never waits on work that no longer matters', () => {
  it("abandons a cancelled step's in-flight call, so a paused run returns at once", async () => {
    let aborted = false;
    const hang = safeTool('hang', (_input, context) => {
      return new Promise((_resolve, reject) => {
        context.signal.addEventListener('abort', () => {
          aborted = true;
          reject(new Error('aborted'));
        });
      });
    });
    const fail = safeTool('fail', () => {
      throw Object.assign(new Error('no'), { retryable: false });
    });
    const { runtime } = harness({ tools: [hang, fail] });
    const spec = workflow({
      name: 'cancelled-call',
      steps: [
        { id: 'gate', kind: 'approval' },
        {
          id: 'work',
          kind: 'parallel',
          onError: 'continue',
          branches: {
            slow: { steps: [{ id: 'slow', kind: 'tool', tool: 'hang' }] },
            broken: { steps: [{ id: 'broken', kind: 'tool', tool: 'fail' }] },
          },
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('waiting');
    expect(aborted).toBe(true);
    const events = await runtime.events(outcome.runId);
    expect(
      events.some(
        (e) => e.type === 'step-end' && e.path === 'work/slow/slow' && e.status === 'cancelled',
      ),
    ).toBe(true);
  });
});

describe('a store failure while driving', () => {
  it('rejects and leaves no timer armed to keep the process alive', async () => {
    class FailingStore extends MemoryJournalStore {
      failNext = false;
      override async append(request: AppendRequest): Promise<void> {
        if (this.failNext) throw new Error('disk full');
        return super.append(request);
      }
    }
    const store = new FailingStore();
    const clock = new ManualClock();
    const release = deferred<number>();
    const flaky = safeTool('flaky', () => {
      throw new Error('try again');
    });
    const later = safeTool('later', () => release.promise);
    const { runtime } = harness({ tools: [flaky, later], store, clock });
    const spec = workflow({
      name: 'store-failure',
      steps: [
        {
          id: 'a',
          kind: 'tool',
          tool: 'flaky',
          retry: { maxAttempts: 5, backoff: { initialMs: 60_000 } },
        },
        { id: 'b', kind: 'tool', tool: 'later', timeoutMs: 3_600_000 },
      ],
    });
    const started = runtime.start({ spec });
    // b's deadline and a's retry backoff are both armed before the store starts failing.
    await until(() => clock.pendingTimers === 2, 'the retry timer');
    store.failNext = true;
    release.resolve(1);
    await expect(started).rejects.toThrow('disk full');
    expect(clock.pendingTimers).toBe(0);
  });
});
