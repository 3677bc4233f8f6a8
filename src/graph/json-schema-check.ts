import { isJsonObject, type JsonValue } from '../core/json.js';
import type { PathSegment } from './issues.js';
import { closest } from './suggest.js';

export interface SchemaProblem {
  path: PathSegment[];
  message: string;
  value: JsonValue;
  expected: string;
}

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMAS = [
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
  'additionalItems',
];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'];
const NUMBERS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf'];

/**
 * A shallow sanity check of the JSON Schemas embedded in a spec (workflow input, agent output). It
 * catches the mistakes that would otherwise surface only when a run validates its first value — a
 * misspelt `type`, `required` written as a string — without pulling a meta-schema validator into
 * the deterministic layer. Unknown keywords are left alone: JSON Schema allows them.
 */
export function jsonSchemaProblems(schema: JsonValue, path: PathSegment[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const check = (node: JsonValue, at: PathSegment[]): void => {
    if (typeof node === 'boolean') return;
    if (!isJsonObject(node)) {
      problems.push({
        path: at,
        message: 'not a JSON Schema',
        value: node,
        expected: 'an object or a boolean',
      });
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      const here = [...at, key];
      if (key === 'type') checkType(value, here);
      else if (SCHEMA_MAPS.includes(key)) {
        if (!isJsonObject(value)) problems.push(wrong(here, value, 'an object of schemas'));
        else for (const [name, sub] of Object.entries(value)) check(sub, [...here, name]);
      } else if (SCHEMAS.includes(key)) check(value, here);
      else if (key === 'items') {
        if (Array.isArray(value)) value.forEach((sub, i) => check(sub, [...here, i]));
        else check(value, here);
      } else if (SCHEMA_LISTS.includes(key)) {
        if (!Array.isArray(value) || value.length === 0)
          problems.push(wrong(here, value, 'a non-empty list of schemas'));
        else value.forEach((sub, i) => check(sub, [...here, i]));
      } else if (key === 'required') {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
          problems.push(wrong(here, value, 'a list of property names'));
        }
      } else if (key === 'enum') {
        if (!Array.isArray(value)) problems.push(wrong(here, value, 'a list of values'));
      } else if (COUNTS.includes(key)) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
          problems.push(wrong(here, value, 'a non-negative integer'));
        }
      } else if (NUMBERS.includes(key) && typeof value !== 'number') {
        problems.push(wrong(here, value, 'a number'));
      }
    }
  };
  const checkType = (value: JsonValue, at: PathSegment[]): void => {
    const names = Array.isArray(value) ? value : [value];
    names.forEach((name, i) => {
      if (typeof name === 'string' && TYPES.includes(name)) return;
      const suggestion = typeof name === 'string' ? closest(name, TYPES) : undefined;
      problems.push({
        path: Array.isArray(value) ? [...at, i] : at,
        message: `unknown JSON Schema type${suggestion ? ` — did you mean "${suggestion}"?` : ''}`,
        value: name,
        expected: `one of ${TYPES.join(', ')}`,
      });
    });
    if (Array.isArray(value) && value.length === 0)
      problems.push(wrong(at, value, 'a type name or a list of them'));
  };
  check(schema, path);
  return problems;
}

function wrong(path: PathSegment[], value: JsonValue, expected: string): SchemaProblem {
  return {
    path,
    message: `invalid JSON Schema keyword "${String(path[path.length - 1])}"`,
    value,
    expected,
  };
}
