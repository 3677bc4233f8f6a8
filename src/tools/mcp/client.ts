import { Validator, type Schema } from '@cfworker/json-schema';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { sha256Hex } from '../../core/hash.js';
import { assertJson, canonicalJson, type JsonValue } from '../../core/json.js';
import type { Clock, ToolContext, ToolDefinition } from '../../core/ports.js';
import {
  McpCallFailure,
  McpConnectError,
  McpInputInvalidError,
  McpToolListError,
  McpToolNotFoundError,
} from './errors.js';

export type McpTransportOptions =
  | {
      kind: 'stdio';
      command: string;
      args?: string[];
      /** Added to the SDK's safe default environment (PATH, HOME, …), not replacing it. */
      env?: Record<string, string>;
      cwd?: string;
    }
  | {
      kind: 'http';
      url: string;
      headers?: Record<string, string>;
      /** The fetch the transport uses (tests count requests with it). */
      fetch?: typeof globalThis.fetch;
    };

export interface ReconnectPolicy {
  /** First wait after the connection is lost (default 200 ms). */
  initialMs: number;
  /** Cap of the doubling wait (default 10 s). */
  maxMs: number;
  /** Failed reconnect attempts after which the server's tools are reported down (default 3). */
  downAfter: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialMs: 200, maxMs: 10_000, downAfter: 3 };

export interface McpServerOptions {
  /** The prefix of its tools' names in Switchyard: `<name>.<tool>`. */
  name: string;
  transport: McpTransportOptions;
  /**
   * Retry safety of every tool of the server. Absent: a tool the server annotates `readOnlyHint` or
   * `idempotentHint` is `safe`, any other `unsafe` (annotations are the server's claim; override it
   * here when you do not trust it).
   */
  retry?: 'safe' | 'unsafe';
  /** Bound of one call at the protocol level (default 5 min; progress resets it). */
  callTimeoutMs?: number;
  /** Bound of the handshake plus the first tools/list (default 15 s). */
  connectTimeoutMs?: number;
  /**
   * While connected, a `ping` this often notices a server that went away between calls (an HTTP
   * server has no connection to lose). Default 15 s for http, off (0) for stdio, whose child's exit
   * closes the connection by itself.
   */
  pingIntervalMs?: number;
  reconnect?: Partial<ReconnectPolicy>;
}

export interface McpConnectionHooks {
  /** Schedules reconnects; the system clock in production, a fake one in tests. */
  clock: Clock;
  /** The tool list changed (after `notifications/tools/list_changed` or a reconnect). */
  onToolsChanged?(server: string, tools: ToolDefinition[]): void;
  /**
   * The server went down for good (`up: false`, after `downAfter` failed reconnects) or came back
   * (`up: true`): the runtime marks its tools' breakers so routing goes around them.
   */
  onAvailability?(server: string, tools: string[], up: boolean): void;
  /** Something an operator should know that does not stop anything (a failed refresh). */
  onWarning?(message: string): void;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** `_meta` keys every call carries; the prefix keeps them apart from the protocol's own. */
export const META_IDEMPOTENCY_KEY = 'switchyard/idempotencyKey';
/** How long a liveness ping after a transport error may take before the server counts as gone. */
const PROBE_TIMEOUT_MS = 5_000;

interface CachedTool {
  tool: Tool;
  definition: ToolDefinition;
  validator: Validator | undefined;
}

/**
 * One configured MCP server: the connection (stdio child process or Streamable HTTP), the cached tool
 * list, reconnection with backoff, and the tools as Switchyard ToolDefinitions named
 * `<server>.<tool>`. Calls carry the step's idempotency key in `_meta` and are checked against the
 * tool's JSON Schema before anything is sent.
 */
export class McpServerConnection {
  readonly name: string;
  private client: Client | undefined;
  private transport: Transport | undefined;
  private cached = new Map<string, CachedTool>();
  private stateValue: ConnectionState = 'idle';
  /** The attempt in progress, which a call made meanwhile waits for instead of failing. */
  private attempt: Promise<void> | undefined;
  private failedAttempts = 0;
  private reportedDown = false;
  private cancelTimer: (() => void) | undefined;
  private cancelPing: (() => void) | undefined;
  /** The client a liveness probe is running for, if any. */
  private probing: Client | undefined;
  private stderrTail = '';
  private serverVersion = '';
  private readonly policy: ReconnectPolicy;

