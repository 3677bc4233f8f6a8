import { describe, expect, it } from 'vitest';
import { openAIModel } from '../../src/providers/ai-sdk.js';
import {
  lookupPrice,
  priceOf,
  priceOfProvider,
  PRICES,
  PRICES_AS_OF,
} from '../../src/providers/prices.js';
import { SimulatedModel } from '../../src/providers/simulated.js';

describe('the shipped price table', () => {
  it('is dated and priced per million tokens', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [model, price] of Object.entries(PRICES)) {
      expect(price.inputPerMTok, model).toBeGreaterThan(0);
      expect(price.outputPerMTok, model).toBeGreaterThanOrEqual(price.inputPerMTok);
    }
  });

  it('finds exact ids, dated snapshots and -latest aliases, and nothing else', () => {
    expect(lookupPrice('gpt-4o-mini')).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.6 });
    expect(lookupPrice('gpt-4o-mini-2024-07-18')).toBe(PRICES['gpt-4o-mini']);
    expect(lookupPrice('gpt-4o-2024-08-06')).toBe(PRICES['gpt-4o']);
    expect(lookupPrice('claude-sonnet-4-5-20250929')).toBe(PRICES['claude-sonnet-4-5']);
    expect(lookupPrice('claude-opus-4-1-20250805')).toBe(PRICES['claude-opus-4-1']);
    expect(lookupPrice('claude-3-5-haiku-latest')).toBe(PRICES['claude-3-5-haiku']);
    expect(lookupPrice('openai:gpt-4o-mini-2024-07-18')).toBe(PRICES['gpt-4o-mini']);
    // Not a snapshot of a known family: unknown, never the price of a neighbour.
    expect(lookupPrice('claude-opus-4-7')).toBeUndefined();
    expect(lookupPrice('gpt-4o-audio-preview')).toBeUndefined();
    expect(lookupPrice('llama3.1:8b')).toBeUndefined();
  });
});

describe('priceOf', () => {
  it('prices usage by model id or by an explicit price', () => {
    const cost = priceOf('gpt-4o', { inputTokens: 1_000_000, outputTokens: 500_000 });
    expect(cost).toMatchObject({ inputUsd: 2.5, outputUsd: 5, totalUsd: 7.5 });
    expect(
      priceOf({ inputPerMTok: 0.15, outputPerMTok: 0.15 }, { inputTokens: 2000, outputTokens: 0 })
        ?.totalUsd,
    ).toBeCloseTo(0.0003, 12);
    expect(priceOf('unknown-model', { inputTokens: 1, outputTokens: 1 })).toBeUndefined();
  });

  it('a custom table overrides the shipped one', () => {
    const table = { ...PRICES, 'gpt-4o': { inputPerMTok: 1, outputPerMTok: 1 } };
    expect(priceOf('gpt-4o', { inputTokens: 1e6, outputTokens: 1e6 }, table)?.totalUsd).toBe(2);
  });
});

describe('priceOfProvider', () => {
  it('reads the price a registered model carries', () => {
    const real = openAIModel({ name: 'fast', model: 'gpt-4o-mini', apiKey: 'unused' });
    expect(priceOfProvider(real)).toBe(PRICES['gpt-4o-mini']);
    const overridden = openAIModel({
      name: 'fast',
      model: 'gpt-4o-mini',
      apiKey: 'unused',
      price: { inputPerMTok: 9, outputPerMTok: 9 },
    });
    expect(priceOfProvider(overridden)).toEqual({ inputPerMTok: 9, outputPerMTok: 9 });
    const cheap = new SimulatedModel({
      name: 'cheap',
      price: { inputPerMTok: 0.15, outputPerMTok: 0.15 },
    });
    expect(priceOfProvider(cheap)).toEqual({ inputPerMTok: 0.15, outputPerMTok: 0.15 });
    expect(priceOfProvider(new SimulatedModel())).toBeUndefined();
    expect(priceOfProvider(undefined)).toBeUndefined();
  });
});
