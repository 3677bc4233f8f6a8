import type { Failure } from '../core/errors.js';
import type {
  CascadeDecidedEvent,
  CascadeFallbackEvent,
  CascadeScoreEvent,
  ModelCallRole,
  Unsequenced,
} from '../core/events.js';
import { canonicalJson, isJsonObject, type JsonValue } from '../core/json.js';
import type { AgentStepSpec, CascadeStageSpec, CascadeStepSpec } from '../core/spec.js';
import type { VoteFunctionLookup } from '../voting/functions.js';
import { parseModelOutput } from './model-output.js';

/**
 * The cascade step (docs/models.md#cascade), FrugalGPT-style: stage i's model answers; the answer
 * is scored by the stage's scorer (valid output, agreement of extra samples, a judge model, or a
 * registered function); at or above the stage's threshold it is the step's output, below it the
 * next stage is asked. A provider error is retried on the same model up to the stage's `retries`,
 * then the stage's next fallback model is asked; a stage whose models all fail escalates.
 *
 * Pure: a state (plain JSON, part of the engine snapshot) and the world event that answers its
 * last call go in; decisions (journal events) and the next action come out. Calls are made one at
 * a time, so a replay feeds the same answers in the same order and re-derives every score.
 */

export type CascadeDecision = Unsequenced<
  CascadeScoreEvent | CascadeDecidedEvent | CascadeFallbackEvent
>;

export interface CascadeAnswer {
  text: string;
  /** The parsed output (the text itself without a schema); null when invalid. */
  value: JsonValue;
  valid: boolean;
  /** Why the output is invalid, or '' when it is valid. */
  problem: string;
  /** The configured model name that gave it. */
  model: string;
}

export interface CascadeRun {
  stage: number;
  /** Index into the stage's models: [model, ...fallbacks]. */
  model: number;
  /** Calls made to that model for the current call's purpose. */
  tries: number;
  phase: ModelCallRole;
  answer: CascadeAnswer | null;
  /** Agreement scorer: extra samples answered so far, and how many agreed with the answer. */
  drawn: number;
  agreed: number;
}

export interface CascadeCall {
  kind: 'call';
  model: string;
  role: ModelCallRole;
  stage: number;
  prompt: string;
  temperature: number;
  outputSchema?: JsonValue;
  maxTokens?: number;
}

export type CascadeAction =
  CascadeCall | { kind: 'accept'; value: JsonValue } | { kind: 'fail'; failure: Failure };

export interface CascadeStep {
  run: CascadeRun;
  decisions: CascadeDecision[];
  action: CascadeAction;
}

/** What a step's decisions need beside the state: the rendered prompt, its input, the functions. */
export interface CascadeContext {
  spec: CascadeStepSpec;
  prompt: string;
  input: JsonValue;
  functions: VoteFunctionLookup | undefined;
  at: number;
  path: string;
}

export function startCascade(context: CascadeContext): CascadeStep {
  const run: CascadeRun = {
    stage: 0,
    model: 0,
    tries: 0,
    phase: 'answer',
    answer: null,
    drawn: 0,
    agreed: 0,
  };
  return { run, decisions: [], action: call(context, run, 'answer') };
}

function stageOf(spec: CascadeStepSpec, index: number): CascadeStageSpec {
  return spec.stages[index] as CascadeStageSpec;
}

function modelsOf(stage: CascadeStageSpec): string[] {
  return [stage.model, ...stage.fallbacks];
}

/** The next call of the current phase (its tries counted). */
function call(context: CascadeContext, run: CascadeRun, role: ModelCallRole): CascadeCall {
  const { spec } = context;
  const stage = stageOf(spec, run.stage);
  run.phase = role;
  run.tries += 1;
  if (role === 'judge') {
    const answer = run.answer as CascadeAnswer;
    return {
      kind: 'call',
      model: (stage.scorer as { model: string }).model,
      role,
      stage: run.stage,
      prompt: judgePrompt(context.prompt, answer.text),
      temperature: 0,
      outputSchema: JUDGE_SCHEMA,
    };
  }
  const temperature =
    role === 'check' && stage.scorer?.kind === 'agreement'
      ? stage.scorer.temperature
      : spec.temperature;
  const model =
    role === 'check' ? (run.answer as CascadeAnswer).model : (modelsOf(stage)[run.model] as string);
  return {
    kind: 'call',
    model,
    role,
    stage: run.stage,
    prompt: context.prompt,
    temperature,
    ...(spec.output ? { outputSchema: spec.output.schema } : {}),
    ...(spec.maxTokens === undefined ? {} : { maxTokens: spec.maxTokens }),
  };
}

