import { isJsonObject, type JsonValue } from '../core/json.js';
import { isReferenceText } from '../core/reference.js';
import type { PathSegment } from './issues.js';

export type TemplateItem =
  | { kind: 'reference'; text: string; at: PathSegment[] }
  | { kind: 'expression'; source: string; at: PathSegment[] }
  | { kind: 'malformed'; message: string; at: PathSegment[] };

/**
 * The references and expressions inside a template, like core/reference.ts templateParts (and with
 * the same rules, so validation sees what the executor will resolve), but with paths as segments
 * that can be mapped back to a source line, without throwing on bad syntax, and flagging
 * `$expr`/`$literal` objects with extra keys, which the executor would silently treat as plain
 * data.
 */
export function walkTemplate(template: JsonValue | undefined, at: PathSegment[]): TemplateItem[] {
  const items: TemplateItem[] = [];
  const visit = (node: JsonValue | undefined, where: PathSegment[]): void => {
    if (typeof node === 'string') {
      if (isReferenceText(node)) items.push({ kind: 'reference', text: node, at: where });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, [...where, index]));
      return;
    }
    if (!isJsonObject(node)) return;
    const keys = Object.keys(node);
    if ('$literal' in node) {
      if (keys.length > 1)
        items.push({
          kind: 'malformed',
          message: '"$literal" must be the only key of its object',
          at: where,
        });
      return;
    }
    if ('$expr' in node) {
      if (typeof node.$expr === 'string' && keys.length === 1) {
        items.push({ kind: 'expression', source: node.$expr, at: [...where, '$expr'] });
        return;
      }
      items.push({
        kind: 'malformed',
        message: '"$expr" must be the only key of its object and hold a JSONata string',
        at: where,
      });
    }
    for (const [key, value] of Object.entries(node)) visit(value, [...where, key]);
  };
  visit(template, at);
  return items;
}
