import { sse } from './loopback.js';

/**
 * Wire-format fixtures, written from the providers' documented formats:
 * - OpenAI Chat Completions: `POST /v1/chat/completions`, a `chat.completion` object, or with
 *   `stream: true` `data:` lines of `chat.completion.chunk` objects ending `data: [DONE]`; with
 *   `stream_options.include_usage` a last chunk with empty `choices` carries `usage`. Errors are
 *   `{ "error": { "message", "type", "param", "code" } }`.
 * - Anthropic Messages: `POST /v1/messages`, a `message` object; streamed as named SSE events
 *   message_start, content_block_start, ping, content_block_delta (text_delta), content_block_stop,
 *   message_delta (stop_reason, output usage), message_stop. Errors are
 *   `{ "type": "error", "error": { "type", "message" } }`; 529 is overloaded_error.
 */

/** The tool every provider's tool-call test offers the model (a ModelTool). */
export const lookupTool = {
  name: 'lookup',
  description: 'Weather by city',
  inputSchema: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

export const openai = {
  completion(content: string, usage = { prompt_tokens: 12, completion_tokens: 5 }) {
    return {
      id: 'chatcmpl-loopback1',
      object: 'chat.completion',
      created: 1_760_000_000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        ...usage,
        total_tokens: usage.prompt_tokens + usage.completion_tokens,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
      },
      service_tier: 'default',
      system_fingerprint: 'fp_loopback',
    };
  },

  /** The stream of `pieces`, with a usage chunk before [DONE]. */
  stream(pieces: string[], usage = { prompt_tokens: 9, completion_tokens: 4 }): string[] {
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id: 'chatcmpl-loopback2',
      object: 'chat.completion.chunk',
      created: 1_760_000_000,
      model: 'gpt-4o-mini-2024-07-18',
      system_fingerprint: 'fp_loopback',
      choices,
      ...extra,
    });
    return [
      sse(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }])),
      ...pieces.map((content) =>
        sse(chunk([{ index: 0, delta: { content }, finish_reason: null }])),
      ),
      sse(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }])),
      sse(
        chunk([], {
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      ),
      sse('[DONE]'),
    ];
  },

  error(message: string, type: string, code: string | null = null, param: string | null = null) {
    return { error: { message, type, param, code } };
  },

  /** An assistant message that calls one function tool (`finish_reason: tool_calls`). */
  toolCall(name: string, args: string, id = 'call_loopback1') {
    const base = openai.completion('');
    return {
      ...base,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: null,
            refusal: null,
            annotations: [],
            tool_calls: [{ id, type: 'function', function: { name, arguments: args } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
    };
  },
};

export const anthropic = {
  message(
    content: Array<Record<string, unknown>>,
    usage = { input_tokens: 21, output_tokens: 7 },
    stopReason = 'end_turn',
  ) {
    return {
      id: 'msg_loopback1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    };
  },

  text(text: string, usage?: { input_tokens: number; output_tokens: number }) {
    return anthropic.message([{ type: 'text', text }], usage);
  },

  /** The named-event stream of `pieces` as one text block. */
  stream(pieces: string[], usage = { input_tokens: 25, output_tokens: 11 }): string[] {
    return [
      sse(
        {
          type: 'message_start',
          message: {
            id: 'msg_loopback2',
            type: 'message',
            role: 'assistant',
            content: [],
            model: 'claude-sonnet-4-5-20250929',
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
          },
        },
        'message_start',
      ),
      sse(
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        'content_block_start',
      ),
      sse({ type: 'ping' }, 'ping'),
      ...pieces.map((text) =>
        sse(
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
          'content_block_delta',
        ),
      ),
      sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
      sse(
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: usage.output_tokens },
        },
        'message_delta',
      ),
      sse({ type: 'message_stop' }, 'message_stop'),
    ];
  },

  error(type: string, message: string) {
    return { type: 'error', error: { type, message } };
  },
};
