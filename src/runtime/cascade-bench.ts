import type { JournalEvent } from '../core/events.js';
import { isJsonObject, type JsonValue } from '../core/json.js';
import type { WorkflowSpec } from '../core/spec.js';
import { MemoryJournalStore } from '../journal/memory-store.js';
import {
  QuizSimulatedModel,
  quizQueries,
  type QuizDifficulty,
  type QuizQuery,
} from '../providers/quiz.js';
import { ModelRegistry } from '../providers/registry.js';
import { parseWorkflow } from '../spec/parse.js';
import { Runtime } from './runtime.js';

/**
 * `switchyard bench cascade` (issue #7): arithmetic questions of mixed difficulty through the real
 * engine — journal, budgets' metering and all — on two simulated `quiz` profiles, as the issue
 * sets them: cheap (20 % wrong, $0.15 per million tokens) and expensive (2 % wrong, $10 per million
 * tokens). Each system is a workflow; each question is one run; a run is right when its output's
 * `answer` equals the question's value (the grader's key, which no scorer sees). Cost is the sum of
 * the journaled `costUsd` of the run's model calls. Simulated: the numbers show what the cascade's
 * decision rule does under the profile's model of mistakes (docs/models.md#the-quiz-profile), not
 * what a real model pair would score.
 */

export const QUIZ_PROMPT = [
  'Compute the value of this arithmetic expression (multiplication before addition and',
  'subtraction). Answer with one JSON object and nothing else: {"answer": <integer>}.',
  '',
  'Expression: {{ expression }}',
].join('\n');

const OUTPUT = {
  schema: {
    type: 'object',
    properties: { answer: { type: 'integer' } },
    required: ['answer'],
    additionalProperties: false,
  },
};

const PROMPT_FILE = 'prompts/quiz.md';

export const CHEAP_PRICE = { inputPerMTok: 0.15, outputPerMTok: 0.15 };
export const EXPENSIVE_PRICE = { inputPerMTok: 10, outputPerMTok: 10 };

function agentOnly(name: string, model: string): WorkflowSpec {
  return parseWorkflow({
    name,
    steps: [
      {
        id: 'answer',
        kind: 'agent',
        prompt: PROMPT_FILE,
        model,
        input: { expression: '$.input.expression' },
        output: OUTPUT,
      },
    ],
  });
}

function cascade(name: string, scorer: JsonValue): WorkflowSpec {
  return parseWorkflow({
    name,
    steps: [
      {
        id: 'answer',
        kind: 'cascade',
        prompt: PROMPT_FILE,
        input: { expression: '$.input.expression' },
        output: OUTPUT,
        stages: [{ model: 'cheap', scorer, threshold: 1 }, { model: 'expensive' }],
      },
    ],
  });
}

/**
 * Routing before the call on the question's shape (routing/models.ts): a regex signal fires when
 * the expression has at least `operators` operators; that decision calls the expensive model, the
 * default the cheap one. The signal reads the prompt only, as any pre-call router must.
 */
function routed(name: string, operators: number): WorkflowSpec {
  return parseWorkflow({
    name,
    routing: {
      signals: { complex: { regex: `Expression: \\d+( [-+*] \\d+){${operators},}` } },
      decisions: [
        { name: 'complex', priority: 10, when: { all: ['complex'] }, model: 'expensive' },
        { name: 'simple', default: true, model: 'cheap' },
      ],
    },
    steps: [
      {
        id: 'answer',
        kind: 'agent',
        prompt: PROMPT_FILE,
        input: { expression: '$.input.expression' },
        output: OUTPUT,
      },
    ],
  });
}

export const CASCADE_SYSTEMS = [
  'cheap',
  'expensive',
  'cascade-schema',
  'cascade-agreement',
  'route-hard',
  'route-medium',
] as const;
export type CascadeSystem = (typeof CASCADE_SYSTEMS)[number];

export function cascadeBenchWorkflows(): Record<CascadeSystem, WorkflowSpec> {
  return {
    cheap: agentOnly('quiz-cheap', 'cheap'),
    expensive: agentOnly('quiz-expensive', 'expensive'),
    'cascade-schema': cascade('quiz-cascade-schema', { kind: 'schema' }),
    'cascade-agreement': cascade('quiz-cascade-agreement', { kind: 'agreement', samples: 2 }),
    'route-hard': routed('quiz-route-hard', 4),
    'route-medium': routed('quiz-route-medium', 2),
  };
}

export interface SystemResult {
  system: CascadeSystem;
  queries: number;
  correct: number;
  accuracy: number;
  costUsd: number;
  calls: { cheap: number; expensive: number };
  /** Questions the cascade escalated to stage 1, or routing sent to the expensive model. */
  escalated: number;
  byDifficulty: Record<QuizDifficulty, { queries: number; correct: number; escalated: number }>;
}

export interface CascadeBenchReport {
  queries: number;
  seed: number;
  mix: Record<QuizDifficulty, number>;
  results: Record<CascadeSystem, SystemResult>;
  /** The goal of issue #7, checked on the agreement cascade against the expensive model. */
  goal: {
    accuracyGapPp: number;
    costRatio: number;
    withinAccuracy: boolean;
    withinCost: boolean;
  };
}

