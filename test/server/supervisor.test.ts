// The supervisor resumes what a previous server left running, and only that: a run submitted to
// this server before its startup resume lists the store is already driven here.
import { describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { createLogger } from '../../src/observability/logger.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { EventHub } from '../../src/server/hub.js';
import { RunSupervisor } from '../../src/server/supervisor.js';
import { parseWorkflow } from '../../src/spec/parse.js';

describe('RunSupervisor.resumeInFlight', () => {
  it('leaves alone a run this server already drives: its call in flight is not re-armed', async () => {
    let release: (() => void) | undefined;
    const hub = new EventHub();
    const store = new MemoryJournalStore();
    const runtime = new Runtime({
      store,
      tools: [
        {
          name: 'gate',
          retry: 'safe',
          execute: () => new Promise((resolve) => (release = () => resolve({ ok: true }))),
        },
      ],
      onEvents: (runId, events) => hub.publish(runId, events),
    });
    const supervisor = new RunSupervisor(runtime, hub, createLogger({ level: 'silent' }));
    const spec = parseWorkflow({
      name: 'gated',
      steps: [{ id: 'gate', kind: 'tool', tool: 'gate', input: {} }],
    });
    const accepted = await supervisor.submit({ spec }, {});
    // The call is in flight: the run is `running` in the store and driven by this supervisor.
    await expect.poll(() => release !== undefined).toBe(true);

    expect(await supervisor.resumeInFlight()).toEqual([]);
    release?.();
    await supervisor.idleRun(accepted.runId);

    const events = await runtime.events(accepted.runId);
    expect(events.filter((event) => event.type === 'tool-call-interrupted')).toEqual([]);
    expect(events.filter((event) => event.type === 'tool-call-start')).toHaveLength(1);
    expect((await runtime.getRun(accepted.runId)).status).toBe('completed');
  });
});
