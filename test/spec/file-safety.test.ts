import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkflowFile, SpecValidationError, type SpecIssue } from '../../src/spec/index.js';

const base = mkdtempSync(path.join(tmpdir(), 'switchyard-files-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function project(name: string): string {
  const dir = path.join(base, name, 'project');
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function issuesOf(file: string): Promise<SpecIssue[]> {
  try {
    await loadWorkflowFile(file);
  } catch (error) {
    if (error instanceof SpecValidationError) return error.issues;
    throw error;
  }
  throw new Error('the spec loaded');
}

const agent = (prompt: string): string =>
  `name: w\nsteps:\n  - { id: a, kind: agent, prompt: ${prompt} }\n`;

describe('files a spec names are checked before they are read', () => {
  it('a symlinked sub-workflow outside the root is refused without reading (or echoing) it', async () => {
    const dir = project('secret');
    writeFileSync(path.join(base, 'secret', 'secret.yaml'), 'db: { password: hunter2 }\n');
    symlinkSync(path.join(base, 'secret', 'secret.yaml'), path.join(dir, 'child.yaml'));
    writeFileSync(
      path.join(dir, 'main.yaml'),
      'name: w\nsteps:\n  - { id: a, kind: workflow, workflow: ./child.yaml }\n',
    );
    const issues = await issuesOf(path.join(dir, 'main.yaml'));
    expect(issues.map((i) => i.code)).toEqual(['SPEC_PATH_ESCAPES_ROOT']);
    expect(JSON.stringify(issues)).not.toContain('hunter2');
  });

  it('a prompt that is a FIFO outside the root is refused instead of blocking', async () => {
    const dir = project('fifo-prompt');
    execFileSync('mkfifo', [path.join(base, 'fifo-prompt', 'pipe')]);
    mkdirSync(path.join(dir, 'prompts'));
    symlinkSync(path.join(base, 'fifo-prompt', 'pipe'), path.join(dir, 'prompts', 'evil.md'));
    writeFileSync(path.join(dir, 'main.yaml'), agent('prompts/evil.md'));
    expect((await issuesOf(path.join(dir, 'main.yaml'))).map((i) => i.code)).toEqual([
      'SPEC_PATH_ESCAPES_ROOT',
    ]);
  });

  it('a spec file that is a FIFO is refused instead of blocking', async () => {
    const dir = project('fifo-spec');
    execFileSync('mkfifo', [path.join(dir, 'main.yaml')]);
    expect((await issuesOf(path.join(dir, 'main.yaml'))).map((i) => i.code)).toEqual([
      'SPEC_FILE_UNREADABLE',
    ]);
  });

  it('a prompt that is not UTF-8 is refused, not silently altered', async () => {
    const dir = project('latin1');
    writeFileSync(path.join(dir, 'p.md'), Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0xff]));
    writeFileSync(path.join(dir, 'main.yaml'), agent('p.md'));
    const issues = await issuesOf(path.join(dir, 'main.yaml'));
    expect(issues.map((i) => i.code)).toEqual(['SPEC_FILE_UNREADABLE']);
    expect(issues[0]?.message).toMatch(/UTF-8/);
  });

  it('directories that symlink to themselves do not make loading run forever', async () => {
    const dir = project('loops');
    symlinkSync('.', path.join(dir, 'l1'));
    symlinkSync('.', path.join(dir, 'l2'));
    writeFileSync(
      path.join(dir, 'a.yaml'),
      'name: a\nsteps:\n  - { id: x, kind: workflow, workflow: ./l1/a.yaml }\n  - { id: y, kind: workflow, workflow: ./l2/a.yaml }\n',
    );
    const codes = (await issuesOf(path.join(dir, 'a.yaml'))).map((i) => i.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((code) => code === 'SPEC_WORKFLOW_CYCLE')).toBe(true);
  });
});