  constructor(
    private readonly options: McpServerOptions,
    private readonly hooks: McpConnectionHooks,
  ) {
    this.name = options.name;
    this.policy = { ...DEFAULT_RECONNECT, ...options.reconnect };
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** A method, not a field read: close() may run while an attempt is awaited. */
  private closed(): boolean {
    return this.stateValue === 'closed';
  }

  /** The child process of a stdio server (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.transport instanceof StdioClientTransport
      ? (this.transport.pid ?? undefined)
      : undefined;
  }

  /**
   * Connects and lists the tools. An unreachable server, a failed listing and an empty one are
   * errors naming the server: a workflow must not start believing a server has no tools.
   */
  async connect(): Promise<ToolDefinition[]> {
    if (this.stateValue === 'closed')
      throw new McpConnectError(this.name, 'the connection was closed');
    this.stateValue = 'connecting';
    this.attempt = this.open();
    try {
      await this.attempt;
    } catch (error) {
      this.stateValue = 'idle';
      throw error;
    } finally {
      this.attempt = undefined;
    }
    this.stateValue = 'connected';
    return this.tools();
  }

  tools(): ToolDefinition[] {
    return [...this.cached.values()].map((entry) => entry.definition);
  }

  /** The server's own tool names, as it lists them. */
  toolNames(): string[] {
    return [...this.cached.keys()];
  }

  /** Switchyard's names for the server's tools (`<server>.<tool>`). */
  qualifiedNames(): string[] {
    return this.toolNames().map((tool) => `${this.name}.${tool}`);
  }

  /**
   * Calls a tool by the server's name for it. Input that fails the tool's schema throws
   * McpInputInvalidError before anything is sent; every failure of the call itself throws a
   * McpCallFailure (journaled as data by the tool registry).
   */
  async callTool(
    tool: string,
    input: JsonValue,
    context?: Partial<
      Pick<ToolContext, 'idempotencyKey' | 'runId' | 'stepPath' | 'attempt' | 'signal'>
    >,
  ): Promise<JsonValue> {
    const entry = this.cached.get(tool);
    if (!entry) throw new McpToolNotFoundError(this.name, tool, this.toolNames());
    checkInput(this.name, tool, entry.validator, input);
    if (this.stateValue === 'closed')
      throw new McpCallFailure('mcp-unavailable', `MCP server '${this.name}' is closed`, false);
    if (this.attempt) await this.attempt.catch(() => undefined);
    const client = this.client;
    if (this.stateValue !== 'connected' || !client) {
      throw new McpCallFailure(
        'mcp-unavailable',
        `MCP server '${this.name}' is not connected (reconnecting after ${this.failedAttempts} failed attempt(s)); the call was not sent`,
        true,
      );
    }
    const meta: Record<string, string | number> = {};
    if (context?.idempotencyKey !== undefined) meta[META_IDEMPOTENCY_KEY] = context.idempotencyKey;
    if (context?.runId !== undefined) meta['switchyard/runId'] = context.runId;
    if (context?.stepPath !== undefined) meta['switchyard/stepPath'] = context.stepPath;
    if (context?.attempt !== undefined) meta['switchyard/attempt'] = context.attempt;
    let result: CallToolResult;
    try {
      result = (await client.callTool(
        {
          name: tool,
          arguments: (input ?? {}) as Record<string, unknown>,
          _meta: meta,
        },
        undefined,
        {
          ...(context?.signal ? { signal: context.signal } : {}),
          timeout: this.options.callTimeoutMs ?? 300_000,
          resetTimeoutOnProgress: true,
        },
      )) as CallToolResult;
    } catch (error) {
      throw this.callFailure(tool, entry.definition.retry === 'safe', error, client);
    }
    return toOutput(this.name, tool, result);
  }

  /** Stops reconnecting and ends the connection (a stdio child is terminated). */
  async close(): Promise<void> {
    this.stateValue = 'closed';
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.cancelPing?.();
    this.cancelPing = undefined;
    const client = this.client;
    this.client = undefined;
    this.transport = undefined;
    await client?.close().catch(() => undefined);
  }

  // ---- internals --------------------------------------------------------------------------------

  /** One connection attempt: a new client and transport, the handshake, tools/list. */
  private async open(): Promise<void> {
    const transport = this.makeTransport();
    const client = new Client(
      { name: 'switchyard', version: '0.1.0' },
      {
        capabilities: {},
        listChanged: {
          tools: {
            autoRefresh: false,
            debounceMs: 50,
            onChanged: () => {
              // Only the live client's notifications count; a stale one is being replaced.
              if (this.client === client) void this.refresh(client);
            },
          },
        },
      },
    );
    const timeoutMs = this.options.connectTimeoutMs ?? 15_000;
    try {
      await client.connect(transport, { timeout: timeoutMs });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new McpConnectError(this.name, this.describe(error), undefined, error);
    }
    let listed: Tool[];
    try {
      listed = await this.listAll(client, timeoutMs);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new McpToolListError(this.name, this.describe(error), false, error);
    }
    if (listed.length === 0) {
      await client.close().catch(() => undefined);
      const advertised = client.getServerCapabilities()?.tools !== undefined;
      throw new McpToolListError(
        this.name,
        advertised ? '' : 'it does not advertise the tools capability',
        true,
      );
    }
    this.serverVersion = client.getServerVersion()?.version ?? '';
    this.client = client;
    this.transport = transport;
    this.cache(listed);
    client.onclose = () => {
      if (this.client === client) this.lost();
    };
    if (this.options.transport.kind === 'http') {
      // A response stream cut by a dead server leaves the SDK's pending request waiting: it
      // neither fails it nor resumes a stream the server never made resumable. A ping on a fresh
      // request tells a dead server from a blip now rather than at the next scheduled ping.
      client.onerror = () => {
        if (this.client === client) this.probe(client);
      };
    }
    this.schedulePing(client);
  }

  /** One liveness check at a time: a failed ping closes the client (failing its pending calls). */
  private probe(client: Client): void {
    if (this.probing === client) return;
    this.probing = client;
    const done = (): void => {
      if (this.probing === client) this.probing = undefined;
    };
    client.ping({ timeout: PROBE_TIMEOUT_MS }).then(done, () => {
      done();
      this.drop(client);
    });
  }

  /** Gives up on a client that is still the live one: reconnect, and close it (failing its calls). */
  private drop(client: Client): void {
    if (this.client !== client) return;
    // lost() first: it retires this client, so the close's onclose does not call it again.
    this.lost();
    void client.close().catch(() => undefined);
  }

  private schedulePing(client: Client): void {
    const every =
      this.options.pingIntervalMs ?? (this.options.transport.kind === 'http' ? 15_000 : 0);
    if (every <= 0) return;
    this.cancelPing?.();
    this.cancelPing = this.hooks.clock.setTimer(this.hooks.clock.now() + every, () => {
      this.cancelPing = undefined;
      if (this.client !== client) return;
      client.ping({ timeout: Math.min(every, 10_000) }).then(
        () => {
          if (this.client === client) this.schedulePing(client);
        },
        () => this.drop(client),
      );
    });
  }

  private async listAll(client: Client, timeoutMs: number): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    // Bounded: a server that keeps handing out cursors must not hang the start.
    for (let page = 0; page < 100; page++) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, {
        timeout: timeoutMs,
      });
      tools.push(...result.tools);
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  }

