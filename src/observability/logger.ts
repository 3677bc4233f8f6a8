import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import type { JournalEvent } from '../core/events.js';

export type { Logger };

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where JSON lines go; stdout by default (pino's own fast path). */
  destination?: DestinationStream;
  /** Fields on every line (e.g. `{ service: 'switchyard' }`). */
  base?: Record<string, unknown>;
}

/** A pino logger writing one JSON object per line, with ISO times and string level names. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { service: 'switchyard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/**
 * Logs what an operator follows in a run's journal: starts and ends, failed steps, pauses, reroutes,
 * escalations and cancellations, each with `runId` and (for step events) `stepPath`. Tool results,
 * inputs and model texts are never logged: they may hold personal data, and the journal has them.
 */
export function logRunEvents(logger: Logger, runId: string, events: readonly JournalEvent[]): void {
  for (const event of events) {
    switch (event.type) {
      case 'run-start':
        logger.info(
          {
            runId,
            workflow: event.workflow,
            specHash: event.specHash,
            ...(event.parent ? { parentRunId: event.parent.runId } : {}),
          },
          'run started',
        );
        break;
      case 'run-end':
        (event.status === 'failed' ? logger.warn : logger.info).call(
          logger,
          {
            runId,
            status: event.status,
            ...(event.error
              ? { error: { type: event.error.type, message: event.error.message } }
              : {}),
          },
          `run ${event.status}`,
        );
        break;
      case 'step-end':
        if (event.status === 'failed') {
          logger.warn(
            {
              runId,
              stepPath: event.path,
              ...(event.error
                ? { error: { type: event.error.type, message: event.error.message } }
                : {}),
            },
            'step failed',
          );
        }
        break;
      case 'approval-request':
        logger.info({ runId, stepPath: event.path }, 'waiting for approval');
        break;
      case 'approval-decision':
        logger.info(
          { runId, stepPath: event.path, approved: event.approved },
          event.approved ? 'approved' : 'rejected',
        );
        break;
      case 'outcome-unknown':
        logger.warn(
          { runId, stepPath: event.path, tool: event.tool, attempt: event.attempt },
          'tool call outcome unknown: decide with resolve',
        );
        break;
      case 'route-reroute':
        logger.info(
          { runId, stepPath: event.path, node: event.node, cause: event.cause },
          'route rerouted',
        );
        break;
      case 'route-escalate':
        logger.warn({ runId, stepPath: event.path, reason: event.reason }, 'route escalated');
        break;
      case 'run-cancel':
        logger.info({ runId, reason: event.reason }, 'cancel requested');
        break;
      default:
        break;
    }
  }
}
