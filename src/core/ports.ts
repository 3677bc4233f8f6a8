import type { Failure } from './errors.js';
import type { JsonValue } from './json.js';

/** Run status as kept beside the journal, for listing runs without folding every journal. */
export const RUN_STATUSES = [
  'running',
  'waiting',
  'outcome-unknown',
  'completed',
  'failed',
  'cancelled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run in one of these states will never append another event. */
export function isTerminalStatus(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export interface RunRecord {
  runId: string;
  workflow: string;
  specHash: string;
  status: RunStatus;
  parentRunId: string | null;
  createdAt: number;
  updatedAt: number;
  /** seq of the last event; -1 for a run with no events. */
  headSeq: number;
}

/**
 * One append as a store keeps it: the events of one driver tick (one or more world events, each
 * followed by the decisions it led to) as a canonical JSON array, and its link in the hash chain.
 * One row per append rather than per event: a step is one row, one hash and one b-tree insert.
 */
export interface StoredBatch {
  /** seq of the batch's first event. */
  seq: number;
  /** seq of its last event (seq + events - 1). */
  lastSeq: number;
  /** '[' + the events' canonical JSON texts joined by ',' + ']'. */
  body: string;
  /** sha256(previous batch's hash ‖ body); the first batch's previous hash is ''. */
  hash: string;
}

export interface Blob {
  hash: string;
  /** Canonical JSON text of the payload. */
  text: string;
}

/**
 * The engine's state at a batch boundary, so resume can start there instead of at seq 0. Not part
 * of the hash chain: `replay --verify` re-derives it and compares, and resume checks the batch it
 * sits on.
 */
export interface Checkpoint {
  /** seq of the last event the state covers (the last event of a batch). */
  seq: number;
  /** Canonical JSON: the run-start event as stored and the engine snapshot after `seq`. */
  state: string;
}

export interface AppendRequest {
  runId: string;
  /** The seq the first event must have: the run's head seq + 1. Anything else is a conflict. */
  expectedSeq: number;
  /** Usually one; none when only the status changes. Consecutive: each starts after the last. */
  batches: StoredBatch[];
  blobs: Blob[];
  /** New run metadata when the batch starts a run (expectedSeq 0). */
  create?: Omit<RunRecord, 'headSeq' | 'updatedAt' | 'status'>;
  status?: RunStatus;
  at: number;
  /** Replaces the run's checkpoint, in the same transaction; its seq is the request's last. */
  checkpoint?: Checkpoint;
}

export interface RunFilter {
  status?: RunStatus;
  workflow?: string;
  parentRunId?: string | null;
  limit?: number;
}

/**
 * The journal store port. Implementations: memory, SQLite, PostgreSQL; one conformance suite
 * (test/conformance/journal-store.ts) runs against each.
 */
export interface JournalStore {
  readonly specificationVersion: 'v1';
  readonly kind: string;
  /** Appends atomically; throws JournalConflictError if expectedSeq is not the run's head + 1. */
  append(request: AppendRequest): Promise<void>;
  /** Appends several batches in one transaction where the store can (group commit). */
  appendMany(requests: AppendRequest[]): Promise<void>;
  /**
   * The run's batches in seq order; with fromSeq, those holding an event at or after it; with
   * limit, at most that many (a million-step journal is read a page at a time).
   */
  read(runId: string, fromSeq?: number, limit?: number): Promise<StoredBatch[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  getBlob(hash: string): Promise<string | undefined>;
  /** The run's latest checkpoint, if one was written. */
  readCheckpoint(runId: string): Promise<Checkpoint | undefined>;
  /**
   * A small process-wide value kept beside the journals, by key (the tool health table lives under
   * `tool-health`). Not part of any run's journal or hash chain; a put replaces the value at once,
   * durably, in its own transaction.
   */
  getMeta(key: string): Promise<string | undefined>;
  putMeta(key: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export interface Clock {
  now(): number;
  /** Calls `callback` at or after `at` (ms since epoch); returns a cancel function. */
  setTimer(at: number, callback: () => void): () => void;
}

export interface IdSource {
  runId(): string;
}

export interface ToolContext {
  runId: string;
  stepPath: string;
  attempt: number;
  /** Stable across re-delivery of the same attempt; pass it to the remote system to deduplicate. */
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface ToolDefinition {
  name: string;
  version?: string;
  description?: string;
  /** 'safe' tools may be called again after a crash; 'unsafe' ones stop the run as outcome-unknown. */
  retry?: 'safe' | 'unsafe';
  /** JSON Schema for the input, checked before the call. */
  inputSchema?: JsonValue;
  execute(input: JsonValue, context: ToolContext): unknown;
}

export interface ModelRequest {
  model: string;
  prompt: string;
  /** JSON Schema the output must satisfy, when the step declares one. */
  outputSchema?: JsonValue;
  temperature: number;
  maxTokens?: number;
  /** Seeds the simulated model; real providers ignore it. */
  sampleKey: string;
  /**
   * For a vote step's sample: the step's path and the sample's index (a simulated model may answer
   * by them, e.g. correlated mistakes within a step); real providers ignore it.
   */
  sample?: { step: string; index: number };
  /** Tools the model may ask to call; the calls come back in `toolCalls`, none is executed. */
  tools?: ModelTool[];
  /** auto (default): the model decides; required: it must call one; none: it may not. */
  toolChoice?: 'auto' | 'required' | 'none';
}

/** A tool the model may ask to call (docs/models.md#tool-calls): its input as a JSON Schema. */
export interface ModelTool {
  name: string;
  description?: string;
  inputSchema: JsonValue;
}

/** A call the model asked for: the provider's call id, the tool's name and its parsed input. */
export interface ModelToolCall {
  id: string;
  name: string;
  input: JsonValue;
}

export interface ModelResponse {
  text: string;
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  simulated?: boolean;
  /** Why generation stopped: stop, length, content-filter, tool-calls, error, other. */
  finishReason?: string;
  /** What the call cost in USD, when the model has a price (the metered seam fills it in). */
  costUsd?: number;
  /** The tool calls the model asked for (finish reason `tool-calls`), when the request had tools. */
  toolCalls?: ModelToolCall[];
}

export interface ModelProvider {
  readonly specificationVersion: 'v1';
  readonly name: string;
  generate(request: ModelRequest, signal: AbortSignal): Promise<ModelResponse>;
}

export type { Failure };
