import { afterEach, describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/core/json.js';
import {
  echoTool,
  expectVerified,
  harness,
  ofType,
  stepEnd,
  tempSqlite,
  workflow,
  type TempSqlite,
} from './harness.js';

const spec = workflow({
  name: 'gated',
  steps: [
    { id: 'draft', kind: 'tool', tool: 'echo', input: '$.input.text' },
    { id: 'review', kind: 'approval', message: 'Publish this draft?', after: ['draft'] },
    {
      id: 'publish',
      kind: 'tool',
      tool: 'echo',
      input: { text: '$.steps.draft.output', decision: '$.steps.review.output' },
    },
  ],
});

describe('approval steps', () => {
  let db: TempSqlite | undefined;
  afterEach(() => {
    db?.cleanup();
    db = undefined;
  });

  it('pauses the run as waiting with the approval listed as pending', async () => {
    const { runtime, store } = harness({ tools: [echoTool()] });
    const outcome = await runtime.start({ spec }, { text: 'hello' });
    expect(outcome.status).toBe('waiting');
    expect(outcome.output).toBeUndefined();
    expect(outcome.pending).toEqual([
      { runId: outcome.runId, path: 'review', kind: 'approval', message: 'Publish this draft?' },
    ]);
    expect((await store.getRun(outcome.runId))?.status).toBe('waiting');
    const events = await runtime.events(outcome.runId);
    expect(ofType(events, 'approval-request')).toMatchObject([
      { path: 'review', message: 'Publish this draft?' },
    ]);
    expect(ofType(events, 'step-start').map((e) => e.path)).not.toContain('publish');
    await expectVerified(runtime, outcome.runId);
  });

  it('survives the process: a new Runtime over the same SQLite file approves and completes', async () => {
    db = tempSqlite();
    const first = harness({ tools: [echoTool()], store: db.open() });
    const paused = await first.runtime.start({ spec }, { text: 'hello' });
    expect(paused.status).toBe('waiting');
    await first.store.close();

    // A different process: new store connection, new registry, new runtime; nothing shared in memory.
    const secondStore = db.open();
    const second = harness({ tools: [echoTool()], store: secondStore });
    const done = await second.runtime.approve(paused.runId, 'review', {
      approved: true,
      value: { edits: 0 },
      comment: 'ship it',
    });

    expect(done.status).toBe('completed');
    expect(done.output).toEqual({
      text: 'hello',
      decision: { approved: true, value: { edits: 0 }, comment: 'ship it' },
    });
    expect((await secondStore.getRun(paused.runId))?.status).toBe('completed');
    const events = await second.runtime.events(paused.runId);
    expect(ofType(events, 'approval-decision')).toMatchObject([
      { path: 'review', approved: true, comment: 'ship it' },
    ]);
    // The draft step did not run again after the restart.
    expect(ofType(events, 'tool-call-start').map((e) => e.path)).toEqual(['draft', 'publish']);
    await expectVerified(second.runtime, paused.runId);
    await secondStore.close();
  });

  it('fails the step with rejected, and so the run, when the approval is rejected', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const paused = await runtime.start({ spec }, { text: 'hello' });
    const done = await runtime.approve(paused.runId, 'review', {
      approved: false,
      comment: 'not today',
    });
    expect(done.status).toBe('failed');
    expect(done.error).toEqual({ type: 'rejected', message: 'not today' });
    const events = await runtime.events(paused.runId);
    expect(stepEnd(events, 'review').error?.type).toBe('rejected');
    expect(ofType(events, 'step-start').map((e) => e.path)).not.toContain('publish');
    await expectVerified(runtime, paused.runId);
  });

  it('carries on past a rejection when the approval step has onError: continue', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const lenient = workflow({
      name: 'gated-lenient',
      steps: [
        { id: 'review', kind: 'approval', onError: 'continue' },
        {
          id: 'after',
          kind: 'tool',
          tool: 'echo',
          input: { status: '$.steps.review.status', error: '$.steps.review.error.type' },
        },
      ],
    });
    const paused = await runtime.start({ spec: lenient });
    const done = await runtime.approve(paused.runId, 'review', { approved: false });
    expect(done.status).toBe('completed');
    expect(done.output).toEqual({ status: 'failed', error: 'rejected' });
    await expectVerified(runtime, paused.runId);
  });

  it('refuses to approve a step that is not waiting, naming what is pending', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const paused = await runtime.start({ spec }, { text: 'x' });
    await expect(
      runtime.approve(paused.runId, 'publish', { approved: true }),
    ).rejects.toMatchObject({
      code: 'NOT_PENDING',
      hint: expect.stringContaining('review') as unknown,
    });
  });

  it('waits for every approval in parallel branches before completing', async () => {
    const { runtime, store } = harness({ tools: [echoTool()] });
    const two = workflow({
      name: 'two-approvals',
      steps: [
        {
          id: 'both',
          kind: 'parallel',
          branches: {
            legal: { steps: [{ id: 'ok', kind: 'approval', message: 'legal' }] },
            tech: { steps: [{ id: 'ok', kind: 'approval', message: 'tech' }] },
          },
        },
      ],
    });
    const paused = await runtime.start({ spec: two });
    expect(paused.pending.map((p) => p.path).sort()).toEqual(['both/legal/ok', 'both/tech/ok']);
    const half = await runtime.approve(paused.runId, 'both/tech/ok', { approved: true });
    expect(half.status).toBe('waiting');
    expect(half.pending.map((p) => p.path)).toEqual(['both/legal/ok']);
    expect((await store.getRun(paused.runId))?.status).toBe('waiting');
    const done = await runtime.approve(paused.runId, 'both/legal/ok', { approved: true });
    expect(done.status).toBe('completed');
    await expectVerified(runtime, paused.runId);
  });

  it('refuses an approval value that is not JSON, before recording anything', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const paused = await runtime.start({ spec }, { text: 'x' });
    const before = (await runtime.events(paused.runId)).length;
    await expect(
      runtime.approve(paused.runId, 'review', {
        approved: true,
        value: { when: new Date(0) } as unknown as JsonValue,
      }),
    ).rejects.toMatchObject({ code: 'VALUE_NOT_JSON' });
    expect(await runtime.events(paused.runId)).toHaveLength(before);
    await expectVerified(runtime, paused.runId);
  });
});
