import type { Command } from 'commander';
import { SwitchyardError } from '../core/errors.js';
import { planVote, VoteOutOfRangeError, type VotePlan } from '../voting/index.js';

/**
 * `switchyard plan-vote --p <per-step success> --steps <s> --target <t> [--cost-per-sample <c>]
 * [--valid-rate <v>] [--json]`: MAKER's planner (src/voting/planner.ts). A pure computation: no
 * store, config or model. `--json` prints exactly {kMin, pFull, expectedSamplesPerStep,
 * expectedCost}; bad flags are USAGE errors (exit 2), p ≤ 0.5 is VOTE_CANNOT_CONVERGE (exit 2).
 */

interface PlanVoteOptions {
  p?: string;
  steps?: string;
  target?: string;
  costPerSample?: string;
  validRate?: string;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The planner's parameter names, as flags. */
const FLAG_OF: Record<string, string> = {
  p: '--p',
  s: '--steps',
  t: '--target',
  c: '--cost-per-sample',
  v: '--valid-rate',
};

const EXAMPLE = 'e.g. switchyard plan-vote --p 0.9978 --steps 1048575 --target 0.95';

function usage(message: string, hint = EXAMPLE): SwitchyardError {
  return new SwitchyardError('USAGE', message, { hint });
}

function required(value: string | undefined, flag: string, what: string): number {
  if (value === undefined) throw usage(`${flag} is required: ${what}`);
  return decimal(value, flag);
}

function decimal(value: string, flag: string): number {
  const number = Number(value);
  if (!DECIMAL.test(value.trim()) || !Number.isFinite(number)) {
    throw usage(`${flag} must be a number, got ${JSON.stringify(value)}`);
  }
  return number;
}

function format(value: number, digits: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 10 ** digits ? String(Math.round(value)) : value.toPrecision(digits);
}

function render(plan: VotePlan, p: number, steps: number, target: number, cost?: number): string {
  const lines = [
    `voting plan for p = ${p}, ${steps} step${steps === 1 ? '' : 's'}, target p_full ≥ ${target}`,
    `  k_min                      ${plan.kMin}  (first-to-ahead-by-${plan.kMin})`,
    `  p_full at k = ${String(plan.kMin).padEnd(12)} ${format(plan.pFull, 6)}`,
    `  expected samples per step  ${format(plan.expectedSamplesPerStep, 6)}  (k / (v · (2p − 1)))`,
    cost === undefined
      ? `  expected cost              ${format(plan.expectedCost, 6)} samples`
      : `  expected cost              ${format(plan.expectedCost, 6)}  (${cost} per sample)`,
  ];
  return lines.join('\n');
}

export function registerPlanVote(program: Command): void {
  program
    .command('plan-vote')
    .description(
      'MAKER voting planner: the smallest k for a target success rate, and what it costs',
    )
    .option('--p <p>', 'per-step success rate of one valid sample, in (0.5, 1]')
    .option('--steps <s>', 'number of steps in the task (one vote per step)')
    .option('--target <t>', 'target probability that every step is right, in (0, 1)')
    .option('--cost-per-sample <c>', 'cost of one sample (default 1: cost counted in samples)')
    .option('--valid-rate <v>', 'probability that a sample passes the red flags (default 1)')
    .action((options: PlanVoteOptions, command: Command) => {
      const p = required(options.p, '--p', 'the per-step success rate of one sample');
      const steps = required(options.steps, '--steps', 'the number of steps');
      const target = required(options.target, '--target', 'the target full-task success rate');
      const cost =
        options.costPerSample === undefined
          ? undefined
          : decimal(options.costPerSample, '--cost-per-sample');
      const validRate =
        options.validRate === undefined ? undefined : decimal(options.validRate, '--valid-rate');
      let plan: VotePlan;
      try {
        plan = planVote({
          p,
          steps,
          target,
          ...(cost === undefined ? {} : { costPerSample: cost }),
          ...(validRate === undefined ? {} : { validRate }),
        });
      } catch (error) {
        if (error instanceof VoteOutOfRangeError) {
          const name = error.path ?? '';
          const flag = FLAG_OF[name] ?? name;
          // "s must be …" → "--steps must be …"
          throw usage(`${flag}${error.message.slice(name.length)}`, error.hint);
        }
        throw error;
      }
      const json = command.optsWithGlobals<{ json?: boolean }>().json === true;
      process.stdout.write(
        `${json ? JSON.stringify(plan, null, 2) : render(plan, p, steps, target, cost)}\n`,
      );
    });
}
