import { describe, expect, it } from 'vitest';
import { checkPrompt, renderPrompt } from '../../src/executor/prompt.js';

describe('prompt templates', () => {
  const template = 'Hi {{ user.name }}, item {{ items[1] }}; data {{data}}; again {{ user.name }}.';

  it('fills nested paths, array indexes and JSON values, every occurrence', () => {
    const input = { user: { name: 'Ada' }, items: ['a', 'b'], data: { n: [1, 2] } };
    expect(renderPrompt(template, input)).toEqual({
      ok: true,
      text: 'Hi Ada, item b; data {"n":[1,2]}; again Ada.',
    });
    expect(checkPrompt(template, input)).toBeNull();
  });

  it('names every placeholder without a value, in both the render and the check', () => {
    const input = { user: {}, items: ['only one'] };
    const message =
      'prompt placeholders with no value in the step input: user.name, items[1], data, user.name';
    expect(renderPrompt(template, input)).toEqual({ ok: false, message });
    expect(checkPrompt(template, input)).toBe(message);
  });

  it('leaves a template without placeholders as it is, and text around braces alone', () => {
    expect(renderPrompt('no {placeholders} here {{ 1x }}', null)).toEqual({
      ok: true,
      text: 'no {placeholders} here {{ 1x }}',
    });
  });
});
