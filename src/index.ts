/**
 * Switchyard's public API. Everything a program embedding Switchyard needs is exported here; the
 * PostgreSQL store is the `switchyard/postgres` subpath so the default install never loads it.
 */
export {
  SwitchyardError,
  NonJsonValueError,
  type Failure,
  type ErrorDetails,
} from './core/errors.js';
export type { JsonValue, JsonObject } from './core/json.js';
export { canonicalJson } from './core/json.js';
export { sha256Hex, hashJson } from './core/hash.js';
export type * from './core/events.js';
export type {
  JournalStore,
  RunRecord,
  RunStatus,
  RunFilter,
  StoredBatch,
  AppendRequest,
  Clock,
  IdSource,
  ToolDefinition,
  ToolContext,
  ModelProvider,
  ModelRequest,
  ModelResponse,
} from './core/ports.js';
export type {
  WorkflowSpec,
  StepSpec,
  BlockSpec,
  StepKind,
  RouteStepSpec,
  RouteSpec,
  ToolGraphSpec,
  ToolNodeSpec,
  ToolEdgeSpec,
} from './core/spec.js';
export { WorkflowSchema, STEP_KINDS } from './core/spec.js';

export { RunEngine, idempotencyKey } from './executor/engine.js';
export { replayJournal } from './executor/replay.js';
export { ReplayDivergenceError, JournalHashError, JournalInvalidError } from './executor/errors.js';

export { MemoryJournalStore } from './journal/memory-store.js';
export { openSqliteStore, SqliteJournalStore } from './journal/sqlite-store.js';
export { openStore, DEFAULT_STORE_URL } from './journal/open-store.js';
export {
  JournalConflictError,
  RunNotFoundError,
  StoreCorruptError,
  StoreUnavailableError,
} from './journal/errors.js';

export { SimulatedModel, type SimulatedModelOptions } from './providers/simulated.js';
// Budgets, cascades and the priced seam (docs/models.md, issue #7).
export { meter, meteredGenerate, modelInfo } from './providers/metered.js';
export {
  QuizSimulatedModel,
  quizQueries,
  type QuizModelOptions,
  type QuizQuery,
  type QuizDifficulty,
} from './providers/quiz.js';
export {
  estimateInputTokens,
  gateCall,
  type GateResult,
  type Ledger,
  type Refusal,
} from './executor/budget.js';
export type {
  BudgetSpec,
  CascadeScorerSpec,
  CascadeStageSpec,
  CascadeStepSpec,
} from './core/spec.js';
export type {
  CascadeDecidedEvent,
  CascadeFallbackEvent,
  CascadeScoreEvent,
  EscalationEvent,
  ModelInfo,
  Spend,
} from './core/events.js';
export {
  runCascadeBench,
  renderCascadeBench,
  type CascadeBenchReport,
} from './runtime/cascade-bench.js';
export { ModelRegistry } from './providers/registry.js';
export {
  AiSdkModel,
  openAIModel,
  anthropicModel,
  openAICompatibleModel,
  createProviderModel,
  describeWarning,
  type AiSdkModelOptions,
  type AiSdkModelResponse,
  type CallHooks,
  type ModelChunk,
  type ProviderKind,
  type ProviderModelConfig,
  type ProviderModelSettings,
  type OpenAIModelSettings,
  type OpenAICompatibleModelSettings,
} from './providers/ai-sdk.js';
export {
  ProviderError,
  isProviderError,
  PROVIDER_ERROR_CODES,
  type ProviderErrorCode,
} from './providers/errors.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryEvent } from './providers/retry.js';
export {
  PRICES,
  PRICES_AS_OF,
  lookupPrice,
  priceOf,
  priceOfProvider,
  type Price,
  type ModelCost,
  type TokenUsage,
} from './providers/prices.js';
export { ToolRegistry, defineTool } from './tools/registry.js';

export {
  Runtime,
  type RuntimeOptions,
  type RunnableWorkflow,
  type VerifyReport,
} from './runtime/runtime.js';
export type { RunOutcome, FaultHooks } from './runtime/driver.js';
export { viewRun, type RunView, type StepRow, type RouteRow } from './runtime/run-view.js';
export { ToolHealthTable, TOOL_HEALTH_KEY } from './runtime/health.js';

export {
  compileRoute,
  validateRoute,
  startRoute,
  advanceRoute,
  shortestPath,
  downTools,
  DEFAULT_BREAKER_POLICY,
  RouteInvalidError,
  type Route,
  type RouteDecision,
  type RouteOutcome,
  type RouteState,
  type Observation,
  type BreakerPolicy,
  type BreakerState,
  type ToolHealth,
} from './routing/index.js';
// switchyard.config.ts: `export default defineConfig({ ... })` (README, Configuration).
export { defineConfig } from './runtime/define-config.js';
export type { SwitchyardConfigInput } from './runtime/config.js';
export { systemClock, randomIds } from './runtime/clock.js';

export {
  loadWorkflowFile,
  parseWorkflow,
  specHash,
  workflow,
  SpecValidationError,
  formatSpecIssue,
  workflowJsonSchema,
} from './spec/index.js';

// Error correction by voting (docs/voting.md): the vote step's core, its registered functions, and
// the Towers of Hanoi example the MAKER way.
export type { VoteStepSpec, VoteParserSpec } from './core/spec.js';
export type { EngineOptions } from './executor/engine.js';
export {
  addSample,
  compileVoteRule,
  defineCascadeScorer,
  defineVoteCheck,
  defineVoteParser,
  estimateTokens,
  exhaustedError,
  expectedCost,
  expectedSamplesPerStep,
  expectedVotesExact,
  kMin,
  parseStrictJson,
  pFull,
  planBatch,
  planVote,
  regexParser,
  replayVote,
  screenSample,
  startVote,
  stepSuccess,
  VoteCannotConvergeError,
  VoteExhaustedError,
  VoteFunctionRegistry,
  VoteMisuseError,
  VoteOutOfRangeError,
  VoteReplayError,
  VoteRuleError,
  type FlagReason,
  type OutputParser,
  type ParseResult,
  type CascadeScorerDefinition,
  type VoteCheckDefinition,
  type VoteDecision,
  type VoteFunctionDefinition,
  type VoteOutcome,
  type VoteParserDefinition,
  type VotePlan,
  type VoteRule,
  type VoteSpec,
  type VoteState,
} from './voting/index.js';
export {
  checkHanoiRun,
  checkHanoiTrajectory,
  HanoiChecker,
  HanoiSimulatedModel,
  hanoiParser,
  hanoiPromptInput,
  hanoiVoteParser,
  parseHanoiAnswer,
  simulateHanoiModel,
  solveHanoi,
  votedAnswers,
  type HanoiAnswer,
  type HanoiCheck,
  type HanoiModelOptions,
} from './voting/hanoi/index.js';
