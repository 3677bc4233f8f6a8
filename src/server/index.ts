/**
 * `switchyard/server`: the HTTP API, live event streams and dashboard (docs/server.md). The CLI's
 * `switchyard serve` calls startServer; an embedding program can too, or mount createApp itself.
 */
export {
  startServer,
  DEFAULT_HOST,
  DEFAULT_PORT,
  type ServeOptions,
  type RunningServer,
  // Shared with `switchyard mcp` (src/mcp/), which serves the same runs over MCP.
  listen,
  logLevel,
  readConfig,
  resolveToken,
  openConfiguredStore,
  packageVersion,
} from './serve.js';
export { createApp, type AppOptions } from './app.js';
export { EventHub, type EventListener } from './hub.js';
export { RunSupervisor, type Accepted } from './supervisor.js';
export { loadWorkflows, WorkflowRegistry, type RegisteredWorkflow } from './workflows.js';
export { workflowGraph, type WorkflowGraph, type GraphNode, type GraphEdge } from './graph.js';
export { tokenMatches, isLoopbackHost, apiAuth } from './auth.js';
export {
  ServerError,
  ServerConfigError,
  UnauthorizedError,
  RequestInvalidError,
  statusFor,
  type ErrorBody,
} from './errors.js';
