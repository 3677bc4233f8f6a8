import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkflowFile, parseWorkflow, specHash } from '../../src/spec/index.js';

const omitted = {
  name: 'defaults',
  steps: [
    { id: 'a', kind: 'tool', tool: 't', retry: { maxAttempts: 3 } },
    { id: 'b', kind: 'agent', prompt: 'p.md' },
    {
      id: 'm',
      kind: 'map',
      items: '$.steps.a.output',
      steps: [{ id: 'c', kind: 'approval' }],
    },
  ],
};

const explicit = {
  name: 'defaults',
  steps: [
    {
      id: 'a',
      kind: 'tool',
      tool: 't',
      after: [],
      onError: 'fail',
      retry: {
        maxAttempts: 3,
        backoff: { initialMs: 200, factor: 2, maxMs: 30_000, jitter: true },
      },
    },
    { id: 'b', kind: 'agent', prompt: 'p.md', temperature: 0, after: [], onError: 'fail' },
    {
      id: 'm',
      kind: 'map',
      items: '$.steps.a.output',
      concurrency: 4,
      after: [],
      onError: 'fail',
      steps: [
        { id: 'c', kind: 'approval', message: 'Approve to continue', after: [], onError: 'fail' },
      ],
    },
  ],
};

/** The same object with every key order reversed, recursively. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the canonical spec and its hash', () => {
  it('is the same whether defaults are written out or omitted', () => {
    const a = parseWorkflow(omitted);
    const b = parseWorkflow(explicit);
    expect(a).toEqual(b);
    expect(specHash(a)).toBe(specHash(b));
  });

  it('does not depend on key order', () => {
    expect(specHash(parseWorkflow(reversed(explicit)))).toBe(specHash(parseWorkflow(omitted)));
  });

  it('ignores the editor-only $schema key and normalises a numeric version', () => {
    const plain = parseWorkflow({ ...omitted, version: '3' });
    const annotated = parseWorkflow({
      ...omitted,
      version: 3,
      $schema: '../schema/workflow.schema.json',
    });
    expect(annotated).not.toHaveProperty('$schema');
    expect(specHash(annotated)).toBe(specHash(plain));
  });

  it('is a fixed point: parsing a canonical spec again changes nothing', () => {
    const once = parseWorkflow(omitted);
    const twice = parseWorkflow(once);
    expect(twice).toEqual(once);
    expect(specHash(twice)).toBe(specHash(once));
  });

  it('changes when anything meaningful changes', () => {
    const base = specHash(parseWorkflow(omitted));
    const renamed = {
      ...omitted,
      steps: [{ ...omitted.steps[0], tool: 'other' }, ...omitted.steps.slice(1)],
    };
    expect(specHash(parseWorkflow(renamed))).not.toBe(base);
    expect(specHash(parseWorkflow({ ...omitted, steps: [...omitted.steps].reverse() }))).not.toBe(
      base,
    );
  });

  // Pinned: a change here changes the hash of every recorded run, so resumes would be refused.
  it('is sha256 of the RFC 8785 JSON of the canonical spec', () => {
    const spec = parseWorkflow({ name: 'pin', steps: [{ id: 'a', kind: 'tool', tool: 't' }] });
    const canonical =
      '{"name":"pin","steps":[{"after":[],"id":"a","kind":"tool","onError":"fail","tool":"t"}]}';
    expect(specHash(spec)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });

  it('is the same for a YAML file, a JSON file and the object they hold', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-canonical-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'p.md'), 'prompt');
    await writeFile(path.join(dir, 'w.json'), JSON.stringify(reversed(explicit), null, 2));
    await writeFile(
      path.join(dir, 'w.yaml'),
      [
        'name: defaults',
        'steps:',
        '  - { id: a, kind: tool, tool: t, retry: { maxAttempts: 3 } }',
        '  - { id: b, kind: agent, prompt: p.md }',
        '  - id: m',
        '    kind: map',
        '    items: $.steps.a.output',
        '    steps: [ { id: c, kind: approval } ]',
        '',
      ].join('\n'),
    );
    const fromJson = await loadWorkflowFile(path.join(dir, 'w.json'));
    const fromYaml = await loadWorkflowFile(path.join(dir, 'w.yaml'));
    expect(fromJson.specHash).toBe(fromYaml.specHash);
    expect(fromYaml.specHash).toBe(specHash(parseWorkflow(omitted)));
  });
});
