import type { ModelCallRequest } from '../core/events.js';
import { sha256Hex } from '../core/hash.js';
import { isJsonObject, type JsonValue } from '../core/json.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*)\s*\}\}/g;

export type RenderResult = { ok: true; text: string } | { ok: false; message: string };

/**
 * Fills `{{ name }}` / `{{ customer.address.city }}` placeholders from the step's input. Strings go in
 * as they are, other values as JSON. A placeholder with no value is an error rather than an empty
 * string: a prompt silently missing its data is the hardest agent bug to find.
 */
export function renderPrompt(template: string, input: JsonValue): RenderResult {
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER, (_whole, path: string) => {
    let value: JsonValue | undefined = input;
    for (const part of path.split(/\.|\[(\d+)\]/).filter((p): p is string => Boolean(p))) {
      if (/^\d+$/.test(part) && Array.isArray(value)) value = value[Number(part)];
      else value = isJsonObject(value) && Object.hasOwn(value, part) ? value[part] : undefined;
    }
    if (value === undefined) {
      missing.push(path);
      return '';
    }
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
  if (missing.length > 0) {
    return {
      ok: false,
      message: `prompt placeholders with no value in the step input: ${missing.join(', ')}`,
    };
  }
  return { ok: true, text };
}

/**
 * The prompt text of a model-call-start, rebuilt from what the journal keeps (ModelCallRequest): the
 * literal `prompt`, or the run's template with hash `promptHash` rendered with `input`. Templates are
 * indexed by hash on first use; a run has a handful.
 */
export class CallPrompts {
  private byHash: Map<string, string> | null = null;
  /** The last rendering: a vote step's samples share one input object and one prompt. */
  private last: { hash: string; input: JsonValue | undefined; result: RenderResult } | null = null;

  constructor(private readonly templates: Readonly<Record<string, string>>) {}

  text(promptHash: string, request: ModelCallRequest): RenderResult {
    if (typeof request.prompt === 'string') return { ok: true, text: request.prompt };
    const last = this.last;
    if (
      last !== null &&
      last.hash === promptHash &&
      last.input === request.input &&
      typeof last.input === 'object'
    )
      return last.result;
    const result = this.render(promptHash, request);
    this.last = { hash: promptHash, input: request.input, result };
    return result;
  }

  private render(promptHash: string, request: ModelCallRequest): RenderResult {
    if (this.byHash === null) {
      this.byHash = new Map();
      for (const template of Object.values(this.templates))
        this.byHash.set(sha256Hex(template), template);
    }
    const template = this.byHash.get(promptHash);
    if (template === undefined)
      return { ok: false, message: `no prompt template with hash ${promptHash} in the run` };
    return renderPrompt(template, request.input ?? null);
  }
}
