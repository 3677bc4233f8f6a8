// The API's shapes, as the dashboard reads them. Journal events and the run view are the server's
// own types (type-only imports: nothing of the engine is bundled).
import type { JournalEvent } from '../../src/core/events.js';
import type { RunRecord, RunStatus } from '../../src/core/ports.js';
import type { RunView } from '../../src/runtime/run-view.js';
import type { GraphEdge, GraphNode, WorkflowGraph } from '../../src/server/graph.js';

export type { GraphEdge, GraphNode, JournalEvent, RunRecord, RunStatus, WorkflowGraph };

export interface RunDetails extends RunView {
  costUsd: number;
  unpricedModelCalls: number;
  children: RunRecord[];
}

export interface VerifyReport {
  runId: string;
  ok: boolean;
  events: number;
  decisionsChecked: number;
  error?: { code: string; message: string };
  children: VerifyReport[];
}

export interface ApiErrorBody {
  error: { code: string; message: string; path?: string; hint?: string };
}
