import { z } from 'zod';
import type { AnyApiRoute } from './api.js';
import { ErrorResponse } from './schemas.js';

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema (draft 2020-12, which OpenAPI 3.1 uses as is) from zod's own converter: request
 * schemas as accepted (`io: 'input'`), responses as produced.
 */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const converted = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete converted.$schema;
  return converted;
}

function parametersOf(route: AnyApiRoute): JsonSchema[] {
  const parameters: JsonSchema[] = [];
  for (const match of route.path.matchAll(/\{([^}]+)\}/g)) {
    parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
  }
  if (route.query) {
    const query = schemaOf(route.query, 'input');
    const properties = (query.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((query.required ?? []) as string[]);
    for (const [name, schema] of Object.entries(properties)) {
      const { description, ...rest } = schema;
      parameters.push({
        name,
        in: 'query',
        required: required.has(name),
        ...(description === undefined ? {} : { description }),
        schema: rest,
      });
    }
  }
  return parameters;
}

function operationOf(route: AnyApiRoute): JsonSchema {
  const responses: JsonSchema = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const content = response.eventStream
      ? { 'text/event-stream': { schema: { type: 'string' } } }
      : response.schema
        ? { 'application/json': { schema: schemaOf(response.schema, 'output') } }
        : undefined;
    responses[status] = { description: response.description, ...(content ? { content } : {}) };
  }
  const errors: Record<string, string> = {
    '400': 'the request is malformed: `error.path` names the field',
    '401': 'no or wrong bearer token',
  };
  for (const [status, description] of Object.entries(errors)) {
    responses[status] ??= {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    parameters: parametersOf(route),
    ...(route.body
      ? {
          requestBody: {
            required: route.bodyOptional !== true,
            content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the API routes, generated from the zod schemas they validate with. */
export function openApiDocument(routes: readonly AnyApiRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, JsonSchema>)[route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchyard',
      version,
      description:
        'Submit, follow and decide Switchyard workflow runs. Every /api route needs `Authorization: Bearer <token>` (docs/server.md).',
    },
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: schemaOf(ErrorResponse, 'output') },
    },
  };
}
