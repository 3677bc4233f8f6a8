import { describe, expect, it } from 'vitest';
import { SwitchyardError } from '../../src/core/errors.js';
import { formatSpecIssue, SpecValidationError, type SpecIssue } from '../../src/spec/index.js';

const issue: SpecIssue = {
  code: 'SPEC_WRONG_TYPE',
  message: 'wrong type',
  path: 'steps[2].tool',
  value: 42,
  expected: 'a string',
};

describe('formatSpecIssue', () => {
  it('prints file:line:col: path: message (found X, expected Y)', () => {
    expect(formatSpecIssue({ ...issue, file: 'flows/w.yaml', line: 7, column: 11 })).toBe(
      'flows/w.yaml:7:11: steps[2].tool: wrong type (found 42, expected a string)',
    );
  });

  it('leaves out what it does not know: location, a document-level path, a missing value', () => {
    expect(formatSpecIssue(issue)).toBe('steps[2].tool: wrong type (found 42, expected a string)');
    expect(
      formatSpecIssue({
        code: 'SPEC_MISSING_FIELD',
        message: 'missing',
        path: '',
        expected: 'a list',
      }),
    ).toBe('missing (expected a list)');
    expect(formatSpecIssue({ ...issue, file: 'w.yaml' })).toBe(
      'w.yaml: steps[2].tool: wrong type (found 42, expected a string)',
    );
  });

  it('keeps one line however large or strange the value', () => {
    const text = formatSpecIssue({ ...issue, value: { long: 'x'.repeat(500), lines: 'a\nb' } });
    expect(text).not.toContain('\n');
    expect(text.length).toBeLessThan(140);
    expect(formatSpecIssue({ ...issue, value: Number.NaN })).toContain('found NaN');
    expect(formatSpecIssue({ ...issue, value: new Date(0) })).toContain('found a Date object');
  });
});

describe('SpecValidationError', () => {
  it('is a SwitchyardError (SPEC_INVALID) holding every issue, the first in its message', () => {
    const error = new SpecValidationError([
      { ...issue, file: 'w.yaml', line: 3, column: 5 },
      issue,
    ]);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error.code).toBe('SPEC_INVALID');
    expect(error.issues).toHaveLength(2);
    expect(error.message).toBe(
      'workflow spec has 2 problems; first: [SPEC_WRONG_TYPE] ' +
        'w.yaml:3:5: steps[2].tool: wrong type (found 42, expected a string)',
    );
    expect([error.file, error.line, error.column, error.path, error.value]).toEqual([
      'w.yaml',
      3,
      5,
      'steps[2].tool',
      42,
    ]);
  });
});
