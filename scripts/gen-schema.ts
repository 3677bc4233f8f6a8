// Writes schema/workflow.schema.json from the zod spec schema (npm run schema). A test fails when
// the committed file and the schema drift apart, so run this after changing src/core/spec.ts.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderWorkflowJsonSchema } from '../src/spec/json-schema.js';

const target = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'schema',
  'workflow.schema.json',
);
await mkdir(path.dirname(target), { recursive: true });
await writeFile(target, renderWorkflowJsonSchema());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
