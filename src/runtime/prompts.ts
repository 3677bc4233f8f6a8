import { blobRefs, hydrate } from '../core/journal-codec.js';
import { sha256Hex } from '../core/hash.js';
import type { JsonValue } from '../core/json.js';
import type { JournalStore, RunStatus } from '../core/ports.js';
import { parsePromptFile } from '../core/prompt-file.js';

/**
 * `switchyard prompts list`: every prompt file the runs in a store used, by path, and its versions.
 * A version is the file's content hash (sha256 of the whole file, front matter included) — the
 * `promptHash` every model call of the run journals — with the front matter's `version` label when
 * it has one, and the runs that used it. Read from each run's `run-start`, which records the prompt
 * files as they were when the run started, so no prompt file needs to exist any more.
 */
export interface PromptVersion {
  hash: string;
  /** The front matter's `version`, when it has one. */
  label?: string;
  description?: string;
  model?: string;
  runs: Array<{ runId: string; workflow: string; status: RunStatus; createdAt: number }>;
  firstUsed: number;
  lastUsed: number;
}

export interface PromptHistory {
  path: string;
  /** Oldest first. */
  versions: PromptVersion[];
}

export async function promptHistory(store: JournalStore): Promise<PromptHistory[]> {
  const byPath = new Map<string, Map<string, PromptVersion>>();
  const runs = await store.listRuns();
  for (const run of runs) {
    const [first] = await store.read(run.runId);
    if (!first) continue;
    const events = JSON.parse(first.body) as Array<Record<string, unknown>>;
    const start = events[0];
    if (start?.type !== 'run-start') continue;
    const blobs = new Map<string, JsonValue>();
    for (const ref of blobRefs(start)) {
      const text = await store.getBlob(ref);
      if (text !== undefined) blobs.set(ref, JSON.parse(text) as JsonValue);
    }
    let prompts: Record<string, string>;
    try {
      const event = hydrate(start, blobs);
      prompts = event.type === 'run-start' ? event.prompts : {};
    } catch {
      continue; // a run whose prompts blob is missing: `replay --verify` reports it
    }
    for (const [path, text] of Object.entries(prompts)) {
      const hash = sha256Hex(text);
      let versions = byPath.get(path);
      if (!versions) byPath.set(path, (versions = new Map<string, PromptVersion>()));
      let version = versions.get(hash);
      if (!version) {
        const parsed = parsePromptFile(text);
        const front = parsed.ok ? parsed.frontMatter : null;
        version = {
          hash,
          ...(front?.version === undefined ? {} : { label: front.version }),
          ...(front?.description === undefined ? {} : { description: front.description }),
          ...(front?.model === undefined ? {} : { model: front.model }),
          runs: [],
          firstUsed: run.createdAt,
          lastUsed: run.createdAt,
        };
        versions.set(hash, version);
      }
      version.runs.push({
        runId: run.runId,
        workflow: run.workflow,
        status: run.status,
        createdAt: run.createdAt,
      });
      version.firstUsed = Math.min(version.firstUsed, run.createdAt);
      version.lastUsed = Math.max(version.lastUsed, run.createdAt);
    }
  }
  return [...byPath.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, versions]) => ({
      path,
      versions: [...versions.values()]
        .map((version) => ({
          ...version,
          runs: version.runs.sort(
            (a, b) => a.createdAt - b.createdAt || a.runId.localeCompare(b.runId),
          ),
        }))
        .sort((a, b) => a.firstUsed - b.firstUsed || a.hash.localeCompare(b.hash)),
    }));
}

/** The text rendering: one block per prompt file, one line per version, oldest first. */
export function renderPromptHistory(history: readonly PromptHistory[]): string {
  if (history.length === 0) return 'No run in this store used a prompt file.';
  const lines: string[] = [];
  for (const prompt of history) {
    lines.push(prompt.path);
    for (const version of prompt.versions) {
      const label = version.label === undefined ? '' : ` version ${version.label}`;
      const model = version.model === undefined ? '' : ` (model hint: ${version.model})`;
      const ids = version.runs.slice(0, 5).map((run) => run.runId);
      const more = version.runs.length > 5 ? `, … ${version.runs.length - 5} more` : '';
      lines.push(
        `  ${version.hash.slice(0, 12)}${label}${model}: ${version.runs.length} run${
          version.runs.length === 1 ? '' : 's'
        }, last ${new Date(version.lastUsed).toISOString()} — ${ids.join(', ')}${more}`,
      );
    }
  }
  return lines.join('\n');
}
