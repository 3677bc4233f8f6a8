import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
  type YAMLError,
} from 'yaml';
import type { PathSegment, SpecIssue } from '../graph/issues.js';
import { formatPath } from '../graph/issues.js';
import type { Locate } from './parse.js';

export type ParsedDocument =
  { ok: true; raw: unknown; locate: Locate } | { ok: false; issues: SpecIssue[] };

/**
 * Parses YAML (or JSON, which is YAML) text, keeping enough of the document to map any data path
 * back to a line and column. Duplicate keys are errors: YAML parsers that keep the last one
 * silently drop half of a step.
 */
export function parseYamlText(text: string, file: string): ParsedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: true,
    strict: true,
  });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return { ok: false, issues: problems.map((error) => yamlIssue(error, doc, file)) };
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // Unresolved aliases and alias bombs only surface when the document is converted.
    const alias = firstAlias(doc);
    const position = alias?.range ? lineCounter.linePos(alias.range[0]) : undefined;
    const issue: SpecIssue = {
      code: 'SPEC_YAML_SYNTAX',
      message: error instanceof Error ? error.message : String(error),
      path: '',
      file,
    };
    if (position) Object.assign(issue, { line: position.line, column: position.col });
    return { ok: false, issues: [issue] };
  }
  const locate: Locate = (path) => {
    const offset = offsetOf(doc, path);
    if (offset === undefined) return undefined;
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  return { ok: true, raw, locate };
}

function yamlIssue(error: YAMLError, doc: Document, file: string): SpecIssue {
  const duplicate = error.code === 'DUPLICATE_KEY';
  const message = (error.message.split('\n')[0] ?? error.message).replace(
    / at line \d+, column \d+:?$/,
    '',
  );
  // After a syntax error the tree is a guess, so only a duplicate key gets a data path.
  const path = duplicate ? pathAtOffset(doc, error.pos[0]) : [];
  const key = path[path.length - 1];
  const issue: SpecIssue = {
    code: duplicate ? 'SPEC_YAML_DUPLICATE_KEY' : 'SPEC_YAML_SYNTAX',
    message: duplicate
      ? `key ${key === undefined ? '' : `"${key}" `}appears twice in the same mapping`
      : message,
    path: formatPath(path),
    file,
  };
  const position = error.linePos?.[0];
  if (position) Object.assign(issue, { line: position.line, column: position.col });
  if (duplicate) issue.hint = 'YAML keeps only one of them; delete or rename the other';
  return issue;
}

function firstAlias(doc: Document): YamlNode | undefined {
  let found: YamlNode | undefined;
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

function keyOf(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/**
 * Offset of the node at `path`: for a mapping entry, its key (where a reader looks for a field);
 * for a list item, the item. A path that goes further than the document (a missing field) stops at
 * the deepest node that exists.
 */
function offsetOf(doc: Document, path: readonly PathSegment[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as YamlNode | null)?.range?.[0];
  for (const segment of path) {
    node = resolve(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((item) => keyOf(item.key) === String(segment));
      if (!pair) break;
      offset = (pair.key as YamlNode | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as YamlNode | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/**
 * The data path of the innermost mapping key or list item containing `offset` (for syntax errors).
 */
function pathAtOffset(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  const contains = (n: unknown): boolean => {
    const range = (n as YamlNode | null)?.range;
    return range !== undefined && range !== null && offset >= range[0] && offset <= range[2];
  };
  for (let depth = 0; depth < 256; depth++) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && (contains(item.key) || contains(item.value)),
      );
      const key = pair ? keyOf(pair.key) : undefined;
      if (!pair || key === undefined) break;
      path.push(key);
      if (contains(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item));
      if (index < 0) break;
      path.push(index);
      node = node.items[index];
    } else break;
  }
  return path;
}