  private makeTransport(): Transport {
    const spec = this.options.transport;
    if (spec.kind === 'stdio') {
      const transport = new StdioClientTransport({
        command: spec.command,
        ...(spec.args ? { args: spec.args } : {}),
        env: { ...getDefaultEnvironment(), ...spec.env },
        ...(spec.cwd ? { cwd: spec.cwd } : {}),
        // Kept, not inherited: a server's chatter must not land in the CLI's output, but its last
        // words explain a failed start.
        stderr: 'pipe',
      });
      this.stderrTail = '';
      transport.stderr?.on('data', (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
      });
      return transport;
    }
    return new StreamableHTTPClientTransport(new URL(spec.url), {
      ...(spec.headers ? { requestInit: { headers: spec.headers } } : {}),
      ...(spec.fetch ? { fetch: spec.fetch } : {}),
      // Our own loop reconnects (with the tool list refreshed); the SDK's would only reopen the GET stream.
      reconnectionOptions: {
        initialReconnectionDelay: this.policy.initialMs,
        maxReconnectionDelay: this.policy.maxMs,
        reconnectionDelayGrowFactor: 2,
        maxRetries: 0,
      },
    });
  }

  private cache(tools: Tool[]): ToolDefinition[] {
    const next = new Map<string, CachedTool>();
    for (const tool of tools) next.set(tool.name, this.entryFor(tool));
    this.cached = next;
    return this.tools();
  }

