import { Validator } from '@cfworker/json-schema';
import type { Failure } from '../core/errors.js';
import type { JsonValue } from '../core/json.js';
import type { AgentStepSpec } from '../core/spec.js';

export type ParsedOutput = { ok: true; value: JsonValue } | { ok: false; failure: Failure };

// One validator per schema object: plans are cached per spec, so schema objects are stable.
const validators = new WeakMap<object, Validator>();

function validatorFor(schema: Record<string, JsonValue>): Validator {
  let validator = validators.get(schema);
  if (!validator) {
    validator = new Validator(schema, '2020-12', false);
    validators.set(schema, validator);
  }
  return validator;
}

/** Strips a Markdown code fence, which models often put around JSON even when asked not to. */
function unfence(text: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return match ? (match[1] as string) : text;
}

/**
 * An agent step's output: the raw text when the step declares no schema; otherwise JSON that must
 * satisfy the schema. Invalid output is a retryable failure (another sample may be valid).
 */
export function parseModelOutput(spec: AgentStepSpec, text: string): ParsedOutput {
  if (!spec.output) return { ok: true, value: text };
  let value: JsonValue;
  try {
    value = JSON.parse(unfence(text)) as JsonValue;
  } catch (error) {
    return {
      ok: false,
      failure: {
        type: 'invalid-output',
        message: `model output is not JSON: ${(error as Error).message}`,
        retryable: true,
      },
    };
  }
  let result: ReturnType<Validator['validate']>;
  try {
    result = validatorFor(spec.output.schema).validate(value);
  } catch (error) {
    // The schema itself is unusable (e.g. an unresolvable $ref): no sample can ever pass.
    return {
      ok: false,
      failure: {
        type: 'invalid-schema',
        message: `the step's output schema cannot be applied: ${(error as Error).message}`,
        retryable: false,
      },
    };
  }
  if (!result.valid) {
    const detail = result.errors[result.errors.length - 1];
    return {
      ok: false,
      failure: {
        type: 'invalid-output',
        message: `model output does not match the output schema at ${detail?.instanceLocation ?? '#'}: ${detail?.error ?? 'invalid'}`,
        retryable: true,
      },
    };
  }
  return { ok: true, value };
}
