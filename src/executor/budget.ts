import type { Failure } from '../core/errors.js';
import type { EscalationEvent, ModelInfo, Spend, Unsequenced } from '../core/events.js';
import type { BudgetSpec } from '../core/spec.js';

/**
 * Budgets on model spend (docs/models.md#budgets), as pure functions of the journal: what a run and
 * each step have spent is summed from `model-call-end` events (their `costUsd` and `usage`), what a
 * call may cost at worst is priced from the model's price as `run-start` recorded it. Nothing here
 * reads a clock or the config, so replay re-derives every refusal and every escalation.
 *
 * Before a call: its worst case — the prompt's estimated input tokens plus `maxTokens` of output —
 * is added to what the scope has spent and to what its calls still in flight may cost at worst; if
 * that passes a limit, the call is refused before it is sent. A call without `maxTokens` under a
 * budget is sent with `maxTokens` set to what the budget still affords, so the provider itself
 * stops it there. After a call: its actual usage is added; if that passes a limit (the input
 * estimate was low), the step fails. Either way a `budget-exceeded` escalation with the figures is
 * journaled first.
 */

/** Spend that is charged and spend reserved at worst case for calls still in flight. */
export interface Ledger {
  /** Charged so far: the run's total, and each step's (by path) while the step runs. */
  run: Spend;
  steps: Record<string, Spend>;
  /** Calls in flight, by waiting key (`path` or `path#s<n>`): their step path and worst case. */
  inflight: Record<string, { path: string; attempt: number; worst: Spend }>;
}

export function emptyLedger(): Ledger {
  return { run: { usd: 0, tokens: 0 }, steps: {}, inflight: {} };
}

/**
 * Tokens a prompt may count for, estimated without a tokenizer: one per 3 characters, rounded up.
 * Typical English is about 4 characters per token, so this overestimates most prompts; the check
 * after the call uses the provider's own count.
 */
export function estimateInputTokens(prompt: string): number {
  return Math.ceil(prompt.length / 3);
}

type Price = NonNullable<ModelInfo['price']>;

function usdOf(price: Price | undefined, input: number, output: number): number {
  if (!price) return 0;
  return (input * price.inputPerMTok + output * price.outputPerMTok) / 1_000_000;
}

export interface Scope {
  budget: 'run' | 'step';
  limit: BudgetSpec;
  /** Charged plus in flight at worst. */
  used: Spend;
}

export type GateResult =
  { ok: true; worst: Spend; maxTokens: number | undefined } | { ok: false; refusal: Refusal };

export interface Refusal {
  budget: 'run' | 'step';
  exceeded: 'usd' | 'tokens';
  limit: BudgetSpec;
  spent: Spend;
  call: Spend;
  /** Set when the limit is in USD and the model has no price: the call cannot be priced. */
  unpriced?: boolean;
}

/**
 * The check before a call. `scopes` are the budgets that apply (the run's and the step's); none →
 * the call is not gated. Returns the worst case to reserve and the `maxTokens` to send.
 */
export function gateCall(
  scopes: readonly Scope[],
  price: Price | undefined,
  prompt: string,
  maxTokens: number | undefined,
): GateResult {
  const input = estimateInputTokens(prompt);
  const inputUsd = usdOf(price, input, 0);
  let cap = maxTokens;
  if (cap === undefined) {
    // The most output every scope can still afford: the provider is asked to stop there.
    let affordable = Number.POSITIVE_INFINITY;
    for (const scope of scopes) {
      if (scope.limit.tokens !== undefined)
        affordable = Math.min(affordable, scope.limit.tokens - scope.used.tokens - input);
      if (scope.limit.usd !== undefined && price && price.outputPerMTok > 0)
        affordable = Math.min(
          affordable,
          Math.floor(
            ((scope.limit.usd - scope.used.usd - inputUsd) * 1_000_000) / price.outputPerMTok,
          ),
        );
    }
    if (Number.isFinite(affordable)) cap = Math.max(1, Math.floor(affordable));
  }
  const worst: Spend = {
    tokens: input + (cap ?? 0),
    usd: usdOf(price, input, cap ?? 0),
  };
  for (const scope of scopes) {
    if (scope.limit.usd !== undefined && price === undefined)
      return {
        ok: false,
        refusal: { ...refusal(scope, 'usd', worst), unpriced: true },
      };
    if (scope.limit.tokens !== undefined && scope.used.tokens + worst.tokens > scope.limit.tokens)
      return { ok: false, refusal: refusal(scope, 'tokens', worst) };
    if (scope.limit.usd !== undefined && scope.used.usd + worst.usd > scope.limit.usd)
      return { ok: false, refusal: refusal(scope, 'usd', worst) };
  }
  return { ok: true, worst, maxTokens: cap };
}

