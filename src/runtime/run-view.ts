import type { JournalEvent } from '../core/events.js';
import type { JsonValue } from '../core/json.js';
import type { RunRecord } from '../core/ports.js';

export interface StepRow {
  path: string;
  kind: string;
  status: string;
  attempts: number;
  startedAt: number;
  endedAt?: number;
  durationMs?: number;
  error?: string;
}

/** What `runs show` and the API present: a projection of the journal, computed in one pass. */
export interface RunView {
  run: RunRecord;
  events: number;
  steps: StepRow[];
  toolCalls: number;
  modelCalls: number;
  simulatedModelCalls: number;
  tokens: { input: number; output: number };
  retries: number;
  pending: Array<{ path: string; kind: 'approval' | 'outcome-unknown'; message: string }>;
  output?: JsonValue;
  error?: { type: string; message: string };
  startedAt: number;
  endedAt?: number;
}

export function viewRun(run: RunRecord, events: readonly JournalEvent[]): RunView {
  const steps = new Map<string, StepRow>();
  const pending = new Map<string, RunView['pending'][number]>();
  const view: RunView = {
    run,
    events: events.length,
    steps: [],
    toolCalls: 0,
    modelCalls: 0,
    simulatedModelCalls: 0,
    tokens: { input: 0, output: 0 },
    retries: 0,
    pending: [],
    startedAt: events[0]?.at ?? run.createdAt,
  };
  for (const event of events) {
    switch (event.type) {
      case 'step-start':
        steps.set(event.path, {
          path: event.path,
          kind: event.kind,
          status: 'running',
          attempts: 0,
          startedAt: event.at,
        });
        break;
      case 'step-end': {
        const row = steps.get(event.path);
        if (!row) break;
        row.status = event.status;
        row.endedAt = event.at;
        row.durationMs = event.at - row.startedAt;
        if (event.error) row.error = `${event.error.type}: ${event.error.message}`;
        break;
      }
      case 'tool-call-start':
      case 'model-call-start': {
        const row = steps.get(event.path);
        if (row) row.attempts = Math.max(row.attempts, event.attempt);
        if (event.type === 'tool-call-start') view.toolCalls += 1;
        else view.modelCalls += 1;
        break;
      }
      case 'model-call-end':
        if (event.simulated) view.simulatedModelCalls += 1;
        view.tokens.input += event.usage.inputTokens;
        view.tokens.output += event.usage.outputTokens;
        break;
      case 'timer-start':
        view.retries += 1;
        break;
      case 'approval-request':
        pending.set(event.path, { path: event.path, kind: 'approval', message: event.message });
        setStatus(steps, event.path, 'waiting');
        break;
      case 'outcome-unknown':
        pending.set(event.path, {
          path: event.path,
          kind: 'outcome-unknown',
          message: `tool ${event.tool} attempt ${event.attempt} may or may not have run (key ${event.key})`,
        });
        setStatus(steps, event.path, 'outcome-unknown');
        break;
      case 'approval-decision':
      case 'outcome-decision':
        pending.delete(event.path);
        setStatus(steps, event.path, 'running');
        break;
      case 'run-end':
        view.endedAt = event.at;
        if (event.output !== undefined) view.output = event.output;
        if (event.error) view.error = { type: event.error.type, message: event.error.message };
        pending.clear();
        break;
      default:
        break;
    }
  }
  view.steps = [...steps.values()];
  view.pending = [...pending.values()];
  return view;
}

function setStatus(steps: Map<string, StepRow>, path: string, status: string): void {
  const row = steps.get(path);
  if (row) row.status = status;
}
