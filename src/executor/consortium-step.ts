/**
 * The consortium step (docs/models.md#consortium; the practical guide's "responsible-AI model
 * consortium", research/seeds.md §5): every drafter answers the step's prompt in parallel, each
 * call a model-call-start with its draft index as `sample` and role `draft`; when all have answered
 * or failed, a consolidating model is asked to merge the drafts that arrived (role `merge`), and
 * its answer, checked against the step's output schema, is the step's output. A draft that fails
 * is left out, and the merge prompt says so; fewer than `minDrafts` drafts fail the step.
 */

/** One drafter's call. Plain JSON (part of the engine snapshot). */
export interface Draft {
  model: string;
  /** The step attempt number of its call (unique within the step: its sampleKey). */
  attempt: number;
  /** 'model' while its call is in flight. */
  waiting: 'model' | null;
  text: string | null;
  error: string | null;
}

export interface ConsortiumRun {
  drafts: Draft[];
  merging: boolean;
}

/** The merge request: built in code from the prompt and the drafts, so replay rebuilds it. */
export function mergePrompt(prompt: string, drafts: readonly Draft[], schema: boolean): string {
  const lines = [
    'Several models drafted answers to the same task, independently. Consolidate them into one',
    'answer: keep what they agree on, settle disagreements on the merits, and leave out claims no',
    'draft supports. Do not mention the drafts or the models.',
    '',
    '<task>',
    prompt,
    '</task>',
  ];
  drafts.forEach((draft, index) => {
    lines.push('');
    if (draft.text !== null) lines.push(`<draft index="${index}">`, draft.text, '</draft>');
    else
      lines.push(
        `<draft index="${index}" missing="true">the model failed: ${draft.error ?? ''}</draft>`,
      );
  });
  lines.push(
    '',
    schema
      ? 'Answer with one JSON object that follows the requested schema, and nothing else.'
      : 'Answer with the consolidated answer only.',
  );
  return lines.join('\n');
}

export function draftsArrived(run: ConsortiumRun): number {
  return run.drafts.filter((draft) => draft.text !== null).length;
}

export function allSettled(run: ConsortiumRun): boolean {
  return run.drafts.every((draft) => draft.waiting === null);
}
