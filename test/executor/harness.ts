// Shared helpers for the executor behaviour tests: a Runtime over a store with a VirtualClock, inline
// tools, journal accessors and a few synchronisation primitives that never sleep on wall-clock time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { EventType, JournalEvent } from '../../src/core/events.js';
import { chainHash } from '../../src/core/hash.js';
import { canonicalJson, type JsonValue } from '../../src/core/json.js';
import type {
  Clock,
  IdSource,
  JournalStore,
  RunStatus,
  StoredBatch,
  ToolContext,
  ToolDefinition,
} from '../../src/core/ports.js';
import { WorkflowSchema, type WorkflowSpec } from '../../src/core/spec.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { openSqliteStore, type SqliteJournalStore } from '../../src/journal/sqlite-store.js';
import type { ModelRegistry } from '../../src/providers/registry.js';
import type { FaultHooks } from '../../src/runtime/driver.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { VirtualClock } from '../support/virtual-clock.js';

export const T0 = 1_700_000_000_000;

/** Parses a spec through the canonical zod schema, filling defaults exactly as a real load would. */
export function workflow(spec: Record<string, unknown>): WorkflowSpec {
  return WorkflowSchema.parse(spec);
}

/** Run ids r1, r2, … so journals (and idempotency keys) are reproducible. */
export function sequentialIds(prefix = 'run'): IdSource {
  let n = 0;
  return { runId: () => `${prefix}-${++n}` };
}

export interface HarnessOptions {
  tools?: ToolDefinition[];
  store?: JournalStore;
  clock?: Clock;
  models?: ModelRegistry;
  faults?: FaultHooks;
  ids?: IdSource;
  checkpointBytes?: number;
}

export interface Harness {
  runtime: Runtime;
  store: JournalStore;
  clock: Clock;
}

export function harness(options: HarnessOptions = {}): Harness {
  const store = options.store ?? new MemoryJournalStore();
  const clock = options.clock ?? new VirtualClock(T0);
  const runtime = new Runtime({
    store,
    clock,
    tools: options.tools ?? [],
    ids: options.ids ?? sequentialIds(),
    ...(options.models ? { models: options.models } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.checkpointBytes === undefined ? {} : { checkpointBytes: options.checkpointBytes }),
  });
  return { runtime, store, clock };
}

type Execute = (input: JsonValue, ctx: ToolContext) => unknown;

export function safeTool(name: string, execute: Execute): ToolDefinition {
  return { name, retry: 'safe', execute };
}

export function unsafeTool(name: string, execute: Execute): ToolDefinition {
  return { name, retry: 'unsafe', execute };
}

/** A tool that returns its input unchanged. */
export function echoTool(name = 'echo'): ToolDefinition {
  return safeTool(name, (input) => input);
}

export type EventOf<T extends EventType> = Extract<JournalEvent, { type: T }>;