export async function runCascadeBench(
  options: { queries?: number; seed?: number } = {},
): Promise<CascadeBenchReport> {
  const count = options.queries ?? 1000;
  const seed = options.seed ?? 7;
  const questions = quizQueries(count, seed);
  const models = new ModelRegistry()
    .register(
      'cheap',
      new QuizSimulatedModel({ name: 'cheap', seed, errorRate: 0.2, price: CHEAP_PRICE }),
    )
    .register(
      'expensive',
      new QuizSimulatedModel({ name: 'expensive', seed, errorRate: 0.02, price: EXPENSIVE_PRICE }),
    );
  const store = new MemoryJournalStore();
  let next = 0;
  const runtime = new Runtime({
    store,
    models,
    ids: { runId: () => `bench-${(next++).toString(36)}` },
  });
  const workflows = cascadeBenchWorkflows();
  const results = {} as Record<CascadeSystem, SystemResult>;
  for (const system of CASCADE_SYSTEMS) {
    const result: SystemResult = {
      system,
      queries: 0,
      correct: 0,
      accuracy: 0,
      costUsd: 0,
      calls: { cheap: 0, expensive: 0 },
      escalated: 0,
      byDifficulty: {
        easy: { queries: 0, correct: 0, escalated: 0 },
        medium: { queries: 0, correct: 0, escalated: 0 },
        hard: { queries: 0, correct: 0, escalated: 0 },
      },
    };
    for (const question of questions) {
      const outcome = await runtime.start(
        { spec: workflows[system], prompts: { [PROMPT_FILE]: QUIZ_PROMPT } },
        { expression: question.expression },
      );
      const events = await runtime.events(outcome.runId);
      tally(result, question, outcome.output, events);
    }
    result.accuracy = result.correct / result.queries;
    results[system] = result;
  }
  const mix = { easy: 0, medium: 0, hard: 0 };
  for (const question of questions) mix[question.difficulty] += 1;
  const best = results.expensive;
  const chosen = results['cascade-agreement'];
  const accuracyGapPp = (best.accuracy - chosen.accuracy) * 100;
  const costRatio = chosen.costUsd / best.costUsd;
  return {
    queries: count,
    seed,
    mix,
    results,
    goal: {
      accuracyGapPp,
      costRatio,
      withinAccuracy: accuracyGapPp <= 1,
      withinCost: costRatio <= 0.4,
    },
  };
}

function tally(
  result: SystemResult,
  question: QuizQuery,
  output: JsonValue | undefined,
  events: readonly JournalEvent[],
): void {
  result.queries += 1;
  const row = result.byDifficulty[question.difficulty];
  row.queries += 1;
  const right = isJsonObject(output) && output.answer === question.answer;
  if (right) {
    result.correct += 1;
    row.correct += 1;
  }
  const modelOf = new Map<number, string>();
  for (const event of events) {
    if (event.type === 'model-call-start') modelOf.set(event.attempt, event.model);
    if (event.type === 'model-call-end') {
      result.costUsd += event.costUsd ?? 0;
      const model = modelOf.get(event.attempt);
      if (model === 'cheap') result.calls.cheap += 1;
      if (model === 'expensive') result.calls.expensive += 1;
    }
    if (
      (event.type === 'cascade-decided' && event.action === 'escalate') ||
      (event.type === 'model-route' && event.model === 'expensive')
    ) {
      result.escalated += 1;
      row.escalated += 1;
    }
  }
}

const LABELS: Record<CascadeSystem, string> = {
  cheap: 'cheap only (simulated, 20 % wrong, $0.15/M)',
  expensive: 'expensive only (simulated, 2 % wrong, $10/M)',
  'cascade-schema': 'cascade: cheap → expensive, schema scorer',
  'cascade-agreement': 'cascade: cheap → expensive, agreement of 2 samples',
  'route-hard': 'routing: ≥ 4 operators (regex signal) → expensive, else cheap',
  'route-medium': 'routing: ≥ 2 operators (regex signal) → expensive, else cheap',
};

export function renderCascadeBench(report: CascadeBenchReport): string {
  const best = report.results.expensive;
  const pct = (value: number): string => `${(value * 100).toFixed(1)} %`;
  const lines = [
    `Cascade bench (simulated models, quiz profile): ${report.queries} questions, seed ${report.seed}, ` +
      `${report.mix.easy} easy / ${report.mix.medium} medium / ${report.mix.hard} hard`,
    '',
    '| system | accuracy | cost (USD) | cost vs expensive | cheap calls | expensive calls | escalated / routed up |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const system of CASCADE_SYSTEMS) {
    const r = report.results[system];
    lines.push(
      `| ${LABELS[system]} | ${pct(r.accuracy)} | ${r.costUsd.toFixed(4)} | ${pct(r.costUsd / best.costUsd)} | ${r.calls.cheap} | ${r.calls.expensive} | ${r.escalated} |`,
    );
  }
  lines.push('', '| system | easy | medium | hard |', '| --- | ---: | ---: | ---: |');
  for (const system of CASCADE_SYSTEMS) {
    const r = report.results[system].byDifficulty;
    const cell = (d: QuizDifficulty): string =>
      `${pct(r[d].correct / Math.max(1, r[d].queries))}${
        system.startsWith('cascade')
          ? ` (${r[d].escalated} escalated)`
          : system.startsWith('route')
            ? ` (${r[d].escalated} to expensive)`
            : ''
      }`;
    lines.push(`| ${LABELS[system]} | ${cell('easy')} | ${cell('medium')} | ${cell('hard')} |`);
  }
  const goal = report.goal;
  lines.push(
    '',
    `Goal (issue #7): agreement cascade within 1 pp of the expensive model's accuracy at <= 40 % of its cost: ` +
      `gap ${goal.accuracyGapPp.toFixed(2)} pp (${goal.withinAccuracy ? 'met' : 'NOT met'}), ` +
      `cost ${pct(goal.costRatio)} (${goal.withinCost ? 'met' : 'NOT met'}).`,
  );
  return lines.join('\n');
}
