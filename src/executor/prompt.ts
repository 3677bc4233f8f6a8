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
