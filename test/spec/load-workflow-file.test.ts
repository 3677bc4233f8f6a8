import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatSpecIssue,
  loadWorkflowFile,
  SpecValidationError,
  type SpecIssue,
} from '../../src/spec/index.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-load-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return dir;
}

async function issuesOf(file: string, options?: { root?: string }): Promise<SpecIssue[]> {
  try {
    await loadWorkflowFile(file, options);
  } catch (error) {
    if (error instanceof SpecValidationError) return error.issues;
    throw error;
  }
  throw new Error(`${file} loaded without errors`);
}

const where = (i: SpecIssue) =>
  `${i.code} ${path.basename(i.file ?? '?')}:${i.line}:${i.column} ${i.path}`;

describe('loading a workflow file', () => {
  it('reports every structural problem of a file at once, each at its line:column', async () => {
    const dir = await project({
      'w.yaml': [
        'name: w',
        'steps:',
        '  - id: a',
        '    kind: tool',
        '    timeoutMs: -1',
        '  - id: b',
        '    kind: loop',
        '    steps: [ { id: c, kind: tol } ]',
        '',
      ].join('\n'),
    });
    expect((await issuesOf(path.join(dir, 'w.yaml'))).map(where)).toEqual([
      'SPEC_MISSING_FIELD w.yaml:3:5 steps[0].tool',
      'SPEC_OUT_OF_RANGE w.yaml:5:5 steps[0].timeoutMs',
      'SPEC_UNBOUNDED_LOOP w.yaml:6:5 steps[1].maxIterations',
      'SPEC_UNKNOWN_KIND w.yaml:8:23 steps[1].steps[0].kind',
    ]);
  });

  it('reports semantic problems with positions too, and formats them as one-liners', async () => {
    const dir = await project({
      'w.json': JSON.stringify(
        { name: 'w', steps: [{ id: 'a', kind: 'tool', tool: 't', input: '$.steps.zz.output' }] },
        null,
        2,
      ),
    });
    const [issue] = await issuesOf(path.join(dir, 'w.json'));
    expect(issue && where(issue)).toBe('SPEC_UNKNOWN_STEP w.json:8:7 steps[0].input');
    expect(issue && formatSpecIssue({ ...issue, file: 'w.json' })).toBe(
      'w.json:8:7: steps[0].input: no step is named "zz" ' +
        '(found "$.steps.zz.output", expected one of a)',
    );
  });

  it('throws a typed issue, never a raw ENOENT, for a missing or unsupported file', async () => {
    const dir = await project({ 'notes.txt': 'name: w' });
    expect((await issuesOf(path.join(dir, 'missing.yaml'))).map((i) => i.code)).toEqual([
      'SPEC_FILE_NOT_FOUND',
    ]);
    expect((await issuesOf(path.join(dir, 'notes.txt'))).map((i) => i.code)).toEqual([
      'SPEC_FILE_TYPE',
    ]);
    expect((await issuesOf(dir)).map((i) => i.code)).toEqual(['SPEC_FILE_TYPE']);
  });

  it('refuses a prompt reached through a symlink that points outside the root', async () => {
    const outside = await project({ 'secret.md': 'do not read' });
    const dir = await project({
      'w.yaml': 'name: w\nsteps:\n  - { id: a, kind: agent, prompt: prompts/link.md }\n',
    });
    await mkdir(path.join(dir, 'prompts'));
    await symlink(path.join(outside, 'secret.md'), path.join(dir, 'prompts/link.md'));
    expect((await issuesOf(path.join(dir, 'w.yaml'))).map(where)).toEqual([
      'SPEC_PATH_ESCAPES_ROOT w.yaml:3:27 steps[0].prompt',
    ]);
  });

  it('treats a directory named as a prompt as a missing prompt file', async () => {
    const dir = await project({
      'w.yaml': 'name: w\nsteps: [ { id: a, kind: agent, prompt: prompts } ]\n',
    });
    await mkdir(path.join(dir, 'prompts'));
    expect((await issuesOf(path.join(dir, 'w.yaml'))).map((i) => i.code)).toEqual([
      'SPEC_PROMPT_NOT_FOUND',
    ]);
  });

  it('accepts prompts and sub-workflows above the spec when a wider root is given', async () => {
    const dir = await project({
      'shared/ask.md': 'Ask {{ q }}',
      'shared/child.yaml': 'name: child\nsteps: [ { id: c, kind: agent, prompt: ask.md } ]\n',
      'flows/w.yaml': [
        'name: w',
        'steps:',
        '  - { id: a, kind: agent, prompt: ../shared/ask.md }',
        '  - { id: b, kind: workflow, workflow: ../shared/child.yaml }',
        '',
      ].join('\n'),
    });
    const narrow = await issuesOf(path.join(dir, 'flows/w.yaml'));
    expect(narrow.map((i) => `${i.code} ${i.path}`)).toEqual([
      'SPEC_PATH_ESCAPES_ROOT steps[0].prompt',
      'SPEC_PATH_ESCAPES_ROOT steps[1].workflow',
    ]);
    const loaded = await loadWorkflowFile(path.join(dir, 'flows/w.yaml'), { root: dir });
    expect(loaded.prompts).toEqual({ 'shared/ask.md': 'Ask {{ q }}' });
    expect(loaded.spec.steps[0]).toMatchObject({ prompt: 'shared/ask.md' });
    expect(loaded.spec.workflows?.child?.steps[0]).toMatchObject({ prompt: 'shared/ask.md' });
  });

  it('merges inline bundled workflows with file-bundled ones in one map', async () => {
    const dir = await project({
      'child.yaml': 'name: child\nsteps: [ { id: c, kind: workflow, workflow: inline } ]\n',
      'w.yaml': [
        'name: w',
        'steps:',
        '  - { id: a, kind: workflow, workflow: ./child.yaml }',
        'workflows:',
        '  inline:',
        '    name: inline',
        '    steps: [ { id: i, kind: tool, tool: t } ]',
        '',
      ].join('\n'),
    });
    const loaded = await loadWorkflowFile(path.join(dir, 'w.yaml'));
    expect(Object.keys(loaded.spec.workflows ?? {}).sort()).toEqual(['child', 'inline']);
    expect(loaded.spec.steps[0]).toMatchObject({ workflow: 'child' });
  });

  it('reports a problem inside a bundled child in the child file, at its own path', async () => {
    const dir = await project({
      'kids/child.yaml':
        'name: child\nsteps:\n  - { id: c, kind: tool, tool: t, input: $.steps.c.output }\n',
      'w.yaml': 'name: w\nsteps:\n  - { id: a, kind: workflow, workflow: kids/child.yaml }\n',
    });
    const [issue, ...rest] = await issuesOf(path.join(dir, 'w.yaml'));
    expect(rest).toEqual([]);
    expect(issue && where(issue)).toBe(
      'SPEC_REFERENCE_NOT_UPSTREAM child.yaml:3:35 steps[0].input',
    );
    expect(issue?.file).toMatch(/kids[/\\]child\.yaml$/);
  });

  it('loads every shipped example', async () => {
    const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
    let count = 0;
    for (const entry of await readdir(examples, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      for (const file of await readdir(path.join(examples, entry.name))) {
        if (!file.endsWith('.yaml')) continue;
        const loaded = await loadWorkflowFile(path.join(examples, entry.name, file));
        expect(loaded.specHash).toMatch(/^[0-9a-f]{64}$/);
        count++;
      }
    }
    expect(count).toBeGreaterThan(0);
  });
});
