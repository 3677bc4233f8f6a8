import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { JsonValue } from './json.js';

/**
 * A prompt file (docs/models.md#prompts): the prompt's text, optionally after YAML front matter
 * between `---` lines that carries its metadata — a version label, a description, a model hint and
 * an output schema. The file's content hash (sha256 of the whole file, front matter included) is its
 * version identity: every model call journals it as `promptHash`, and `switchyard prompts list`
 * groups runs by it. Parsing is pure, so the engine strips the front matter on replay exactly as it
 * did live.
 */
export const PromptFrontMatterSchema = z.strictObject({
  version: z.union([z.string(), z.number().transform(String)]).optional(),
  description: z.string().optional(),
  /** Used by an agent step that names no model (before the workflow's routing). */
  model: z.string().min(1).optional(),
  /** Used by an agent step that declares no output schema. */
  output: z.strictObject({ schema: z.record(z.string(), z.json()) }).optional(),
});
export type PromptFrontMatter = z.output<typeof PromptFrontMatterSchema>;

export type PromptFile =
  | { ok: true; body: string; frontMatter: PromptFrontMatter | null }
  | { ok: false; message: string; line: number };

const OPENING = /^---[ \t]*\r?\n/;
const CLOSING = /^---[ \t]*$/m;

const cache = new Map<string, PromptFile>();

/** Splits and checks a prompt file's front matter; a file without `---` on line 1 is all body. */
export function parsePromptFile(text: string): PromptFile {
  const cached = cache.get(text);
  if (cached) return cached;
  const result = parse(text);
  if (cache.size > 256) cache.clear();
  cache.set(text, result);
  return result;
}

function parse(text: string): PromptFile {
  const opening = OPENING.exec(text);
  if (!opening) return { ok: true, body: text, frontMatter: null };
  const rest = text.slice(opening[0].length);
  const closing = CLOSING.exec(rest);
  if (!closing)
    return {
      ok: false,
      message: 'front matter opened with --- on line 1 is never closed',
      line: 1,
    };
  const yamlText = rest.slice(0, closing.index);
  const after = rest.slice(closing.index + closing[0].length).replace(/^\r?\n/, '');
  const document = parseDocument(yamlText, { prettyErrors: false });
  const error = document.errors[0];
  if (error) {
    const line = (error.linePos?.[0].line ?? 0) + 1;
    return { ok: false, message: `front matter is not valid YAML: ${error.message}`, line };
  }
  const raw = (document.toJS() ?? {}) as JsonValue;
  const parsed = PromptFrontMatterSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return {
      ok: false,
      message: `front matter ${where}${issue?.message ?? 'is invalid'} (fields: version, description, model, output)`,
      line: 2,
    };
  }
  return { ok: true, body: after, frontMatter: parsed.data };
}