  private entryFor(tool: Tool): CachedTool {
    const schema = tool.inputSchema as unknown as JsonValue;
    let validator: Validator | undefined;
    try {
      validator = new Validator(schema as unknown as Schema, '2020-12', false);
    } catch {
      validator = undefined;
      this.hooks.onWarning?.(
        `MCP server '${this.name}': the input schema of tool '${tool.name}' cannot be compiled; its input is not checked`,
      );
    }
    const annotations = tool.annotations;
    const retry =
      this.options.retry ??
      (annotations?.readOnlyHint === true || annotations?.idempotentHint === true
        ? 'safe'
        : 'unsafe');
    const definition: ToolDefinition = {
      name: `${this.name}.${tool.name}`,
      // The journal records a tool's version: a hash of what the server says the tool is, so a
      // changed schema or description shows up as a changed tool on resume.
      version: `mcp-${sha256Hex(
        canonicalJson({
          server: this.serverVersion,
          description: tool.description ?? null,
          inputSchema: schema,
        }),
      ).slice(0, 12)}`,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      retry,
      ...(validator ? { inputSchema: schema } : {}),
      execute: (input, context) => this.callTool(tool.name, input, context),
    };
    return { tool, definition, validator };
  }

  /** After `notifications/tools/list_changed`: list again, keep the old list if that fails. */
  private async refresh(client: Client): Promise<void> {
    let listed: Tool[];
    try {
      listed = await this.listAll(client, this.options.connectTimeoutMs ?? 15_000);
    } catch (error) {
      this.hooks.onWarning?.(
        new McpToolListError(this.name, this.describe(error), false).message +
          '; keeping the previous tool list',
      );
      return;
    }
    if (this.client !== client) return;
    if (listed.length === 0) {
      this.hooks.onWarning?.(
        new McpToolListError(this.name, 'after tools/list_changed', true).message +
          '; keeping the previous tool list',
      );
      return;
    }
    this.hooks.onToolsChanged?.(this.name, this.cache(listed));
  }

  /** The connection closed underneath us: reconnect with backoff until closed. */
  private lost(): void {
    if (this.stateValue === 'closed') return;
    this.cancelPing?.();
    this.cancelPing = undefined;
    this.client = undefined;
    this.transport = undefined;
    this.stateValue = 'reconnecting';
    this.failedAttempts = 0;
    this.scheduleReconnect(this.policy.initialMs);
  }

  private scheduleReconnect(delayMs: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.hooks.clock.setTimer(this.hooks.clock.now() + delayMs, () => {
      this.cancelTimer = undefined;
      void this.reconnect();
    });
  }

