import { defineTool } from 'switchyard';

/** Registered only by this example's TypeScript config: the workflow runs only if it was loaded. */
export const stamp = defineTool({
  name: 'typed.stamp',
  retry: 'safe',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  execute: (input) => ({ stamped: `[typed] ${(input as { text: string }).text}` }),
});
