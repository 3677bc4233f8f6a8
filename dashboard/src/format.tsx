// Small shared renderers: times, durations, money, status badges, one-line event summaries.
import type { LooseEvent } from './state.js';

export function formatTime(ms: number): string {
  const date = new Date(ms);
  return `${date.toLocaleDateString()} ${date.toLocaleTimeString()}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  return usd < 0.01 ? `$${usd.toFixed(6)}` : `$${usd.toFixed(4)}`;
}

export function StatusBadge(props: { status: string }) {
  return (
    <span class={`badge status-${props.status}`} data-status={props.status}>
      {props.status}
    </span>
  );
}

const HIDDEN = new Set(['type', 'seq', 'at', 'path', 'runId', 'spec', 'prompts', 'tools', 'hash']);

/** The fields of an event worth a glance, cut to one line. */
export function eventSummary(event: LooseEvent): string {
  const fields = Object.entries(event as unknown as Record<string, unknown>)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return fields.length > 180 ? `${fields.slice(0, 179)}…` : fields;
}
