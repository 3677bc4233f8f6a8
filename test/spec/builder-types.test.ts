/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-assignment --
   lines marked @ts-expect-error are compile errors on purpose, so their values are error-typed */
import { describe, expect, it } from 'vitest';
import { jsonata, SpecValidationError, workflow } from '../../src/spec/index.js';

// Every `@ts-expect-error` below is a compile-time guarantee of the builder's types: `npm run
// typecheck` fails if the marked line stops being an error. The runtime assertions show that the
// same mistakes, made without the types (plain JavaScript, casts), are still rejected by
// validation.

function codesOf(build: () => unknown): string[] {
  try {
    build();
  } catch (error) {
    if (error instanceof SpecValidationError) return error.issues.map((i) => i.code);
    throw error;
  }
  return [];
}

describe('the builder types', () => {
  it('reject a reference to a step that has not been declared', () => {
    const codes = codesOf(() =>
      workflow('w')
        // @ts-expect-error 'nope' is not a declared step id
        .tool('a', { tool: 't', input: (r) => r.step('nope').output() })
        .build(),
    );
    expect(codes).toEqual(['SPEC_UNKNOWN_STEP']);
  });

  it('reject a reference from outside a container into its body', () => {
    const codes = codesOf(() =>
      workflow('w')
        .tool('list', { tool: 't' })
        .map('each', {
          items: (r) => r.step('list').output(),
          steps: (b) => b.tool('inner', { tool: 't' }),
        })
        // @ts-expect-error 'inner' is only visible inside the map body
        .output((r) => r.step('inner').output())
        .build(),
    );
    expect(codes).toEqual(['SPEC_REFERENCE_NOT_UPSTREAM']);
  });

  it('check input paths against the declared input type', () => {
    workflow('w')
      .input<{ customer: { name: string; tags: string[] } }>()
      .tool('a', {
        tool: 't',
        input: (r) => ({
          name: r.input('customer', 'name'),
          tag: r.input('customer', 'tags', 0),
          // @ts-expect-error 'nmae' is not a field of customer
          typo: r.input('customer', 'nmae'),
        }),
      });
  });

  it('offer $.item only inside a map body and $.previous only inside a loop body', () => {
    const codes = codesOf(() =>
      workflow('w')
        .tool('a', {
          tool: 't',
          input: (r) => ({
            // @ts-expect-error item() exists only in a map body
            item: r.item(),
            // @ts-expect-error previous() exists only in a loop body
            previous: r.previous(),
          }),
        })
        .build(),
    );
    expect(codes).toEqual(['SPEC_REFERENCE_OUT_OF_SCOPE', 'SPEC_REFERENCE_OUT_OF_SCOPE']);
    workflow('w')
      .tool('list', { tool: 't' })
      .map('each', {
        items: (r) => r.step('list').output(),
        steps: (b) =>
          b.loop('inner', {
            maxIterations: 3,
            steps: (l) =>
              l.tool('x', {
                tool: 't',
                input: (r) => [r.item(), r.index(), r.iteration(), r.previous()],
              }),
          }),
      })
      .build();
  });

  it('reject an id declared twice in the same scope', () => {
    const codes = codesOf(() =>
      workflow('w')
        .tool('a', { tool: 't' })
        // @ts-expect-error 'a' is already declared
        .tool('a', { tool: 't' })
        .build(),
    );
    expect(codes).toEqual(['SPEC_DUPLICATE_ID']);
  });

  it('let `after` name only earlier siblings', () => {
    const codes = codesOf(() =>
      workflow('w')
        .tool('outer', { tool: 't' })
        .loop('l', {
          maxIterations: 2,
          steps: (b) =>
            b.tool('first', { tool: 't' }).tool('second', {
              tool: 't',
              // @ts-expect-error 'outer' is not a sibling of 'second'
              after: ['first', 'outer'],
            }),
        })
        .build(),
    );
    expect(codes).toEqual(['SPEC_AFTER_NOT_SIBLING']);
  });

  it('let a loop condition and the enclosing blocks see the loop body and outer steps', () => {
    const spec = workflow('w')
      .tool('seed', { tool: 't' })
      .loop('l', {
        maxIterations: 4,
        steps: (b) => b.tool('check', { tool: 't', input: (r) => r.step('seed').output() }),
        until: (r) => jsonata`${r.step('check').output('done')} = true`,
      })
      .build();
    expect(spec.steps[1]).toMatchObject({ until: '$$.steps.check.output.done = true' });
  });

  it('allow build() only on the workflow and input<T>() only before the first step', () => {
    workflow('w')
      .tool('a', { tool: 't' })
      .map('m', {
        items: [],
        steps: (b) => {
          // @ts-expect-error a nested block is built by its container, not on its own
          if (Math.abs(0) > 1) b.build();
          return b.tool('x', { tool: 't' });
        },
      });
    // @ts-expect-error the input type must be declared before any step
    expect(() => workflow('w').tool('a', { tool: 't' }).input<{ n: number }>()).not.toThrow();
  });
});
