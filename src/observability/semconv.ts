/**
 * Attribute and metric names. The `gen_ai.*` ones follow the OpenTelemetry semantic conventions for
 * generative AI (https://opentelemetry.io/docs/specs/semconv/gen-ai/), which are still "development"
 * status: their constants live only in @opentelemetry/semantic-conventions' `incubating` entry point,
 * whose maintainers ask users to copy them rather than depend on it. So they are copied here, with
 * `gen_ai.system` sent beside its successor `gen_ai.provider.name` for backends that read the old one.
 */
export const ATTR = {
  serviceName: 'service.name',
  errorType: 'error.type',
  genAiOperationName: 'gen_ai.operation.name',
  genAiProviderName: 'gen_ai.provider.name',
  genAiSystem: 'gen_ai.system',
  genAiRequestModel: 'gen_ai.request.model',
  genAiRequestTemperature: 'gen_ai.request.temperature',
  genAiRequestMaxTokens: 'gen_ai.request.max_tokens',
  genAiResponseModel: 'gen_ai.response.model',
  genAiUsageInputTokens: 'gen_ai.usage.input_tokens',
  genAiUsageOutputTokens: 'gen_ai.usage.output_tokens',
  genAiTokenType: 'gen_ai.token.type',
  genAiToolName: 'gen_ai.tool.name',
  genAiToolCallId: 'gen_ai.tool.call.id',
  runId: 'switchyard.run.id',
  parentRunId: 'switchyard.run.parent_id',
  runStatus: 'switchyard.run.status',
  runResumed: 'switchyard.run.resumed',
  workflow: 'switchyard.workflow',
  specHash: 'switchyard.spec_hash',
  stepPath: 'switchyard.step.path',
  stepKind: 'switchyard.step.kind',
  stepStatus: 'switchyard.step.status',
  attempt: 'switchyard.attempt',
  toolVersion: 'switchyard.tool.version',
  toolSafe: 'switchyard.tool.safe',
  routeNode: 'switchyard.route.node',
  modelName: 'switchyard.model.name',
  simulated: 'switchyard.model.simulated',
  costUsd: 'switchyard.cost.usd',
  reason: 'switchyard.reason',
  cause: 'switchyard.cause',
} as const;

export const METRIC = {
  runs: 'switchyard.runs',
  steps: 'switchyard.steps',
  stepFailures: 'switchyard.step.failures',
  retries: 'switchyard.step.retries',
  reroutes: 'switchyard.route.reroutes',
  escalations: 'switchyard.route.escalations',
  cost: 'switchyard.cost',
  tokenUsage: 'gen_ai.client.token.usage',
  operationDuration: 'gen_ai.client.operation.duration',
} as const;

/** gen_ai.operation.name values used here. */
export const GEN_AI_OPERATION = { chat: 'chat', executeTool: 'execute_tool' } as const;
