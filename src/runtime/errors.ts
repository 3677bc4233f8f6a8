import { SwitchyardError } from '../core/errors.js';

export class ToolNotFoundError extends SwitchyardError {
  constructor(tool: string, path: string, known: string[], config?: string) {
    super(
      'TOOL_NOT_FOUND',
      `${path.startsWith('run ') ? path : `step ${path}`} uses tool '${tool}', which is not registered`,
      {
        path,
        value: tool,
        hint:
          (config ? `the run was started with --config ${config}; ` : '') +
          (known.length
            ? `registered tools: ${known.join(', ')}`
            : 'no tools are registered; name a tools module in switchyard.config.yaml (tools: ./tools.ts) or pass --config'),
      },
    );
  }
}

export class ModelNotFoundError extends SwitchyardError {
  constructor(model: string, path: string, known: string[]) {
    super('MODEL_NOT_FOUND', `step ${path} uses model '${model}', which is not configured`, {
      path,
      value: model,
      hint: `configured models: ${known.join(', ')}`,
    });
  }
}

export class InputInvalidError extends SwitchyardError {
  constructor(path: string, message: string, value?: unknown) {
    super('INPUT_INVALID', `workflow input ${path}: ${message}`, {
      path,
      value,
      hint: 'pass --input with JSON that satisfies the workflow input schema',
    });
  }
}

export class RunNotWaitingError extends SwitchyardError {
  constructor(runId: string, path: string, what: string, pending: string[]) {
    super('NOT_PENDING', `run ${runId} has no ${what} pending at step ${path}`, {
      path,
      hint: pending.length ? `pending: ${pending.join(', ')}` : 'nothing is pending in this run',
    });
  }
}

export class PendingAmbiguousError extends SwitchyardError {
  constructor(runId: string, path: string, what: string, runIds: string[]) {
    super(
      'PENDING_AMBIGUOUS',
      `run ${runId} has an ${what} pending at step ${path} in ${runIds.length} runs: ${runIds.join(', ')}`,
      {
        path,
        value: runIds,
        hint: 'name the run itself (one of the run ids listed) instead of its parent',
      },
    );
  }
}

export class RunBusyError extends SwitchyardError {
  constructor(runId: string) {
    super('RUN_BUSY', `run ${runId} is running: another process may be driving it`, {
      hint: `if no process is running it (it was killed), continue it first with \`switchyard resume ${runId}\`; pass --force to decide anyway`,
    });
  }
}
