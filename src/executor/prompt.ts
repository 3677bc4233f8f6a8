import type { ModelCallRequest } from '../core/events.js';
import { sha256Hex } from '../core/hash.js';
import { isJsonObject, type JsonValue } from '../core/json.js';
import { parsePromptFile } from '../core/prompt-file.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*)\s*\}\}/g;

export type RenderResult = { ok: true; text: string } | { ok: false; message: string };

/** A template split once at its placeholders: literals[i] comes before placeholder i. */
interface CompiledTemplate {
  literals: string[];
  placeholders: Array<{ name: string; parts: string[] }>;
}

/** Templates are few per process and rendered once per model call: each is parsed once. */
const compiledTemplates = new Map<string, CompiledTemplate | { error: string }>();

/**
 * A prompt file's body split at its placeholders. Its front matter (core/prompt-file.ts) is
 * metadata, never sent to the model: the body after it is the template.
 */
function compile(file: string): CompiledTemplate | { error: string } {
  let compiled = compiledTemplates.get(file);
  if (compiled) return compiled;
  const parsed = parsePromptFile(file);
  if (!parsed.ok) {
    const error = { error: `prompt front matter (line ${parsed.line}): ${parsed.message}` };
    compiledTemplates.set(file, error);
    return error;
  }
  const template = parsed.body;
  compiled = { literals: [], placeholders: [] };
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] as string;
    compiled.literals.push(template.slice(last, match.index));
    compiled.placeholders.push({
      name,
      parts: name.split(/\.|\[(\d+)\]/).filter((p): p is string => Boolean(p)),
    });
    last = match.index + match[0].length;
  }
  compiled.literals.push(template.slice(last));
  compiledTemplates.set(file, compiled);
  return compiled;
}

function lookup(input: JsonValue, parts: readonly string[]): JsonValue | undefined {
  let value: JsonValue | undefined = input;
  for (const part of parts) {
    if (Array.isArray(value) && /^\d+$/.test(part)) value = value[Number(part)];
    else value = isJsonObject(value) && Object.hasOwn(value, part) ? value[part] : undefined;
  }
  return value;
}

function missingMessage(missing: readonly string[]): string {
  return `prompt placeholders with no value in the step input: ${missing.join(', ')}`;
}

/**
 * Fills `{{ name }}` / `{{ customer.address.city }}` placeholders from the step's input. Strings go in
 * as they are, other values as JSON. A placeholder with no value is an error rather than an empty
 * string: a prompt silently missing its data is the hardest agent bug to find.
 */
export function renderPrompt(template: string, input: JsonValue): RenderResult {
  const compiled = compile(template);
  if ('error' in compiled) return { ok: false, message: compiled.error };
  const { literals, placeholders } = compiled;
  let text = literals[0] as string;
  const missing: string[] = [];
  for (let i = 0; i < placeholders.length; i++) {
    const placeholder = placeholders[i] as CompiledTemplate['placeholders'][number];
    const value = lookup(input, placeholder.parts);
    if (value === undefined) missing.push(placeholder.name);
    else text += typeof value === 'string' ? value : JSON.stringify(value);
    text += literals[i + 1] as string;
  }
  return missing.length > 0 ? { ok: false, message: missingMessage(missing) } : { ok: true, text };
}

/**
 * Why renderPrompt would refuse, without building the text: the engine checks a step's input
 * against its template before any call, and the driver renders for the call itself.
 */
export function checkPrompt(template: string, input: JsonValue): string | null {
  const compiled = compile(template);
  if ('error' in compiled) return compiled.error;
  const missing: string[] = [];
  for (const placeholder of compiled.placeholders)
    if (lookup(input, placeholder.parts) === undefined) missing.push(placeholder.name);
  return missing.length > 0 ? missingMessage(missing) : null;
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
