/**
 * What model calls cost. Prices are USD per million tokens, input and output, at the providers'
 * standard (not batch, not cached-input) rates. A model's config entry may override its row with
 * `price: { inputPerMTok, outputPerMTok }`, and must for a model this table does not know (an
 * openai-compatible server, a new snapshot with a new name).
 */
export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelCost {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
  price: Price;
}

/**
 * The date the table below was compiled. Sources: the providers' published price pages as quoted on
 * 2026-03-21 (Anthropic's pricing page for the Claude 3/4 rows; OpenAI's pricing page, as reproduced
 * by two independent price trackers, for the OpenAI rows). Prices change: check the provider's page
 * and override in config where it matters.
 */
export const PRICES_AS_OF = '2026-03-21';

/**
 * Keyed by the provider's model id. A dated snapshot (`gpt-4o-2024-08-06`,
 * `claude-sonnet-4-5-20250929`) or a `-latest` alias finds its family's row; any other suffix does
 * not (`claude-opus-4-7` is not priced as `claude-opus-4`), so an unknown model stays unknown.
 */
export const PRICES: Readonly<Record<string, Price>> = {
  // OpenAI
  'gpt-5': { inputPerMTok: 1.25, outputPerMTok: 10 },
  'gpt-5.1': { inputPerMTok: 1.25, outputPerMTok: 10 },
  'gpt-5-mini': { inputPerMTok: 0.25, outputPerMTok: 2 },
  'gpt-5-nano': { inputPerMTok: 0.05, outputPerMTok: 0.4 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  o3: { inputPerMTok: 2, outputPerMTok: 8 },
  'o4-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4 },
  // Anthropic
  'claude-opus-4-6': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-opus-4-5': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-opus-4-1': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-opus-4': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-sonnet-4-6': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-sonnet-4-5': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-sonnet-4': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-3-7-sonnet': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  'claude-3-5-haiku': { inputPerMTok: 0.8, outputPerMTok: 4 },
  'claude-3-haiku': { inputPerMTok: 0.25, outputPerMTok: 1.25 },
};

/** What may follow a table key in a model id of the same family: a snapshot date or `latest`. */
const SNAPSHOT_SUFFIX = /^-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/;

/**
 * The price of a model id: an exact key, else a key followed by a snapshot date or `-latest`. A
 * `provider:` prefix (`openai:gpt-4o`, as ModelResponse.model reports it) is ignored.
 */
export function lookupPrice(
  modelId: string,
  table: Readonly<Record<string, Price>> = PRICES,
): Price | undefined {
  const id = modelId.includes(':') ? modelId.slice(modelId.indexOf(':') + 1) : modelId;
  const exact = table[id];
  if (exact) return exact;
  for (const [key, price] of Object.entries(table))
    if (id.startsWith(key) && SNAPSHOT_SUFFIX.test(id.slice(key.length))) return price;
  return undefined;
}

/**
 * What `usage` cost on `model`: a Price, or a model id looked up in `table`. Undefined when the model
 * has no known price, so a budget can refuse rather than count it as free.
 */
export function priceOf(
  model: string | Price,
  usage: TokenUsage,
  table: Readonly<Record<string, Price>> = PRICES,
): ModelCost | undefined {
  const price = typeof model === 'string' ? lookupPrice(model, table) : model;
  if (!price) return undefined;
  const inputUsd = (usage.inputTokens * price.inputPerMTok) / 1_000_000;
  const outputUsd = (usage.outputTokens * price.outputPerMTok) / 1_000_000;
  return { inputUsd, outputUsd, totalUsd: inputUsd + outputUsd, price };
}

/** A provider that knows its own price (AiSdkModel, SimulatedModel with a profile). */
export interface PricedModel {
  readonly price: Price | undefined;
}

/** The price a registered provider carries, if it carries one. */
export function priceOfProvider(provider: unknown): Price | undefined {
  if (typeof provider !== 'object' || provider === null || !('price' in provider)) return undefined;
  const price = (provider as { price?: unknown }).price;
  return isPrice(price) ? price : undefined;
}

export function isPrice(value: unknown): value is Price {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Price).inputPerMTok === 'number' &&
    typeof (value as Price).outputPerMTok === 'number'
  );
}
