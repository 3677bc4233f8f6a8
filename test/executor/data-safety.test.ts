import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '../../src/graph/validate.js';
import { parseWorkflow, SpecValidationError } from '../../src/spec/index.js';
import { echoTool, expectVerified, harness, stepEnd, workflow } from './harness.js';

describe('values that are not plain data never reach the journal', () => {
  it('a reference to an inherited property such as constructor reads as null', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const spec = workflow({
      name: 'inherited',
      steps: [
        {
          id: 'a',
          kind: 'tool',
          tool: 'echo',
          input: { x: '$.input.constructor', y: '$.input.n.toString' },
        },
      ],
    });
    const outcome = await runtime.start({ spec }, { n: 1 });
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toEqual({ x: null, y: null });
    await expectVerified(runtime, outcome.runId);
  });

  it('a key named __proto__ is refused with its path instead of being dropped', () => {
    const raw = {
      name: 'proto-key',
      steps: [
        {
          id: 'a',
          kind: 'tool',
          tool: 'echo',
          input: JSON.parse('{"__proto__": "$.input.v"}') as unknown,
        },
      ],
    };
    expect(() => parseWorkflow(raw)).toThrow(SpecValidationError);
    try {
      parseWorkflow(raw);
    } catch (error) {
      expect((error as SpecValidationError).issues).toEqual([
        expect.objectContaining({ code: 'SPEC_BAD_TEMPLATE', path: 'steps[0].input.__proto__' }),
      ]);
    }
  });

  it('a prompt placeholder naming an inherited property is missing, not the text "undefined"', async () => {
    const { runtime } = harness();
    const spec = workflow({
      name: 'prompt',
      steps: [{ id: 'ask', kind: 'agent', prompt: 'p.md', input: { a: 1 } }],
    });
    const outcome = await runtime.start({ spec, prompts: { 'p.md': 'Say {{ constructor }}' } });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.message).toMatch(/constructor/);
  });
});

describe('JSONata functions that would break replay', () => {
  it('$shuffle is refused before a run starts, like $random', () => {
    const spec = workflow({
      name: 'shuffle',
      steps: [{ id: 'a', kind: 'tool', tool: 't', input: { $expr: '$shuffle([1,2,3])' } }],
    });
    expect(validateWorkflow(spec).map((issue) => issue.code)).toContain(
      'SPEC_NONDETERMINISTIC_EXPRESSION',
    );
  });
});

describe('a JSON Schema that cannot be applied', () => {
  it('fails the agent step with invalid-schema instead of wedging the run', async () => {
    const { runtime } = harness();
    const spec = workflow({
      name: 'bad-output-schema',
      steps: [
        {
          id: 'ask',
          kind: 'agent',
          prompt: 'p.md',
          output: { schema: { $ref: '#/$defs/missing' } },
        },
      ],
    });
    const outcome = await runtime.start({ spec, prompts: { 'p.md': 'hi' } });
    expect(outcome.status).toBe('failed');
    const events = await runtime.events(outcome.runId);
    expect(stepEnd(events, 'ask').error?.type).toBe('invalid-schema');
    await expectVerified(runtime, outcome.runId);
  });

  it('is a typed SPEC_BAD_JSON_SCHEMA error at start when it is the input schema', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const spec = workflow({
      name: 'bad-input-schema',
      input: { schema: { $ref: '#/$defs/missing' } },
      steps: [{ id: 'a', kind: 'tool', tool: 'echo' }],
    });
    await expect(runtime.start({ spec }, {})).rejects.toMatchObject({
      code: 'SPEC_BAD_JSON_SCHEMA',
    });
  });
});

describe('$literal', () => {
  it('is unwrapped wherever it sits, whether or not its siblings are references', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    const spec = workflow({
      name: 'literal',
      steps: [
        {
          id: 'a',
          kind: 'tool',
          tool: 'echo',
          input: {
            constant: { x: { $literal: '$.not-a-reference' } },
            mixed: { x: { $literal: '$.also-not' }, y: '$.input.y' },
          },
        },
      ],
    });
    const outcome = await runtime.start({ spec }, { y: 1 });
    expect(outcome.output).toEqual({
      constant: { x: '$.not-a-reference' },
      mixed: { x: '$.also-not', y: 1 },
    });
  });
});

describe('deeply nested values', () => {
  it('are refused with VALUE_NOT_JSON naming the depth, instead of overflowing the stack', async () => {
    const { runtime } = harness({ tools: [echoTool()] });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const spec = workflow({ name: 'deep', steps: [{ id: 'a', kind: 'tool', tool: 'echo' }] });
    await expect(runtime.start({ spec }, { deep })).rejects.toMatchObject({
      code: 'VALUE_NOT_JSON',
      message: expect.stringMatching(/nested more than \d+ levels deep/) as unknown,
    });
  });
});
