import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@cfworker/json-schema';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderWorkflowJsonSchema } from '../../src/spec/json-schema.js';
import { workflowJsonSchema } from '../../src/spec/index.js';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const good = path.join(repo, 'test/fixtures/specs/good');

function validator(): Validator {
  return new Validator(workflowJsonSchema(), '2020-12', false);
}

describe('the generated JSON Schema', () => {
  // After changing src/core/spec.ts, run `npm run schema` to regenerate the committed file.
  it('is the committed schema/workflow.schema.json', async () => {
    const committed = await readFile(path.join(repo, 'schema/workflow.schema.json'), 'utf8');
    expect(committed).toBe(renderWorkflowJsonSchema());
  });

  it('accepts every valid fixture and shipped example as written (defaults omitted)', async () => {
    const files = (await readdir(good))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => path.join(good, f));
    for (const dir of await readdir(path.join(repo, 'examples'), { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      const inner = await readdir(path.join(repo, 'examples', dir.name));
      files.push(
        ...inner
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => path.join(repo, 'examples', dir.name, f)),
      );
    }
    expect(files.length).toBeGreaterThanOrEqual(8);
    const check = validator();
    for (const file of files) {
      const result = check.validate(parse(await readFile(file, 'utf8')));
      expect({ file: path.basename(file), errors: result.errors.slice(0, 3) }).toEqual({
        file: path.basename(file),
        errors: [],
      });
    }
  });

  it('rejects structural mistakes: unknown kind, unbounded loop, wrong type, unknown field', () => {
    const check = validator();
    const base = { name: 'w', steps: [{ id: 'a', kind: 'tool', tool: 't' }] };
    expect(check.validate(base).valid).toBe(true);
    const bad: unknown[] = [
      { ...base, steps: [{ id: 'a', kind: 'route' }] },
      { ...base, steps: [{ id: 'l', kind: 'loop', steps: base.steps }] },
      { ...base, steps: [{ id: 'a', kind: 'tool', tool: 't', timeoutMs: '5' }] },
      { ...base, steps: [{ id: 'a', kind: 'tool', tool: 't', retyr: {} }] },
      { ...base, steps: [] },
      { name: 'w' },
    ];
    for (const spec of bad) expect(check.validate(spec).valid).toBe(false);
  });

  it('names its shared definitions instead of exposing zod numbering', () => {
    const schema = workflowJsonSchema();
    expect(Object.keys(schema.$defs as object).sort()).toEqual(['JsonValue', 'Step']);
    expect(renderWorkflowJsonSchema()).not.toContain('__schema');
  });
});