export const JUDGE_SCHEMA: Record<string, JsonValue> = {
  type: 'object',
  properties: { score: { type: 'number', minimum: 0, maximum: 1 } },
  required: ['score'],
  additionalProperties: false,
};

/** The judge's question: built in code from the step's prompt and the answer, so replay rebuilds it. */
export function judgePrompt(prompt: string, answer: string): string {
  return [
    'You grade an answer another model gave to the task below. Judge whether it is correct and',
    'complete; do not solve the task again at length.',
    '',
    '<task>',
    prompt,
    '</task>',
    '',
    '<answer>',
    answer,
    '</answer>',
    '',
    'Reply with one JSON object and nothing else: {"score": <a number from 0 to 1>}, where 1 means',
    'certainly correct and 0 certainly wrong.',
  ].join('\n');
}

function readAnswer(spec: CascadeStepSpec, text: string, model: string): CascadeAnswer {
  const parsed = parseModelOutput({ output: spec.output } as AgentStepSpec, text);
  return parsed.ok
    ? { text, value: parsed.value, valid: true, problem: '', model }
    : { text, value: null, valid: false, problem: parsed.failure.message, model };
}

/** A call of the step answered with `text`. */
export function cascadeAnswered(
  context: CascadeContext,
  prev: CascadeRun,
  text: string,
): CascadeStep {
  const run: CascadeRun = { ...prev };
  const { spec } = context;
  const stage = stageOf(spec, run.stage);
  switch (run.phase) {
    case 'answer': {
      const answer = readAnswer(spec, text, modelsOf(stage)[run.model] as string);
      run.answer = answer;
      run.tries = 0;
      if (!answer.valid) return scored(context, run, 'schema-invalid', 0, answer.problem);
      const scorer = stage.scorer;
      if (scorer === undefined) return scored(context, run, 'none', 1, 'valid output');
      switch (scorer.kind) {
        case 'schema':
          return scored(context, run, 'schema', 1, 'valid output');
        case 'agreement':
          run.drawn = 0;
          run.agreed = 0;
          return { run, decisions: [], action: call(context, run, 'check') };
        case 'judge':
          return { run, decisions: [], action: call(context, run, 'judge') };
        case 'function':
          return functionScore(context, run, scorer.name, answer);
      }
      break;
    }
    case 'check':
      return sampleDone(context, run, readAnswer(spec, text, (run.answer as CascadeAnswer).model));
    case 'judge': {
      const verdict = readJudge(text);
      return scored(context, run, 'judge', verdict.score, verdict.detail);
    }
    default:
      break;
  }
  return fail(run, [], `internal: a cascade answer arrived in phase ${run.phase}`);
}

/** A call of the step failed (provider error, timeout). */
export function cascadeFailed(
  context: CascadeContext,
  prev: CascadeRun,
  failure: Failure,
): CascadeStep {
  const run: CascadeRun = { ...prev };
  const { spec } = context;
  const stage = stageOf(spec, run.stage);
  const retryable = failure.retryable;
  switch (run.phase) {
    case 'answer': {
      if (retryable && run.tries <= stage.retries)
        return { run, decisions: [], action: call(context, run, 'answer') };
      const models = modelsOf(stage);
      const from = models[run.model] as string;
      if (run.model + 1 < models.length) {
        run.model += 1;
        run.tries = 0;
        const decision: CascadeDecision = {
          type: 'cascade-fallback',
          at: context.at,
          path: context.path,
          stage: run.stage,
          from,
          to: models[run.model] as string,
          error: failure.message,
        };
        return { run, decisions: [decision], action: call(context, run, 'answer') };
      }
      return next(
        context,
        run,
        [],
        'provider-error',
        `every model of stage ${run.stage} failed: ${failure.message}`,
      );
    }
    case 'check':
      // A sample that could not be drawn does not agree.
      if (retryable && run.tries <= stage.retries)
        return { run, decisions: [], action: call(context, run, 'check') };
      return sampleDone(context, run, null);
    case 'judge':
      if (retryable && run.tries <= stage.retries)
        return { run, decisions: [], action: call(context, run, 'judge') };
      return scored(context, run, 'judge', 0, `the judge could not be asked: ${failure.message}`);
    default:
      return fail(run, [], `internal: a cascade failure arrived in phase ${run.phase}`);
  }
}

