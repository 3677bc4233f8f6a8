/**
 * The four health monitors of the paper (§2.1). Each turns what is known before a tool step into a
 * signal with a priority; the highest priority wins. They are cheap, pure functions (keyword
 * matching and thresholds, no model call): the point is that most control decisions need no LLM.
 *
 * Priority rules, exactly the author's:
 *
 * | monitor     | priority                                                     |
 * | ----------- | ------------------------------------------------------------ |
 * | intent      | 0.90 when a keyword matches, else 0.30                       |
 * | risk        | 0.95 when amount > 10 000; 0.85 with risk flags; else 0.20   |
 * | tool-health | 0.99 when any tool is down, else 0.10                        |
 * | progress    | 0.50 when the expected steps are known, else 0.10            |
 *
 * Only a tool-health win changes what the router does (a pre-emptive reroute); the others are
 * recorded with each call so the journal shows why the router went ahead.
 */
export type MonitorName = 'intent' | 'risk' | 'tool-health' | 'progress';

/** What the caller knows about the request a route serves (intent and risk read it). */
export interface RouteRequest {
  readonly text?: string;
  readonly amount?: number;
  readonly riskFlags?: readonly string[];
}

export type Signal =
  | { readonly monitor: 'intent'; readonly priority: number; readonly intent: string | null }
  | {
      readonly monitor: 'risk';
      readonly priority: number;
      readonly level: 'high' | 'medium' | 'low';
    }
  | { readonly monitor: 'tool-health'; readonly priority: number; readonly down: readonly string[] }
  | {
      readonly monitor: 'progress';
      readonly priority: number;
      readonly completed: number;
      readonly expected: number | null;
    };

/** The author's keyword table; the first intent with a matching keyword wins. */
export const DEFAULT_INTENTS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['refund', ['refund', 'return', 'money back', 'cancel order']],
  ['booking', ['book', 'reserve', 'flight', 'hotel', 'travel']],
  ['moderation', ['review', 'moderate', 'flag', 'report', 'content']],
  ['support', ['help', 'issue', 'problem', 'assist']],
];

export const HIGH_VALUE_AMOUNT = 10_000;

export function intentMonitor(
  request: RouteRequest,
  intents: ReadonlyArray<readonly [string, readonly string[]]> = DEFAULT_INTENTS,
): Signal {
  const text = (request.text ?? '').toLowerCase();
  const match = intents.find(([, keywords]) => keywords.some((keyword) => text.includes(keyword)));
  return { monitor: 'intent', priority: match ? 0.9 : 0.3, intent: match ? match[0] : null };
}

export function riskMonitor(request: RouteRequest, highValue = HIGH_VALUE_AMOUNT): Signal {
  if ((request.amount ?? 0) > highValue) return { monitor: 'risk', priority: 0.95, level: 'high' };
  if ((request.riskFlags ?? []).length > 0)
    return { monitor: 'risk', priority: 0.85, level: 'medium' };
  return { monitor: 'risk', priority: 0.2, level: 'low' };
}

/** `down`: the tools whose breaker is open now (breaker.ts `downTools`). */
export function toolHealthMonitor(down: readonly string[]): Signal {
  return { monitor: 'tool-health', priority: down.length > 0 ? 0.99 : 0.1, down: [...down] };
}

/** `expected`: how many steps the task is expected to take, when known. */
export function progressMonitor(completed: number, expected?: number): Signal {
  const known = expected !== undefined && expected > 0;
  return {
    monitor: 'progress',
    priority: known ? 0.5 : 0.1,
    completed,
    expected: known ? expected : null,
  };
}

export interface MonitorInput {
  readonly request: RouteRequest;
  readonly down: readonly string[];
  readonly completed: number;
  readonly expected?: number;
}

/**
 * Runs all four monitors in a fixed order (intent, risk, tool-health, progress) and picks the
 * signal with the highest priority; on equal priority the earlier monitor wins, as Python's `max`
 * does in the reference. With the rules above no two monitors can tie, but the order makes the
 * winner well defined for custom priorities.
 */
export function runMonitors(input: MonitorInput): { winner: Signal; signals: Signal[] } {
  const signals = [
    intentMonitor(input.request),
    riskMonitor(input.request),
    toolHealthMonitor(input.down),
    progressMonitor(input.completed, input.expected),
  ];
  return { winner: pickWinner(signals), signals };
}

export function pickWinner(signals: readonly Signal[]): Signal {
  const [first, ...rest] = signals;
  if (!first) throw new RangeError('pickWinner needs at least one signal');
  return rest.reduce((best, signal) => (signal.priority > best.priority ? signal : best), first);
}
