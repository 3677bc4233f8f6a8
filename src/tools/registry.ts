import { Validator, type Schema } from '@cfworker/json-schema';
import { failureFrom, SwitchyardError, type Failure } from '../core/errors.js';
import { assertJson, copyJson, type JsonValue } from '../core/json.js';
import type { ToolContext, ToolDefinition } from '../core/ports.js';

export type ToolResult = { ok: true; output: JsonValue } | { ok: false; failure: Failure };

/** Declares a tool; the identity function exists for type inference and a single documented shape. */
export function defineTool(definition: ToolDefinition): ToolDefinition {
  return definition;
}

export class ToolRegistry {
  private readonly tools = new Map<string, { definition: ToolDefinition; validator?: Validator }>();

  constructor(definitions: Iterable<ToolDefinition> = []) {
    for (const definition of definitions) this.register(definition);
  }

  register(definition: ToolDefinition): this {
    if (!definition.name || typeof definition.execute !== 'function') {
      throw new SwitchyardError('TOOL_INVALID', `a tool needs a name and an execute function`, {
        value: definition.name,
      });
    }
    if (this.tools.has(definition.name)) {
      throw new SwitchyardError('TOOL_DUPLICATE', `tool '${definition.name}' is registered twice`, {
        value: definition.name,
      });
    }
    const entry: { definition: ToolDefinition; validator?: Validator } = { definition };
    if (definition.inputSchema !== undefined) {
      entry.validator = new Validator(
        definition.inputSchema as unknown as Schema,
        '2020-12',
        false,
      );
    }
    this.tools.set(definition.name, entry);
    return this;
  }

  /**
   * Removes a tool (an MCP server stopped listing it, or is about to re-register it with a new
   * schema). True when it was registered.
   */
  unregister(name: string): boolean {
    return this.tools.delete(name);
  }

  get(name: string): ToolDefinition | undefined {
    return this.tools.get(name)?.definition;
  }

  names(): string[] {
    return [...this.tools.keys()].sort();
  }

  /**
   * Calls a tool and turns every outcome into data: invalid input, a thrown error and a non-JSON
   * result all become a Failure naming what was wrong, because a failure is journaled, not thrown.
   */
  async invoke(name: string, input: JsonValue, context: ToolContext): Promise<ToolResult> {
    return this.call(name, input, context);
  }

  /**
   * invoke() without the promise when there is nothing to wait for: a tool whose execute returned
   * a value (not a thenable), or input that failed validation, gives its ToolResult itself. The
   * driver journals such a result without a round of microtasks (most pure tools are synchronous).
   */
  call(name: string, input: JsonValue, context: ToolContext): ToolResult | Promise<ToolResult> {
    const entry = this.tools.get(name);
    if (!entry)
      return {
        ok: false,
        failure: {
          type: 'tool-not-found',
          message: `tool '${name}' is not registered`,
          retryable: false,
        },
      };
    if (entry.validator) {
      const result = entry.validator.validate(input);
      if (!result.valid) {
        const detail = result.errors[result.errors.length - 1];
        return {
          ok: false,
          failure: {
            type: 'invalid-input',
            message: `input to ${name} does not match its schema at ${detail?.instanceLocation ?? '#'}: ${detail?.error ?? ''}`,
            retryable: false,
          },
        };
      }
    }
    // The input is the executor's (and the journal's) value: the tool gets a copy it may change. The
    // output is returned as is; the driver journals it and hands the engine a copy parsed back from
    // the journal text, so a tool that changes it afterwards cannot change what later steps see.
    let raw: unknown;
    let then: unknown;
    try {
      raw = entry.definition.execute(copyJson(input), context);
      // Any thenable is awaited, as `await` would: a tool may return another library's promise.
      // Its `then` is read once, inside the try: a getter that throws is the tool's failure.
      if (raw !== null && (typeof raw === 'object' || typeof raw === 'function'))
        then = (raw as { then?: unknown }).then;
    } catch (error) {
      return thrown(error);
    }
    if (typeof then !== 'function') return checked(raw);
    if (raw instanceof Promise) return raw.then(checked, thrown);
    const thenable = raw;
    const adopt = then as (onValue: (v: unknown) => void, onError: (e: unknown) => void) => void;
    return new Promise<unknown>((resolve, reject) => adopt.call(thenable, resolve, reject)).then(
      checked,
      thrown,
    );
  }
}

function thrown(error: unknown): ToolResult {
  return { ok: false, failure: failureFrom(error, true) };
}

/** A tool's value as its result: undefined is null; anything else must be plain JSON. */
function checked(raw: unknown): ToolResult {
  const output = raw === undefined ? null : raw;
  try {
    assertJson(output, '$output');
  } catch (error) {
    return { ok: false, failure: failureFrom(error, false) };
  }
  return { ok: true, output };
}
