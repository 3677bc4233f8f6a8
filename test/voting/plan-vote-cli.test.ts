import { describe, expect, it } from 'vitest';
import { kMin, pFull, expectedSamplesPerStep } from '../../src/voting/index.js';
import { cli, cliJson } from '../support/cli.js';

describe('switchyard plan-vote (the built CLI)', () => {
  it('--json prints exactly {kMin, pFull, expectedSamplesPerStep, expectedCost}', () => {
    const { status, body } = cliJson<Record<string, number>>([
      'plan-vote',
      '--p',
      '0.9978',
      '--steps',
      '1048575',
      '--target',
      '0.95',
      '--cost-per-sample',
      '0.001',
    ]);
    expect(status).toBe(0);
    expect(Object.keys(body)).toEqual(['kMin', 'pFull', 'expectedSamplesPerStep', 'expectedCost']);
    expect(body.kMin).toBe(3);
    expect(body.kMin).toBe(kMin(0.9978, 1048575, 0.95));
    expect(body.pFull).toBe(pFull(0.9978, 3, 1048575));
    expect(body.expectedSamplesPerStep).toBe(expectedSamplesPerStep(0.9978, 3));
    expect(body.expectedCost).toBeCloseTo(0.001 * 1048575 * expectedSamplesPerStep(0.9978, 3), 6);
  });

  it('prints a readable plan without --json', () => {
    const result = cli(['plan-vote', '--p', '0.99', '--steps', '1023', '--target', '0.95']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/k_min\s+3 {2}\(first-to-ahead-by-3\)/);
  });

  it.each([
    [
      ['--p', '0.4', '--steps', '10', '--target', '0.9'],
      /^error\[VOTE_CANNOT_CONVERGE\]: voting cannot converge/,
    ],
    [
      ['--p', 'abc', '--steps', '10', '--target', '0.9'],
      /^error\[USAGE\]: --p must be a number, got "abc"/,
    ],
    [['--steps', '10', '--target', '0.9'], /^error\[USAGE\]: --p is required/],
    [
      ['--p', '0.9', '--steps', '2.5', '--target', '0.9'],
      /^error\[USAGE\]: --steps must be a whole number of at least 1, got 2\.5/,
    ],
    [
      ['--p', '0.9', '--steps', '10', '--target', '1'],
      /^error\[USAGE\]: --target must be a target success probability strictly between 0 and 1/,
    ],
  ])('%j is an error with a hint, exit 2, no stack trace', (args, message) => {
    const result = cli(['plan-vote', ...args]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/\n {2}hint: /);
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