export function ofType<T extends EventType>(
  events: readonly JournalEvent[],
  type: T,
): Array<EventOf<T>> {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

/** `type path` per event, e.g. "tool-call-start a"; run-level events have no path. */
export function trace(events: readonly JournalEvent[]): string[] {
  return events.map((e) => ('path' in e ? `${e.type} ${e.path}` : e.type));
}

export function indexOf(events: readonly JournalEvent[], type: EventType, path?: string): number {
  return events.findIndex((e) => e.type === type && (path === undefined || pathOf(e) === path));
}

export function pathOf(event: JournalEvent): string | undefined {
  return 'path' in event ? event.path : undefined;
}

export function stepEnd(events: readonly JournalEvent[], path: string): EventOf<'step-end'> {
  const found = ofType(events, 'step-end').find((e) => e.path === path);
  if (!found) throw new Error(`no step-end for ${path} in\n${trace(events).join('\n')}`);
  return found;
}

/** Replays the run (and its children) from the store with no I/O and expects every decision to match. */
export async function expectVerified(runtime: Runtime, runId: string): Promise<void> {
  const report = await runtime.verify(runId);
  expect(report.error, JSON.stringify(report.error)).toBeUndefined();
  expect(report.ok).toBe(true);
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Yields to the event loop `n` times (macrotasks, not wall-clock time). */
export async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Polls (by macrotask) until the condition holds; fails loudly instead of hanging. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (await condition()) return;
    await ticks(1);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A promise that never settles: a tool that hangs forever. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

export interface TempSqlite {
  file: string;
  open(): SqliteJournalStore;
  cleanup(): void;
}

export function tempSqlite(): TempSqlite {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-executor-'));
  const file = join(dir, 'journal.db');
  return {
    file,
    open: () => openSqliteStore(file),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One event of a stored batch, as the tamper tests see it: its seq, type and stored text. */
export interface EventRow {
  seq: number;
  type: string;
  /** The event's canonical JSON as stored (large payloads as refs). */
  text: string;
  /** seq of the batch that holds it, and that batch's hash. */
  batchSeq: number;
  batchHash: string;
}

/** Every event of a run, split out of its batch rows. */
export async function eventRows(store: JournalStore, runId: string): Promise<EventRow[]> {
  const rows: EventRow[] = [];
  for (const batch of await store.read(runId)) {
    const events = JSON.parse(batch.body) as Array<{ type: string } & Record<string, JsonValue>>;
    events.forEach((event, i) =>
      rows.push({
        seq: batch.seq + i,
        type: event.type,
        text: canonicalJson(event),
        batchSeq: batch.seq,
        batchHash: batch.hash,
      }),
    );
  }
  return rows;
}

/**
 * Copies one run (its batches and the blobs they reference) into a fresh memory store, letting the
 * caller drop or change events and blob texts on the way: the stores copy defensively, so this is
 * how a test tampers with "the memory store" without reaching into private fields. Batches keep
 * their boundaries and their stored hashes (so a changed batch no longer matches its link), unless
 * `rechain` re-links every batch as a careful forger would.
 */
export async function copyRun(
  from: JournalStore,
  runId: string,
  change: {
    keep?(row: EventRow): boolean;
    event?(row: EventRow): string;
    blob?(hash: string, text: string): string;
    rechain?: boolean;
    /** The status to record; by default the original's (a cut journal of a crashed run says running). */
    status?: RunStatus;
  } = {},
): Promise<MemoryJournalStore> {
  const run = await from.getRun(runId);
  if (!run) throw new Error(`no run ${runId}`);
  const rows = await eventRows(from, runId);
  const batches: StoredBatch[] = [];
  let prev = '';
  for (const original of await from.read(runId)) {
    const texts = rows
      .filter((row) => row.batchSeq === original.seq && (change.keep?.(row) ?? true))
      .map((row) => change.event?.(row) ?? row.text);
    if (texts.length === 0) continue;
    const seq = batches.length === 0 ? 0 : (batches[batches.length - 1] as StoredBatch).lastSeq + 1;
    const body = `[${texts.join(',')}]`;
    const hash = change.rechain ? chainHash(prev, body) : original.hash;
    prev = hash;
    batches.push({ seq, lastSeq: seq + texts.length - 1, body, hash });
  }
  const blobs: Array<{ hash: string; text: string }> = [];
  for (const batch of batches) {
    for (const match of batch.body.matchAll(/"[a-z]+Ref":"([0-9a-f]{64})"/g)) {
      const hash = match[1] as string;
      const text = await from.getBlob(hash);
      if (text === undefined) throw new Error(`missing blob ${hash}`);
      blobs.push({ hash, text: change.blob?.(hash, text) ?? text });
    }
  }
  const to = new MemoryJournalStore();
  await to.append({
    runId,
    expectedSeq: 0,
    batches,
    blobs,
    status: change.status ?? run.status,
    at: run.updatedAt,
    create: {
      runId,
      workflow: run.workflow,
      specHash: run.specHash,
      parentRunId: run.parentRunId,
      createdAt: run.createdAt,
    },
  });
  return to;
}
