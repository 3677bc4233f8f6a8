import type { ModelInfo } from '../core/events.js';
import type { ModelProvider, ModelRequest, ModelResponse } from '../core/ports.js';
import { priceOf, priceOfProvider, type Price } from './prices.js';

/**
 * The one priced seam every model call of a run goes through (the driver calls `meteredGenerate`,
 * never a provider directly): the response's usage is priced from the model's price — the config's
 * `price:`, else the shipped table — and its finish reason carried, so `model-call-end` journals
 * `costUsd` and `finishReason` beside `usage`. Budgets (executor/budget.ts) sum these journaled
 * figures; replay reads them back and never calls a provider.
 */
export async function meteredGenerate(
  provider: ModelProvider,
  request: ModelRequest,
  signal: AbortSignal,
): Promise<ModelResponse> {
  const response = await provider.generate(request, signal);
  return meter(response, priceOfProvider(provider));
}

/** A response with its cost filled in from `price` (a provider's own figure is kept). */
export function meter(response: ModelResponse, price: Price | undefined): ModelResponse {
  const costUsd =
    response.costUsd ?? (price ? priceOf(price, response.usage)?.totalUsd : undefined);
  return {
    text: response.text,
    model: response.model,
    usage: { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens },
    ...(response.simulated ? { simulated: true } : {}),
    ...(response.finishReason === undefined ? {} : { finishReason: response.finishReason }),
    ...(costUsd === undefined ? {} : { costUsd }),
    ...(response.toolCalls === undefined ? {} : { toolCalls: response.toolCalls }),
  };
}

/** What run-start records of a model for budget checks: its price, when it has one. */
export function modelInfo(provider: ModelProvider): ModelInfo {
  const price = priceOfProvider(provider);
  return price
    ? { price: { inputPerMTok: price.inputPerMTok, outputPerMTok: price.outputPerMTok } }
    : {};
}
