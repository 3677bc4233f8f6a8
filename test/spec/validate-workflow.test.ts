import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  WorkflowSchema,
  type BlockSpec,
  type StepSpec,
  type WorkflowSpec,
} from '../../src/core/spec.js';
import { blockDependencies } from '../../src/graph/dependencies.js';
import { stepReads, validateWorkflow } from '../../src/graph/validate.js';
import { nestedBlocks } from '../../src/graph/walk.js';
import {
  loadWorkflowFile,
  parseWorkflow,
  SpecValidationError,
  type SpecIssue,
} from '../../src/spec/index.js';

type Raw = Record<string, unknown>;
const tool = (id: string, extra: Raw = {}): Raw => ({ id, kind: 'tool', tool: 't', ...extra });
const spec = (steps: Raw[], extra: Raw = {}): WorkflowSpec =>
  WorkflowSchema.parse({ name: 'w', steps, ...extra });
const issues = (steps: Raw[], extra: Raw = {}): Array<Pick<SpecIssue, 'code' | 'path'>> =>
  validateWorkflow(spec(steps, extra)).map(({ code, path }) => ({ code, path }));

describe('semantic validation', () => {
  it('accepts references to earlier or later siblings and enclosing blocks (a DAG)', () => {
    expect(
      issues([
        tool('late', { input: '$.steps.early.output' }),
        tool('early'),
        {
          id: 'p',
          kind: 'parallel',
          branches: {
            left: {
              steps: [
                tool('l1', { input: '$.steps.early.output' }),
                tool('l2', { input: '$.steps.l1.output' }),
              ],
            },
            right: { steps: [tool('r1')], output: '$.steps.r1.output' },
          },
        },
      ]),
    ).toEqual([]);
  });

  it('rejects a reference across parallel branches and says they run independently', () => {
    const found = validateWorkflow(
      spec([
        {
          id: 'p',
          kind: 'parallel',
          branches: {
            left: { steps: [tool('l1')] },
            right: { steps: [tool('r1', { input: '$.steps.l1.output' })] },
          },
        },
      ]),
    );
    expect(found).toMatchObject([
      { code: 'SPEC_REFERENCE_NOT_UPSTREAM', path: 'steps[0].branches.right.steps[0].input' },
    ]);
    expect(found[0]?.message).toContain('another branch of "p"');
  });

  it("lets a branch condition see the branch's scope but not its case bodies", () => {
    expect(
      issues([
        tool('score'),
        {
          id: 'b',
          kind: 'branch',
          cases: [
            { when: 'steps.score.output > 1', steps: [tool('inner')] },
            { when: 'steps.inner.output = 1', steps: [tool('other')] },
          ],
        },
      ]),
    ).toEqual([{ code: 'SPEC_REFERENCE_NOT_UPSTREAM', path: 'steps[1].cases[1].when' }]);
  });

  it("lets a loop's until see its body and loop variables, and nothing outside see them", () => {
    expect(
      issues([
        {
          id: 'l',
          kind: 'loop',
          maxIterations: 3,
          until: 'steps.check.output.done or iteration > 1 or previous.done',
          steps: [tool('check', { input: { n: '$.iteration' } })],
          output: { last: '$.previous', n: '$.iteration' },
        },
        tool('after', { input: { $expr: 'iteration' } }),
      ]),
    ).toEqual([{ code: 'SPEC_REFERENCE_OUT_OF_SCOPE', path: 'steps[1].input.$expr' }]);
  });

  it("scopes $.item to the map body and output, not the map's own items", () => {
    expect(
      issues([
        {
          id: 'm',
          kind: 'map',
          items: '$.item',
          steps: [
            {
              id: 'deep',
              kind: 'loop',
              maxIterations: 2,
              steps: [tool('x', { input: '$.item.id' })],
            },
          ],
          output: { i: '$.index', item: { $expr: 'item' } },
        },
      ]),
    ).toEqual([{ code: 'SPEC_REFERENCE_OUT_OF_SCOPE', path: 'steps[0].items' }]);
  });

  it('reads names in JSONata predicates as fields of the filtered value, not roots', () => {
    expect(
      issues([
        tool('a'),
        tool('b', { input: { $expr: 'steps.a.output.rows[index > 2 and item = "x"].previous' } }),
      ]),
    ).toEqual([]);
  });

  it('sees $$.steps.x in an expression as a dependency (so a cycle through it is found)', () => {
    expect(
      issues([
        tool('a', { input: { $expr: '$$.steps.b.output' } }),
        tool('b', { input: '$.steps.a.output' }),
      ]),
    ).toEqual([{ code: 'SPEC_CYCLE', path: 'steps[0]' }]);
  });

  it('finds a cycle that runs through a container body reading a later sibling', () => {
    const found = validateWorkflow(
      spec([
        tool('a', { input: '$.steps.m.output' }),
        { id: 'm', kind: 'map', items: [], steps: [tool('inner', { input: '$.steps.a.output' })] },
      ]),
    );
    expect(found).toMatchObject([{ code: 'SPEC_CYCLE', path: 'steps[0]', value: ['a', 'm', 'a'] }]);
  });

  it('bans nondeterministic functions even when passed as values', () => {
    expect(issues([tool('a', { input: { $expr: '$map([1,2], $random)' } })])).toEqual([
      { code: 'SPEC_NONDETERMINISTIC_EXPRESSION', path: 'steps[0].input.$expr' },
    ]);
  });

  it('gives a fallback the visibility of the step it replaces', () => {
    const fallback = (extra: Raw): Raw =>
      tool('guarded', { onError: { fallback: tool('fb', extra) } });
    expect(issues([tool('a'), fallback({ input: '$.steps.a.output', after: ['a'] })])).toEqual([]);
    expect(issues([tool('a'), fallback({ input: '$.steps.guarded.output' })])).toEqual([
      { code: 'SPEC_REFERENCE_NOT_UPSTREAM', path: 'steps[1].onError.fallback.input' },
    ]);
    expect(issues([tool('a'), fallback({ input: '$.item' })])).toEqual([
      { code: 'SPEC_REFERENCE_OUT_OF_SCOPE', path: 'steps[1].onError.fallback.input' },
    ]);
  });

  it('counts fallback ids in the one id space of the workflow', () => {
    expect(issues([tool('a', { onError: { fallback: tool('b') } }), tool('b')])).toEqual([
      { code: 'SPEC_DUPLICATE_ID', path: 'steps[1].id' },
    ]);
  });

  it('collects every problem in one pass, in document order', () => {
    expect(
      issues([
        tool('a', { input: { x: '$.steps.nope.output', y: '$.index' } }),
        tool('a'),
        tool('c', { input: { $expr: '$random() > (' } }),
        tool('d', { after: ['d'] }),
      ]),
    ).toEqual([
      { code: 'SPEC_UNKNOWN_STEP', path: 'steps[0].input.x' },
      { code: 'SPEC_REFERENCE_OUT_OF_SCOPE', path: 'steps[0].input.y' },
      { code: 'SPEC_DUPLICATE_ID', path: 'steps[1].id' },
      { code: 'SPEC_EXPRESSION_SYNTAX', path: 'steps[2].input.$expr' },
      { code: 'SPEC_CYCLE', path: 'steps[3].after[0]' },
    ]);
  });

  it('gives sub-workflows their own id space and checks the bundle', () => {
    const child = { name: 'child', steps: [tool('a')] };
    expect(
      issues([{ id: 'a', kind: 'workflow', workflow: 'child' }], { workflows: { child } }),
    ).toEqual([]);
    expect(
      issues([{ id: 'a', kind: 'workflow', workflow: 'child' }], {
        workflows: { child: { ...child, name: 'kid', workflows: { x: child } } },
      }),
    ).toEqual([
      { code: 'SPEC_WORKFLOW_NAME_MISMATCH', path: 'workflows.child.name' },
      { code: 'SPEC_NESTED_WORKFLOWS', path: 'workflows.child.workflows' },
    ]);
  });

  it('reports a sub-workflow that calls itself', () => {
    const self = { name: 'self', steps: [{ id: 'again', kind: 'workflow', workflow: 'self' }] };
    expect(
      issues([{ id: 'a', kind: 'workflow', workflow: 'self' }], { workflows: { self } }),
    ).toEqual([{ code: 'SPEC_WORKFLOW_CYCLE', path: 'workflows.self.steps[0].workflow' }]);
  });

  it('throws from parseWorkflow with every issue, structure checked before semantics', () => {
    const attempt = (raw: unknown): SpecIssue[] => {
      try {
        parseWorkflow(raw);
      } catch (error) {
        if (error instanceof SpecValidationError) return error.issues;
        throw error;
      }
      return [];
    };
    const structural = attempt({
      name: 'w',
      steps: [tool('a', { timeoutMs: 0 }), { id: 'b', kind: 'nope' }],
    });
    expect(structural.map((i) => i.code)).toEqual(['SPEC_OUT_OF_RANGE', 'SPEC_UNKNOWN_KIND']);
    const error = (() => {
      try {
        parseWorkflow({ name: 'w', steps: [tool('a'), tool('a')] });
      } catch (e) {
        return e as SpecValidationError;
      }
      throw new Error('expected a SpecValidationError');
    })();
    expect(error.code).toBe('SPEC_INVALID');
    expect(error.message).toMatch(
      /^workflow spec has 1 problem; first: \[SPEC_DUPLICATE_ID\] steps\[1\]\.id: /,
    );
    expect(error.path).toBe('steps[1].id');
  });
});