  private async reconnect(): Promise<void> {
    if (this.stateValue === 'closed') return;
    const before = new Set(this.toolNames());
    this.attempt = this.open();
    try {
      await this.attempt;
    } catch (error) {
      this.attempt = undefined;
      if (this.closed()) return;
      this.failedAttempts += 1;
      if (this.failedAttempts >= this.policy.downAfter && !this.reportedDown) {
        this.reportedDown = true;
        this.hooks.onWarning?.(
          `MCP server '${this.name}' is down after ${this.failedAttempts} reconnect attempts (${this.describe(error)}); its tools are marked unhealthy`,
        );
        this.hooks.onAvailability?.(this.name, this.qualifiedNames(), false);
      }
      const delay = Math.min(this.policy.maxMs, this.policy.initialMs * 2 ** this.failedAttempts);
      this.scheduleReconnect(delay);
      return;
    }
    this.attempt = undefined;
    if (this.closed()) {
      await this.close();
      return;
    }
    this.stateValue = 'connected';
    this.failedAttempts = 0;
    const now = new Set(this.toolNames());
    const changed = now.size !== before.size || [...now].some((name) => !before.has(name));
    if (changed) this.hooks.onToolsChanged?.(this.name, this.tools());
    if (this.reportedDown) {
      this.reportedDown = false;
      this.hooks.onAvailability?.(this.name, this.qualifiedNames(), true);
    }
  }

  private callFailure(tool: string, safe: boolean, error: unknown, client: Client): McpCallFailure {
    if (error instanceof McpError && error.code !== (ErrorCode.ConnectionClosed as number)) {
      if (error.code === (ErrorCode.RequestTimeout as number)) {
        return new McpCallFailure(
          'mcp-timeout',
          `tool ${this.name}.${tool}: ${error.message}`,
          safe,
        );
      }
      return new McpCallFailure(
        'mcp-protocol-error',
        `tool ${this.name}.${tool}: ${error.message}`,
        error.code !== (ErrorCode.InvalidParams as number),
      );
    }
    if (error instanceof Error && error.name === 'AbortError') {
      return new McpCallFailure('mcp-aborted', `tool ${this.name}.${tool} was aborted`, safe);
    }
    // The transport broke (child died, connection refused, session gone): the request may have
    // reached the server. Start over with a new connection.
    this.drop(client);
    return new McpCallFailure(
      'mcp-connection-lost',
      `tool ${this.name}.${tool}: the connection to the MCP server was lost during the call (${this.describe(error)})` +
        (safe ? '' : '; the tool is unsafe and may have acted, so it is not retried'),
      safe,
    );
  }

  private describe(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    const cause =
      error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    const tail = this.stderrTail.trim();
    return `${message}${cause}${tail ? `; server stderr: ${tail.slice(-500)}` : ''}`;
  }
}

function checkInput(
  server: string,
  tool: string,
  validator: Validator | undefined,
  input: JsonValue,
): void {
  if (!validator) return;
  const result = validator.validate(input);
  if (result.valid) return;
  const detail = result.errors[result.errors.length - 1];
  throw new McpInputInvalidError(
    server,
    tool,
    detail?.instanceLocation ?? '#',
    detail?.error ?? 'does not match the input schema',
    input,
  );
}

/**
 * A tool result as a step output: `structuredContent` when the tool gives one (it is the tool's
 * typed answer); otherwise `{ text, content }`, the text blocks joined (what most tools mean) and the
 * content blocks as sent. `isError: true` is a failure of the call, retryable per the step's policy.
 */
function toOutput(server: string, tool: string, result: CallToolResult): JsonValue {
  const content = Array.isArray(result.content) ? result.content : [];
  const text = content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n');
  if (result.isError === true) {
    throw new McpCallFailure(
      'mcp-tool-error',
      `tool ${server}.${tool} reported an error: ${text || '(no message)'}`,
      true,
    );
  }
  const output: JsonValue =
    result.structuredContent !== undefined
      ? (result.structuredContent as JsonValue)
      : ({ text, content } as unknown as JsonValue);
  assertJson(output, `$output`);
  return output;
}
