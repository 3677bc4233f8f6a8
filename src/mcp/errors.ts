import { SwitchyardError } from '../core/errors.js';

/** `switchyard mcp` cannot start as asked (exit 2, like `serve`'s refusals). */
export class McpServeError extends SwitchyardError {}

/** Two workflows (or a workflow and a built-in tool) would be offered under one MCP tool name. */
export class McpToolNameClashError extends McpServeError {
  constructor(tool: string, first: string, second: string) {
    super(
      'MCP_TOOL_NAME_CLASH',
      `the MCP tool name '${tool}' would be used by both ${first} and ${second}`,
      {
        path: 'workflows',
        value: tool,
        hint: 'MCP tool names keep letters, digits, _ and - (other characters become _); rename one workflow',
      },
    );
  }
}

/** The arguments of a built-in tool do not match its input schema; `path` names the field. */
export class McpArgumentsInvalidError extends SwitchyardError {
  constructor(tool: string, path: string, message: string) {
    super('MCP_ARGUMENTS_INVALID', `${tool}: ${path ? `argument ${path}: ` : ''}${message}`, {
      path,
      hint: 'see the tool inputSchema in tools/list',
    });
  }
}
