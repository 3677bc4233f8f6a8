// Prompts as versioned files (issue #7, docs/models.md#prompts): YAML front matter (version, model
// hint, output schema) is checked at load, stripped before the model sees the prompt, and applied to
// agent steps; `switchyard prompts list` shows each prompt's versions (content hashes) and the runs
// that used each, read from the journal.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/hash.js';
import type { ModelProvider, ModelRequest, ModelResponse } from '../../src/core/ports.js';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { ModelRegistry } from '../../src/providers/registry.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { loadWorkflowFile, SpecValidationError } from '../../src/spec/index.js';
import { cli, cliJson } from '../support/cli.js';
import { ofType, sequentialIds } from '../executor/harness.js';
import type { PromptHistory } from '../../src/runtime/prompts.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-prompts-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const FLOW = `name: greet
steps:
  - id: greet
    kind: agent
    prompt: prompts/greet.md
    input: { name: $.input.name }
`;

const V1 = `---
version: 1
description: a plain greeting
model: polite
output:
  schema: { type: object, properties: { greeting: { type: string } }, required: [greeting] }
---
Greet {{ name }}. Answer with JSON.
`;

class Recorder implements ModelProvider {
  readonly specificationVersion = 'v1' as const;
  readonly name = 'recorder';
  readonly requests: ModelRequest[] = [];
  constructor(private readonly text: string) {}
  generate(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    return Promise.resolve({
      text: this.text,
      model: 'rec',
      usage: { inputTokens: 1, outputTokens: 1 },
    });
  }
}

describe('prompt files with front matter', () => {
  it('strips the front matter, calls the hinted model, checks the hinted schema, journals the file hash', async () => {
    const dir = project({ 'greet.yaml': FLOW, 'prompts/greet.md': V1 });
    const loaded = await loadWorkflowFile(path.join(dir, 'greet.yaml'));
    const polite = new Recorder('{"greeting": "Hello, Ada"}');
    const runtime = new Runtime({
      store: new MemoryJournalStore(),
      ids: sequentialIds(),
      models: new ModelRegistry().register('polite', polite),
    });
    const outcome = await runtime.start(loaded, { name: 'Ada' });
    expect(outcome).toMatchObject({ status: 'completed', output: { greeting: 'Hello, Ada' } });
    expect(polite.requests[0]?.prompt).toBe('Greet Ada. Answer with JSON.\n');
    expect(polite.requests[0]?.outputSchema).toMatchObject({ required: ['greeting'] });
    const [start] = ofType(await runtime.events(outcome.runId), 'model-call-start');
    expect(start).toMatchObject({ model: 'polite', promptHash: sha256Hex(V1) });
  });

  it('fails a run whose answer does not match the schema its prompt file declares', async () => {
    const dir = project({ 'greet.yaml': FLOW, 'prompts/greet.md': V1 });
    const loaded = await loadWorkflowFile(path.join(dir, 'greet.yaml'));
    const runtime = new Runtime({
      store: new MemoryJournalStore(),
      models: new ModelRegistry().register('polite', new Recorder('{"hello": 1}')),
    });
    const outcome = await runtime.start(loaded, { name: 'Ada' });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(/does not match the output schema/);
  });

  it('rejects bad front matter at load, naming the prompt field and the file line', async () => {
    const dir = project({
      'greet.yaml': FLOW,
      'prompts/greet.md': '---\nversion: 1\nmodle: polite\n---\nHi\n',
    });
    const error = await loadWorkflowFile(path.join(dir, 'greet.yaml')).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SpecValidationError);
    const [issue] = (error as SpecValidationError).issues;
    expect(issue).toMatchObject({ code: 'SPEC_PROMPT_FRONT_MATTER', path: 'steps[0].prompt' });
    expect(issue?.message).toMatch(/greet\.md:2: front matter .*modle/);
  });

  it('`prompts list` shows each version by content hash with the runs that used it', () => {
    const dir = project({
      'greet.yaml': FLOW,
      'prompts/greet.md': V1.replace('model: polite\n', ''),
      'switchyard.config.yaml': 'store: sqlite:j.db\n',
    });
    const runOnce = (): string => {
      const result = cli(['run', 'greet.yaml', '--input', '{"name":"Ada"}'], { cwd: dir });
      const id = /run_[A-Za-z0-9_-]+/.exec(result.stdout + result.stderr)?.[0];
      if (!id) throw new Error(`no run id:\n${result.stdout}\n${result.stderr}`);
      return id;
    };
    const first = runOnce();
    const second = runOnce();
    const v2 = V1.replace('model: polite\n', '')
      .replace('version: 1', 'version: 2')
      .replace('Greet', 'Welcome');
    writeFileSync(path.join(dir, 'prompts/greet.md'), v2);
    const third = runOnce();
    const listed = cliJson<PromptHistory[]>(['prompts', 'list'], { cwd: dir });
    expect(listed.status).toBe(0);
    expect(listed.body).toHaveLength(1);
    const [prompt] = listed.body;
    expect(prompt?.path).toBe('prompts/greet.md');
    expect(prompt?.versions.map((v) => [v.label, v.runs.map((r) => r.runId).sort()])).toEqual([
      ['1', [first, second].sort()],
      ['2', [third]],
    ]);
    expect(prompt?.versions[1]?.hash).toBe(sha256Hex(v2));
    const text = cli(['prompts', 'list'], { cwd: dir });
    expect(text.stdout).toContain(`${sha256Hex(v2).slice(0, 12)} version 2: 1 run`);
  });
});
