import type { JournalStore } from '../core/ports.js';
import {
  breakerOf,
  DEFAULT_BREAKER_POLICY,
  markDown,
  downTools,
  recordFailure,
  type BreakerPolicy,
  type BreakerState,
  type ToolHealth,
} from '../routing/breaker.js';
import type { HealthPort } from './driver.js';

/** The store's meta key the table is kept under. */
export const TOOL_HEALTH_KEY = 'tool-health';

/**
 * The circuit breakers of every tool, shared by all runs of one Runtime and persisted in its store
 * (under the meta key `tool-health`), so a restarted process remembers open breakers. This is the
 * nondeterministic half of routing: it is fed by every tool call's result with the clock's time,
 * and read only by the driver, which journals the view a route step decides on (`route-health`).
 *
 * Only breakers with something to remember are kept: a success removes its tool's record, so a
 * success on a closed breaker with no failures changes nothing and writes nothing. Every change is
 * written at once, whole (the table holds the few tools that are failing), in order.
 */
export class ToolHealthTable implements HealthPort {
  private table: ToolHealth = {};
  private loading: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: JournalStore,
    readonly policy: BreakerPolicy = DEFAULT_BREAKER_POLICY,
    private readonly onWarning?: (message: string) => void,
  ) {}

  /** Reads the persisted table once; later calls share the first read (a failed one is retried). */
  load(): Promise<void> {
    this.loading ??= this.read().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  private read(): Promise<void> {
    return this.store.getMeta(TOOL_HEALTH_KEY).then((text) => {
      if (text === undefined) return;
      const parsed = parseTable(text);
      if (parsed) {
        // Failures reported while the read was in flight are newer than the store's.
        this.table = { ...parsed, ...this.table };
      } else {
        this.onWarning?.(
          `the stored tool health table is not readable and was ignored (${text.slice(0, 80)})`,
        );
      }
    });
  }

  /** The tools among `tools` whose breaker is open at `now` (half-open ones are not down). */
  down(tools: readonly string[], now: number): string[] {
    return downTools(this.table, tools, now, this.policy);
  }

  breaker(tool: string): BreakerState {
    return breakerOf(this.table, tool);
  }

  snapshot(): ToolHealth {
    return this.table;
  }

  /** A call's result. Undefined when nothing changed (the common success); else the write. */
  report(tool: string, ok: boolean, now: number): Promise<void> | undefined {
    const known = Object.hasOwn(this.table, tool);
    if (ok) {
      if (!known) return undefined;
      const { [tool]: _closed, ...rest } = this.table;
      this.table = rest;
    } else {
      const next = recordFailure(breakerOf(this.table, tool), now, this.policy);
      this.table = { ...this.table, [tool]: next };
    }
    return this.persist();
  }

  /**
   * Opens the tool's breaker at once, without waiting for failed calls: a probe (an MCP server that
   * stays unreachable) knows it is down. Half-opens after the cooldown like any open breaker.
   */
  markDown(tool: string, now: number): Promise<void> {
    this.table = markDown(this.table, tool, now, this.policy);
    return this.persist();
  }

  /** Closes the tool's breaker (its server is back); writes only when it had a record. */
  markUp(tool: string): Promise<void> | undefined {
    if (!Object.hasOwn(this.table, tool)) return undefined;
    const { [tool]: _closed, ...rest } = this.table;
    this.table = rest;
    return this.persist();
  }

  /** Resolves once every change reported so far is in the store. */
  flushed(): Promise<void> {
    return this.writing;
  }

  private persist(): Promise<void> {
    const text = JSON.stringify(this.table);
    this.writing = this.writing.then(() =>
      this.store.putMeta(TOOL_HEALTH_KEY, text).catch((error: unknown) => {
        // Health is advice, not the run's record: a failed write must not fail the run.
        this.onWarning?.(
          `the tool health table could not be saved: ${error instanceof Error ? error.message : String(error)}`,
        );
      }),
    );
    return this.writing;
  }
}

function parseTable(text: string): ToolHealth | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const table: Record<string, BreakerState> = {};
  for (const [tool, state] of Object.entries(value as Record<string, unknown>)) {
    if (typeof state !== 'object' || state === null) return undefined;
    const { consecutiveFailures, openedAt } = state as Record<string, unknown>;
    if (typeof consecutiveFailures !== 'number') return undefined;
    if (openedAt !== null && typeof openedAt !== 'number') return undefined;
    Object.defineProperty(table, tool, {
      value: { consecutiveFailures, openedAt },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return table;
}
