/**
 * Self-healing tool routing (issue #5; SHR paper, research/seeds.md §1): a deterministic layer of
 * pure functions over plain data. The engine integration journals each step's input, observation
 * and decisions (router.ts) and keeps the breaker table (breaker.ts) per process, in the store.
 */
export type {
  RouteSpec,
  ToolEdgeSpec,
  ToolGraph,
  ToolGraphSpec,
  ToolNode,
  ToolNodeSpec,
} from './graph.js';
export { buildToolGraph, NODE_DEFAULTS, ROUTE_DEFAULTS } from './graph.js';
export { compileRoute, type Route } from './compile.js';
export { validateRoute } from './validate.js';
export {
  ROUTE_ISSUE_CODES,
  RouteInvalidError,
  RouteMisuseError,
  RouteReplayError,
  type RouteIssue,
  type RouteIssueCode,
} from './errors.js';
export { edgeWeight, eq1Weight, type WeightAttributes } from './weight.js';
export { shortestPath, type ShortestPath } from './dijkstra.js';
export {
  breakerOf,
  breakerStatus,
  CLOSED,
  DEFAULT_BREAKER_POLICY,
  downTools,
  markDown,
  recordFailure,
  recordSuccess,
  reportFailure,
  reportSuccess,
  tripBreaker,
  type BreakerPolicy,
  type BreakerState,
  type BreakerStatus,
  type ToolHealth,
} from './breaker.js';
export {
  DEFAULT_INTENTS,
  HIGH_VALUE_AMOUNT,
  intentMonitor,
  pickWinner,
  progressMonitor,
  riskMonitor,
  runMonitors,
  toolHealthMonitor,
  type MonitorInput,
  type MonitorName,
  type RouteRequest,
  type Signal,
} from './monitors.js';
export {
  advanceRoute,
  startRoute,
  type ConsultAnswer,
  type EscalationAnswer,
  type EscalationReason,
  type Observation,
  type RouteAction,
  type RouteDecision,
  type RouteInput,
  type RouteOutcome,
  type RouteState,
  type RouteStep,
} from './router.js';
export {
  driveRoute,
  replayRoute,
  type RoutePorts,
  type RouteRecord,
  type RouteRun,
} from './drive.js';
