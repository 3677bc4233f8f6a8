import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/core/errors.js';
import { expr, SpecValidationError, workflow } from '../../src/spec/index.js';

describe('the workflow builder', () => {
  it('writes refs as reference strings, quoting keys that are not identifiers', () => {
    const spec = workflow('refs')
      .input<{ 'odd key': { list: number[] } }>()
      .tool('a', { tool: 't', input: (r) => [r.input('odd key', 'list', 2), r.input()] })
      .tool('b', { tool: 't', input: (r) => [r.step('a').error('message'), r.step('a').status()] })
      .build();
    expect(spec.steps[0]).toMatchObject({ input: ['$.input["odd key"].list[2]', '$.input'] });
    expect(spec.steps[1]).toMatchObject({ input: ['$.steps.a.error.message', '$.steps.a.status'] });
  });

  it('writes expr`…` as { $expr } with refs turned into root-context JSONata paths', () => {
    const spec = workflow('exprs')
      .tool('list', { tool: 't' })
      .map('each', {
        items: (r) => r.step('list').output(),
        steps: (b) =>
          b.tool('x', {
            tool: 't',
            input: (r) => ({
              label: expr`${r.item('first-name')} & ${' #'} & $string(${r.index()})`,
            }),
          }),
      })
      .build();
    const body = spec.steps[1]?.kind === 'map' ? spec.steps[1].steps[0] : undefined;
    expect(body).toMatchObject({
      input: { label: { $expr: '$$.item.`first-name` & " #" & $string($$.index)' } },
    });
  });

  it('produces a new builder at each step, so a shared prefix can be extended two ways', () => {
    const base = workflow('fork').tool('a', { tool: 't' });
    const one = base.tool('b', { tool: 't' }).build();
    const two = base.tool('c', { tool: 't' }).build();
    expect(one.steps.map((s) => s.id)).toEqual(['a', 'b']);
    expect(two.steps.map((s) => s.id)).toEqual(['a', 'c']);
  });

  it('refuses a fallback callback that declares other than one step', () => {
    const build = () =>
      workflow('w').tool('a', {
        tool: 't',
        onError: { fallback: (b) => b.tool('x', { tool: 't' }).tool('y', { tool: 't' }) },
      });
    expect(build).toThrow(SwitchyardError);
    expect(build).toThrow(/exactly one step, not 2/);
  });

  it('refuses two different sub-workflows with one name, and bundles one used twice once', () => {
    const first = workflow('child').tool('a', { tool: 't1' }).build();
    const second = workflow('child').tool('a', { tool: 't2' }).build();
    const twice = workflow('p')
      .workflow('x', { workflow: first })
      .workflow('y', { workflow: first })
      .build();
    expect(Object.keys(twice.workflows ?? {})).toEqual(['child']);
    try {
      workflow('p').workflow('x', { workflow: first }).workflow('y', { workflow: second });
      expect.unreachable('a name conflict must throw');
    } catch (error) {
      expect(error).toBeInstanceOf(SpecValidationError);
      expect((error as SpecValidationError).issues[0]?.code).toBe('SPEC_WORKFLOW_NAME_CONFLICT');
    }
  });

  it('flattens the sub-workflows a sub-workflow bundles into the top-level map', () => {
    const leaf = workflow('leaf').tool('a', { tool: 't' }).build();
    const middle = workflow('middle').workflow('l', { workflow: leaf }).build();
    const top = workflow('top').workflow('m', { workflow: middle }).build();
    expect(Object.keys(top.workflows ?? {}).sort()).toEqual(['leaf', 'middle']);
    expect(top.workflows?.middle?.workflows).toBeUndefined();
  });

  it('validates on build() exactly as parseWorkflow does', () => {
    expect(() => workflow('bad name!').tool('a', { tool: 't', timeoutMs: 0 }).build()).toThrow(
      SpecValidationError,
    );
  });
});
