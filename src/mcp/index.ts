/**
 * `switchyard/mcp`: MCP both ways (docs/mcp.md). The server half offers registered workflows and
 * durable runs as MCP tools (`switchyard mcp`); the client half makes the tools of MCP servers
 * Switchyard tools (`mcpServers` in the config, or McpServerConnection directly).
 */
export {
  startMcpServer,
  DEFAULT_MCP_HOST,
  type McpServeOptions,
  type RunningMcpServer,
} from './serve.js';
export {
  createMcpServer,
  buildWorkflowTools,
  describeEvent,
  TOOL as MCP_TOOLS,
  type McpToolsContext,
} from './tools.js';
export { McpServeError, McpToolNameClashError, McpArgumentsInvalidError } from './errors.js';
export {
  McpServerConnection,
  DEFAULT_RECONNECT,
  META_IDEMPOTENCY_KEY,
  type McpServerOptions,
  type McpTransportOptions,
  type McpConnectionHooks,
  type ReconnectPolicy,
  type ConnectionState,
} from '../tools/mcp/client.js';
export {
  McpServerError,
  McpConnectError,
  McpToolListError,
  McpInputInvalidError,
  McpToolNotFoundError,
  McpEnvMissingError,
  McpCallFailure,
} from '../tools/mcp/errors.js';
export { connectMcpServers, McpServers, type McpServersOptions } from '../runtime/mcp.js';