function refusal(scope: Scope, exceeded: 'usd' | 'tokens', call: Spend): Refusal {
  return {
    budget: scope.budget,
    exceeded,
    limit: { ...scope.limit },
    spent: { ...scope.used },
    call: { ...call },
  };
}

/** What a finished call cost: its journaled cost, else priced from its usage. */
export function actualSpend(
  event: { usage: { inputTokens: number; outputTokens: number }; costUsd?: number },
  price: Price | undefined,
): Spend {
  const { inputTokens, outputTokens } = event.usage;
  return {
    tokens: inputTokens + outputTokens,
    usd: event.costUsd ?? usdOf(price, inputTokens, outputTokens),
  };
}

/** The check after a call: which scope (if any) its actual spend took past a limit. */
export function overrun(
  scopes: ReadonlyArray<Scope & { before: Spend }>,
  call: Spend,
): Refusal | null {
  for (const scope of scopes) {
    const after = { usd: scope.before.usd + call.usd, tokens: scope.before.tokens + call.tokens };
    const exceeded =
      scope.limit.tokens !== undefined && after.tokens > scope.limit.tokens
        ? 'tokens'
        : scope.limit.usd !== undefined && after.usd > scope.limit.usd
          ? 'usd'
          : null;
    if (exceeded)
      return {
        budget: scope.budget,
        exceeded,
        limit: { ...scope.limit },
        spent: { ...scope.before },
        call: { ...call },
      };
  }
  return null;
}

export function addSpend(a: Spend, b: Spend): Spend {
  return { usd: a.usd + b.usd, tokens: a.tokens + b.tokens };
}

export function escalationEvent(
  refusal: Refusal,
  at: number,
  path: string,
  model: string,
  phase: 'before-call' | 'after-call',
): Unsequenced<EscalationEvent> {
  return {
    type: 'escalation',
    at,
    path,
    reason: 'budget-exceeded',
    budget: refusal.budget,
    phase,
    model,
    exceeded: refusal.exceeded,
    limit: refusal.limit,
    spent: refusal.spent,
    call: refusal.call,
  };
}

/** The step's failure after a budget escalation: BUDGET_EXCEEDED, with the figures in the message. */
export function budgetFailure(
  refusal: Refusal,
  model: string,
  phase: 'before-call' | 'after-call',
): Failure {
  const scope = refusal.budget === 'run' ? "the run's budget" : "the step's budget";
  const message = refusal.unpriced
    ? `model '${model}' has no price, so a call cannot be checked against ${scope} of $${String(refusal.limit.usd)}: give it a price in the config`
    : refusal.exceeded === 'usd'
      ? `${phase === 'before-call' ? 'refused before sending: ' : ''}a call to model '${model}' ${
          phase === 'before-call' ? 'could cost up to' : 'cost'
        } $${fmtUsd(refusal.call.usd)}, and $${fmtUsd(refusal.spent.usd)} of ${scope} of $${String(
          refusal.limit.usd,
        )} is already spent or reserved`
      : `${phase === 'before-call' ? 'refused before sending: ' : ''}a call to model '${model}' ${
          phase === 'before-call' ? 'could use up to' : 'used'
        } ${refusal.call.tokens} tokens, and ${refusal.spent.tokens} of ${scope} of ${String(
          refusal.limit.tokens,
        )} tokens are already spent or reserved`;
  return { type: 'budget-exceeded', code: 'BUDGET_EXCEEDED', message, retryable: false };
}

function fmtUsd(value: number): string {
  return value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}