describe('the dependencies the validator checks for cycles', () => {
  it('are the ones the executor schedules by (graph/dependencies.ts) for valid specs', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const good = path.join(here, '../fixtures/specs/good');
    const files = (await readdir(good)).filter((f) => f.endsWith('.yaml'));
    const blocks: BlockSpec[] = [];
    const collect = (steps: StepSpec[]): void => {
      for (const step of steps) {
        for (const nested of nestedBlocks(step, [])) {
          blocks.push(nested.block);
          collect(nested.block.steps);
        }
      }
    };
    for (const file of files) {
      const loaded = await loadWorkflowFile(path.join(good, file));
      for (const wf of [loaded.spec, ...Object.values(loaded.spec.workflows ?? {})]) {
        blocks.push(wf);
        collect(wf.steps);
      }
    }
    expect(blocks.length).toBeGreaterThan(15);
    for (const block of blocks) {
      const siblings = new Set(block.steps.map((s) => s.id));
      const ours = new Map(
        block.steps.map((s) => [
          s.id,
          [...stepReads(s)].filter((id) => siblings.has(id) && id !== s.id).sort(),
        ]),
      );
      expect(ours).toEqual(blockDependencies(block));
    }
  });
});

describe('fields a step kind would ignore', () => {
  it('retry on a container or approval and timeoutMs outside tool/agent are refused, not ignored', () => {
    expect(
      issues(
        [
          { id: 'gate', kind: 'approval', timeoutMs: 1000 },
          {
            id: 'each',
            kind: 'map',
            items: [1],
            retry: { maxAttempts: 3 },
            steps: [tool('inner', { timeoutMs: 5 })],
          },
          { id: 'sub', kind: 'workflow', workflow: 'child', retry: { maxAttempts: 2 } },
        ],
        { workflows: { child: { name: 'child', steps: [tool('x')] } } },
      ),
    ).toEqual([
      { code: 'SPEC_FIELD_NOT_APPLICABLE', path: 'steps[0].timeoutMs' },
      { code: 'SPEC_FIELD_NOT_APPLICABLE', path: 'steps[1].retry' },
    ]);
  });
});

describe('sub-workflow names', () => {
  it('a name that is only an inherited object property (toString) is an unknown workflow', () => {
    expect(
      issues([{ id: 'a', kind: 'workflow', workflow: 'toString' }], {
        workflows: { inner: { name: 'inner', steps: [tool('t')] } },
      }),
    ).toEqual([{ code: 'SPEC_UNKNOWN_WORKFLOW', path: 'steps[0].workflow' }]);
  });
});
