import { SwitchyardError } from '../../core/errors.js';

/**
 * Errors of the MCP client. Thrown ones (SwitchyardError) are local misuse or a server that cannot be
 * used at all; a failed *call* is data instead (McpCallFailure), journaled like any tool failure.
 */
export class McpServerError extends SwitchyardError {
  readonly server: string;
  constructor(
    code: string,
    server: string,
    message: string,
    details: { hint?: string; path?: string; value?: unknown; cause?: unknown } = {},
  ) {
    super(code, `MCP server '${server}': ${message}`, details);
    this.server = server;
  }
}

/** The server could not be reached or did not complete the MCP handshake. */
export class McpConnectError extends McpServerError {
  constructor(server: string, reason: string, hint?: string, cause?: unknown) {
    super('MCP_CONNECT_FAILED', server, `cannot connect: ${reason}`, {
      hint: hint ?? 'check the command (stdio) or url (http) under mcpServers in the config',
      cause,
    });
  }
}

/** `tools/list` failed or returned nothing: never read as "this server has no tools". */
export class McpToolListError extends McpServerError {
  constructor(server: string, reason: string, empty: boolean, cause?: unknown) {
    super(
      empty ? 'MCP_NO_TOOLS' : 'MCP_LIST_FAILED',
      server,
      empty ? `listed no tools${reason ? ` (${reason})` : ''}` : `tools/list failed: ${reason}`,
      {
        hint: empty
          ? 'a server whose tools a workflow uses must offer them; check its arguments, or remove it from mcpServers'
          : 'the server answered the handshake but not tools/list; check its logs',
        cause,
      },
    );
  }
}

/** Input that does not satisfy the tool's JSON Schema; found before anything is sent. */
export class McpInputInvalidError extends McpServerError {
  constructor(server: string, tool: string, path: string, message: string, value?: unknown) {
    super('MCP_INPUT_INVALID', server, `input to tool '${tool}' at ${path}: ${message}`, {
      path,
      value,
      hint: "make the step's input match the tool's inputSchema (see `tools/list`)",
    });
  }
}

export class McpToolNotFoundError extends McpServerError {
  constructor(server: string, tool: string, known: string[]) {
    super('MCP_TOOL_NOT_FOUND', server, `has no tool '${tool}'`, {
      value: tool,
      hint: known.length ? `its tools: ${known.join(', ')}` : 'it lists no tools',
    });
  }
}

/** A `${VAR}` in an MCP server's env or headers names a variable that is not set. */
export class McpEnvMissingError extends McpServerError {
  constructor(server: string, path: string, variable: string) {
    super(
      'MCP_ENV_MISSING',
      server,
      `${path} reads the environment variable ${variable}, which is not set`,
      {
        path,
        value: variable,
        hint: `export ${variable}=… before starting, or remove the reference`,
      },
    );
  }
}

/**
 * A call that failed, as the journal records it (`{ type, message, retryable }`, built by the tool
 * registry from the error's name and `retryable`). Types:
 * - `mcp-tool-error`: the server answered with `isError: true`; retryable (the step's policy decides);
 * - `mcp-unavailable`: not connected, nothing was sent; retryable;
 * - `mcp-connection-lost`: the connection broke while the call was out; it may have acted, so it is
 *   retryable only for a tool declared `safe`;
 * - `mcp-protocol-error`: the server refused the request (JSON-RPC error); retryable unless it says the
 *   parameters were invalid.
 */
export class McpCallFailure extends Error {
  readonly retryable: boolean;
  constructor(type: string, message: string, retryable: boolean) {
    super(message);
    this.name = type;
    this.retryable = retryable;
  }
}
