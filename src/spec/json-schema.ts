import { z } from 'zod';
import { STEP_KINDS, WorkflowSchema } from '../core/spec.js';

export const WORKFLOW_SCHEMA_ID = 'urn:switchyard:schema:workflow';

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema (draft 2020-12) of a workflow file as written (`io: 'input'`: defaults are optional),
 * for editors and other tools. It checks the structure only; references, ids and expressions are
 * checked by loading the file. schema/workflow.schema.json is generated from this by
 * scripts/gen-schema.ts.
 */
export function workflowJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(WorkflowSchema, { io: 'input' }) as JsonSchema;
  const { $schema, ...rest } = generated;
  return renameDefinitions({
    $schema,
    $id: WORKFLOW_SCHEMA_ID,
    title: 'Switchyard workflow',
    description: `A Switchyard workflow spec. Step kinds: ${STEP_KINDS.join(', ')}.`,
    ...rest,
  });
}

/**
 * zod numbers its shared definitions (__schema0…) and emits one per z.json() instance; editors show
 * these names, so give them real ones and merge definitions that are the same schema.
 */
function renameDefinitions(schema: JsonSchema): JsonSchema {
  const defs = schema.$defs as Record<string, JsonSchema> | undefined;
  if (!defs) return schema;
  const names = new Map<string, string>();
  const bodies = new Map<string, string>();
  for (const [key, def] of Object.entries(defs)) {
    // Self-references are written as a placeholder so two copies of one recursive schema compare
    // equal.
    const body = JSON.stringify(def).split(`"#/$defs/${key}"`).join('"#/$defs/<self>"');
    const same = bodies.get(body);
    if (same !== undefined) {
      names.set(key, same);
      continue;
    }
    let name = nameFor(def) ?? key;
    for (let n = 2; [...names.values()].includes(name); n++) name = `${nameFor(def) ?? key}${n}`;
    names.set(key, name);
    bodies.set(body, name);
  }
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
        const target = inner.slice('#/$defs/'.length);
        out[key] = `#/$defs/${names.get(target) ?? target}`;
      } else out[key] = rewrite(inner);
    }
    return out;
  };
  const renamed = rewrite(schema) as JsonSchema;
  const kept: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(renamed.$defs as Record<string, unknown>)) {
    const name = names.get(key) ?? key;
    if (!(name in kept)) kept[name] = def;
  }
  renamed.$defs = kept;
  return renamed;
}

function nameFor(def: JsonSchema): string | undefined {
  const oneOf = def.oneOf as JsonSchema[] | undefined;
  if (oneOf?.every((option) => (option.properties as JsonSchema | undefined)?.kind !== undefined))
    return 'Step';
  const anyOf = def.anyOf as JsonSchema[] | undefined;
  if (anyOf?.length === 6 && anyOf.some((option) => option.type === 'null')) return 'JsonValue';
  const properties = def.properties as JsonSchema | undefined;
  if (properties && 'steps' in properties && !('kind' in properties)) return 'Block';
  return undefined;
}

/**
 * The text of schema/workflow.schema.json: pretty-printed, newline-terminated, stable for a given
 * zod.
 */
export function renderWorkflowJsonSchema(): string {
  return `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;
}
