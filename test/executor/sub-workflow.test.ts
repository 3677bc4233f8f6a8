import { describe, expect, it } from 'vitest';
import {
  echoTool,
  expectVerified,
  harness,
  ofType,
  safeTool,
  ticks,
  unsafeTool,
  workflow,
} from './harness.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';

const child = {
  name: 'child',
  steps: [{ id: 'shout', kind: 'tool', tool: 'upper', input: '$.input.word' }],
  output: { loud: '$.steps.shout.output' },
};

const upper = () => safeTool('upper', (input) => (input as string).toUpperCase());

describe('sub-workflows', () => {
  it('runs the child as its own linked run and passes its output to the parent', async () => {
    const { runtime, store } = harness({ tools: [upper(), echoTool()] });
    const spec = workflow({
      name: 'parent',
      workflows: { child },
      steps: [
        { id: 'sub', kind: 'workflow', workflow: 'child', input: { word: '$.input.word' } },
        { id: 'after', kind: 'tool', tool: 'echo', input: { got: '$.steps.sub.output' } },
      ],
    });

    const outcome = await runtime.start({ spec }, { word: 'hey' });

    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ got: { loud: 'HEY' } });
    const events = await runtime.events(outcome.runId);
    const [start] = ofType(events, 'child-run-start');
    expect(start).toMatchObject({ path: 'sub', workflow: 'child', input: { word: 'hey' } });
    const childId = start?.childRunId as string;
    const childRun = await store.getRun(childId);
    expect(childRun?.parentRunId).toBe(outcome.runId);
    expect(childRun?.status).toBe('completed');
    expect(childRun?.workflow).toBe('child');
    // The child's journal is its own, with the parent link in its run-start.
    const childEvents = await runtime.events(childId);
    expect(childEvents[0]).toMatchObject({
      type: 'run-start',
      runId: childId,
      parent: { runId: outcome.runId, path: 'sub' },
    });
    expect(ofType(childEvents, 'tool-call-start').map((e) => e.path)).toEqual(['shout']);
    expect(ofType(events, 'tool-call-start').map((e) => e.path)).toEqual(['after']);
    expect(ofType(events, 'child-run-end')).toMatchObject([
      { childRunId: childId, status: 'completed', output: { loud: 'HEY' } },
    ]);
    const report = await runtime.verify(outcome.runId);
    expect(report.ok).toBe(true);
    expect(report.children.map((c) => c.runId)).toEqual([childId]);
  });

  it('pauses the parent on an approval inside the child; approving via the parent completes both', async () => {
    const { runtime, store } = harness({ tools: [upper(), echoTool()] });
    const spec = workflow({
      name: 'parent-gated',
      workflows: {
        child: {
          name: 'child-gated',
          steps: [
            { id: 'gate', kind: 'approval', message: 'let the child go on?' },
            { id: 'shout', kind: 'tool', tool: 'upper', input: '$.input.word', after: ['gate'] },
          ],
        },
      },
      steps: [
        { id: 'sub', kind: 'workflow', workflow: 'child', input: { word: '$.input.word' } },
        { id: 'after', kind: 'tool', tool: 'echo', input: '$.steps.sub.output' },
      ],
    });

    const paused = await runtime.start({ spec }, { word: 'hey' });

    expect(paused.status).toBe('waiting');
    const childId = ofType(await runtime.events(paused.runId), 'child-run-start')[0]?.childRunId;
    expect(childId).toBeDefined();
    expect(paused.pending).toEqual([
      { runId: childId, path: 'gate', kind: 'approval', message: 'let the child go on?' },
    ]);
    expect((await store.getRun(childId as string))?.status).toBe('waiting');

    const done = await runtime.approve(paused.runId, 'gate', { approved: true });

    expect(done.status).toBe('completed');
    expect(done.runId).toBe(paused.runId);
    expect(done.output).toBe('HEY');
    expect((await store.getRun(childId as string))?.status).toBe('completed');
    expect((await store.getRun(paused.runId))?.status).toBe('completed');
    // The child ran once: one child run, one child-run-start in the parent.
    expect(await store.listRuns({ parentRunId: paused.runId })).toHaveLength(1);
    expect(ofType(await runtime.events(paused.runId), 'child-run-start')).toHaveLength(1);
    await expectVerified(runtime, paused.runId);
  });

  it('records the parent as waiting in the store while its child waits', async () => {
    const { runtime, store } = harness({ tools: [upper()] });
    const spec = workflow({
      name: 'parent-status',
      workflows: { child: { name: 'c', steps: [{ id: 'gate', kind: 'approval' }] } },
      steps: [{ id: 'sub', kind: 'workflow', workflow: 'child' }],
    });
    const paused = await runtime.start({ spec });
    expect(paused.status).toBe('waiting');
    expect((await store.getRun(paused.runId))?.status).toBe('waiting');
    expect(await store.listRuns({ status: 'running' })).toEqual([]);
  });

  it('fails the parent step when the child fails', async () => {
    const { runtime } = harness({
      tools: [
        safeTool('upper', () => {
          throw Object.assign(new Error('no voice'), { retryable: false });
        }),
      ],
    });
    const spec = workflow({
      name: 'parent-fails',
      workflows: { child },
      steps: [{ id: 'sub', kind: 'workflow', workflow: 'child', input: { word: 'x' } }],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toContain('no voice');
    await expectVerified(runtime, outcome.runId);
  });

  it('fails the parent when the approval inside the child is rejected', async () => {
    const { runtime, store } = harness({ tools: [upper()] });
    const spec = workflow({
      name: 'parent-rejected',
      workflows: { child: { name: 'c', steps: [{ id: 'gate', kind: 'approval' }] } },
      steps: [{ id: 'sub', kind: 'workflow', workflow: 'child' }],
    });
    const paused = await runtime.start({ spec });
    const done = await runtime.approve(paused.runId, 'gate', { approved: false, comment: 'no' });
    expect(done.status).toBe('failed');
    expect(done.error).toEqual({ type: 'rejected', message: 'no' });
    expect((await store.getRun(paused.runId))?.status).toBe('failed');
    await expectVerified(runtime, paused.runId);
  });

  it('surfaces an unknown outcome inside the child through the parent and resolves it there', async () => {
    const store = new MemoryJournalStore();
    const spec = workflow({
      name: 'parent-unknown',
      workflows: {
        child: { name: 'c', steps: [{ id: 'pay', kind: 'tool', tool: 'pay', input: 5 }] },
      },
      steps: [
        { id: 'sub', kind: 'workflow', workflow: 'child' },
        { id: 'after', kind: 'tool', tool: 'echo', input: '$.steps.sub.output' },
      ],
    });
    let payCalls = 0;
    const pay = () => unsafeTool('pay', () => (payCalls += 1));
    const { runtime: dying } = harness({
      store,
      tools: [pay(), echoTool()],
      faults: {
        afterAppend(events) {
          if (events.some((e) => e.type === 'tool-call-start' && e.path === 'pay'))
            throw new Error('kill');
        },
      },
    });
    let parentId = '';
    await dying.start({ spec }, {}, { onStarted: (id) => (parentId = id) }).catch(() => undefined);
    // The child died mid-call; the parent's driver saw its child fail to report and is gone too.
    const { runtime } = harness({ store, tools: [pay(), echoTool()] });

    const paused = await runtime.resume(parentId);

    expect(paused.status).toBe('outcome-unknown');
    expect(paused.pending).toEqual([
      expect.objectContaining({ path: 'pay', kind: 'outcome-unknown' }),
    ]);
    expect((await store.getRun(parentId))?.status).toBe('outcome-unknown');
    expect(payCalls).toBe(0);
    const done = await runtime.resolveOutcome(parentId, 'pay', 'complete', 'paid-by-hand');
    expect(done.status).toBe('completed');
    expect(done.output).toBe('paid-by-hand');
    expect(payCalls).toBe(0);
    await expectVerified(runtime, parentId);
  });

  it('cancels a waiting child when its parent is cancelled', async () => {
    const { runtime, store } = harness({ tools: [upper()] });
    const spec = workflow({
      name: 'parent-cancelled',
      workflows: { child: { name: 'c', steps: [{ id: 'gate', kind: 'approval' }] } },
      steps: [{ id: 'sub', kind: 'workflow', workflow: 'child' }],
    });
    const paused = await runtime.start({ spec });
    const childId = paused.pending[0]?.runId as string;
    const done = await runtime.cancel(paused.runId);
    expect(done.status).toBe('cancelled');
    expect((await store.getRun(childId))?.status).toBe('cancelled');
    expect(await store.listRuns({ status: 'waiting' })).toEqual([]);
    await expectVerified(runtime, paused.runId);
  });

  it('cancels a paused child when a sibling failure ends the parent run', async () => {
    const { runtime, store } = harness({
      tools: [
        safeTool('boom', () => {
          throw Object.assign(new Error('sibling broke'), { retryable: false });
        }),
        // The child is still working when the sibling fails, and pauses only afterwards.
        safeTool('slow', () => ticks(5).then(() => 'prepared')),
      ],
    });
    const spec = workflow({
      name: 'parent-sibling-fails',
      workflows: {
        child: {
          name: 'c',
          steps: [
            { id: 'prep', kind: 'tool', tool: 'slow' },
            { id: 'gate', kind: 'approval', after: ['prep'] },
          ],
        },
      },
      steps: [
        {
          id: 'both',
          kind: 'parallel',
          branches: {
            a: { steps: [{ id: 'sub', kind: 'workflow', workflow: 'child' }] },
            b: { steps: [{ id: 'bad', kind: 'tool', tool: 'boom' }] },
          },
        },
      ],
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    const children = await store.listRuns({ parentRunId: outcome.runId });
    expect(children).toHaveLength(1);
    expect(children[0]?.status).toBe('cancelled');
    await expectVerified(runtime, outcome.runId);
  });

  it('fails the step, not the drive, when the sub-workflow is not bundled', async () => {
    const { runtime } = harness({ tools: [upper()] });
    const spec = workflow({
      name: 'parent-missing-child',
      steps: [{ id: 'sub', kind: 'workflow', workflow: 'nowhere', onError: 'continue' }],
      output: { status: '$.steps.sub.status', error: '$.steps.sub.error' },
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({
      status: 'failed',
      error: {
        type: 'error',
        code: 'WORKFLOW_NOT_FOUND',
        message: "sub-workflow 'nowhere' is not bundled with parent-missing-child",
        retryable: false,
      },
    });
    await expectVerified(runtime, outcome.runId);
  });

  describe('with several children waiting at the same path', () => {
    const fanned = workflow({
      name: 'parent-fan-out',
      workflows: {
        child: {
          name: 'c',
          steps: [
            { id: 'gate', kind: 'approval' },
            { id: 'e', kind: 'tool', tool: 'upper', input: '$.input', after: ['gate'] },
          ],
        },
      },
      steps: [
        {
          id: 'each',
          kind: 'map',
          items: '$.input',
          steps: [{ id: 'sub', kind: 'workflow', workflow: 'child', input: '$.item' }],
        },
      ],
    });

    it('completes the parent when each child is approved by the run id its pending entry names', async () => {
      const { runtime, store } = harness({ tools: [upper()] });
      const paused = await runtime.start({ spec: fanned }, ['a', 'b']);
      expect(paused.pending.map((p) => p.path)).toEqual(['gate', 'gate']);
      const [first, second] = paused.pending;

      const half = await runtime.approve(first?.runId as string, 'gate', { approved: true });
      expect(half.status).toBe('completed');
      expect((await store.getRun(paused.runId))?.status).toBe('waiting');
      await runtime.approve(second?.runId as string, 'gate', { approved: true });

      const parent = await store.getRun(paused.runId);
      expect(parent?.status).toBe('completed');
      expect(await runtime.resume(paused.runId)).toMatchObject({
        status: 'completed',
        output: ['A', 'B'],
      });
      await expectVerified(runtime, paused.runId);
    });

    it('refuses to guess which child an ambiguous parent-relative path means', async () => {
      const { runtime, store } = harness({ tools: [upper()] });
      const paused = await runtime.start({ spec: fanned }, ['a', 'b']);
      await expect(runtime.approve(paused.runId, 'gate', { approved: true })).rejects.toMatchObject(
        {
          code: 'PENDING_AMBIGUOUS',
        },
      );
      for (const child of await store.listRuns({ parentRunId: paused.runId }))
        expect(child.status).toBe('waiting');
    });
  });
});

describe('retry on a workflow step', () => {
  it('starts a fresh child run after a failed one, up to maxAttempts', async () => {
    let calls = 0;
    const flaky = safeTool('flaky-once', () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('transient'), { retryable: false });
      return 'ok';
    });
    const { runtime, store } = harness({ tools: [flaky] });
    const spec = workflow({
      name: 'parent-retry',
      steps: [
        {
          id: 'sub',
          kind: 'workflow',
          workflow: 'child',
          retry: { maxAttempts: 2, backoff: { initialMs: 1 } },
        },
      ],
      workflows: {
        child: { name: 'child', steps: [{ id: 'work', kind: 'tool', tool: 'flaky-once' }] },
      },
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toBe('ok');
    expect(await store.listRuns({ parentRunId: outcome.runId })).toHaveLength(2);
  });
});

describe('a parent that ends while a sub-workflow is still running', () => {
  it('cancels the child run instead of letting it finish its work', async () => {
    let childToolAborted = false;
    const hang = safeTool('hang', (_input, context) => {
      return new Promise((_resolve, reject) => {
        context.signal.addEventListener('abort', () => {
          childToolAborted = true;
          reject(new Error('aborted'));
        });
      });
    });
    const fail = safeTool('fail', () => {
      throw Object.assign(new Error('broken'), { retryable: false });
    });
    const { runtime, store } = harness({ tools: [hang, fail] });
    const spec = workflow({
      name: 'parent-ends',
      steps: [
        {
          id: 'both',
          kind: 'parallel',
          branches: {
            broken: {
              steps: [
                { id: 'broken', kind: 'tool', tool: 'fail', after: ['sub'] },
                { id: 'sub', kind: 'workflow', workflow: 'slow' },
              ],
            },
            quick: { steps: [{ id: 'quick', kind: 'tool', tool: 'fail' }] },
          },
        },
      ],
      workflows: { slow: { name: 'slow', steps: [{ id: 'wait', kind: 'tool', tool: 'hang' }] } },
    });
    const outcome = await runtime.start({ spec });
    expect(outcome.status).toBe('failed');
    const [child] = await store.listRuns({ parentRunId: outcome.runId });
    expect(child?.status).toBe('cancelled');
    expect(childToolAborted).toBe(true);
    await expectVerified(runtime, outcome.runId);
  });
});