function sampleDone(
  context: CascadeContext,
  run: CascadeRun,
  sample: CascadeAnswer | null,
): CascadeStep {
  const stage = stageOf(context.spec, run.stage);
  const scorer = stage.scorer as { kind: 'agreement'; samples: number };
  const answer = run.answer as CascadeAnswer;
  run.drawn += 1;
  run.tries = 0;
  if (sample?.valid && canonicalJson(sample.value) === canonicalJson(answer.value)) run.agreed += 1;
  const extra = scorer.samples - 1;
  if (run.drawn < extra) return { run, decisions: [], action: call(context, run, 'check') };
  return scored(
    context,
    run,
    'agreement',
    run.agreed / extra,
    `${run.agreed} of ${extra} extra sample${extra === 1 ? '' : 's'} agreed`,
  );
}

function functionScore(
  context: CascadeContext,
  run: CascadeRun,
  name: string,
  answer: CascadeAnswer,
): CascadeStep {
  const score = context.functions?.scorer?.(name);
  if (score === undefined)
    return fail(run, [], `no cascade scorer named ${JSON.stringify(name)} is registered`);
  let value: number;
  try {
    value = score(answer.value, answer.text, context.input);
  } catch (error) {
    return fail(run, [], `cascade scorer ${name} threw: ${(error as Error).message}`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value))
    return fail(run, [], `cascade scorer ${name} returned ${String(value)}, not a number`);
  return scored(context, run, 'function', Math.min(1, Math.max(0, value)), `scorer ${name}`);
}

function readJudge(text: string): { score: number; detail: string } {
  try {
    const value = JSON.parse(text.trim().replace(/^```(?:json)?\s*|```\s*$/g, '')) as JsonValue;
    if (
      isJsonObject(value) &&
      typeof value.score === 'number' &&
      value.score >= 0 &&
      value.score <= 1
    )
      return { score: value.score, detail: 'the judge scored it' };
  } catch {
    // falls through
  }
  return { score: 0, detail: 'the judge gave no usable score' };
}

/** Journals the stage's score and decides: accept, escalate, or (last stage) reject. */
function scored(
  context: CascadeContext,
  run: CascadeRun,
  scorer: CascadeScoreEvent['scorer'] | 'schema-invalid',
  score: number,
  detail: string,
): CascadeStep {
  const stage = stageOf(context.spec, run.stage);
  const answer = run.answer as CascadeAnswer;
  const decisions: CascadeDecision[] = [
    {
      type: 'cascade-score',
      at: context.at,
      path: context.path,
      stage: run.stage,
      model: answer.model,
      scorer: scorer === 'schema-invalid' ? (stage.scorer?.kind ?? 'none') : scorer,
      score,
      threshold: stage.threshold,
      detail,
    },
  ];
  if (answer.valid && score >= stage.threshold) {
    decisions.push({
      type: 'cascade-decided',
      at: context.at,
      path: context.path,
      stage: run.stage,
      action: 'accept',
      reason: 'score',
    });
    return { run, decisions, action: { kind: 'accept', value: answer.value } };
  }
  return next(
    context,
    run,
    decisions,
    'score',
    `the last stage's answer scored ${score} (threshold ${stage.threshold}): ${detail}`,
  );
}

/** Escalates to the next stage, or rejects at the last. */
function next(
  context: CascadeContext,
  run: CascadeRun,
  decisions: CascadeDecision[],
  reason: 'score' | 'provider-error',
  lastWords: string,
): CascadeStep {
  const last = run.stage + 1 >= context.spec.stages.length;
  decisions.push({
    type: 'cascade-decided',
    at: context.at,
    path: context.path,
    stage: run.stage,
    action: last ? 'reject' : 'escalate',
    reason,
  });
  if (last) return fail(run, decisions, `cascade exhausted: ${lastWords}`);
  run.stage += 1;
  run.model = 0;
  run.tries = 0;
  run.answer = null;
  run.drawn = 0;
  run.agreed = 0;
  return { run, decisions, action: call(context, run, 'answer') };
}

function fail(run: CascadeRun, decisions: CascadeDecision[], message: string): CascadeStep {
  return {
    run,
    decisions,
    action: {
      kind: 'fail',
      failure: { type: 'cascade-exhausted', code: 'CASCADE_EXHAUSTED', message, retryable: false },
    },
  };
}
