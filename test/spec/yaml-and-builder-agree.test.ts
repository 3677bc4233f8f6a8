import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expr, jsonata, loadWorkflowFile, specHash, workflow } from '../../src/spec/index.js';
import type { WorkflowSpec } from '../../src/core/spec.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/specs/good');
const load = (file: string) => loadWorkflowFile(path.join(fixtures, file));

const receipt = workflow('receipt')
  .agent('write', { prompt: 'children/prompts/receipt.md', input: (r) => r.input() })
  .build();

const builders: Record<string, () => WorkflowSpec> = {
  'tool-agent.yaml': () =>
    workflow('tool-agent')
      .input<{ name: string }>({
        type: 'object',
        properties: { name: { type: 'string' } },
        required: ['name'],
      })
      .tool('greet', { tool: 'greeter', input: (r) => ({ name: r.input('name') }) })
      .agent('polish', {
        prompt: 'prompts/polish.md',
        model: 'fast',
        input: (r) => ({ text: r.step('greet').output('text') }),
        output: {
          schema: {
            type: 'object',
            properties: { greeting: { type: 'string' } },
            required: ['greeting'],
          },
        },
      })
      .output((r) => r.step('polish').output('greeting'))
      .build(),

  'vote.yaml': () =>
    workflow('classify-vote')
      .input<{ ticket: string }>({ type: 'object', properties: { ticket: { type: 'string' } } })
      .vote('label', {
        prompt: 'prompts/classify.md',
        model: 'fast',
        input: (r) => ({ ticket: r.input('ticket') }),
        output: {
          schema: {
            type: 'object',
            properties: { label: { enum: ['billing', 'bug', 'other'] } },
            required: ['label'],
          },
        },
        k: 3,
        maxSamples: 12,
        temperature: { first: 0, later: 0.7 },
        maxParallel: 4,
        redFlags: { maxOutputTokens: 200, parser: 'json', check: 'no-empty' },
        retry: { maxAttempts: 2 },
        timeoutMs: 10_000,
      })
      .vote('code', {
        prompt: 'prompts/classify.md',
        input: (r) => ({ ticket: r.step('label').output('label') }),
        k: 1,
        maxSamples: 1,
        redFlags: { parser: { regex: '(?<word>[a-z]+)', flags: 'i' } },
      })
      .output((r) => r.step('code').output())
      .build(),

  'map.yaml': () =>
    workflow('fan-out')
      .tool('list', { tool: 'orders.list', input: { count: 10 } })
      .map('each', {
        items: (r) => r.step('list').output('orders'),
        concurrency: 3,
        steps: (b) =>
          b
            .tool('charge', {
              tool: 'payments.charge',
              input: (r) => ({ order: r.item(), position: r.index() }),
            })
            .agent('summary', {
              prompt: 'prompts/summarise.md',
              input: { text: expr("$string(steps.charge.output.amount) & ' for ' & item.id") },
            })
            .output((r) => ({
              amount: r.step('charge').output('amount'),
              note: r.step('summary').output(),
            })),
      })
      .tool('total', { tool: 'math.sum', input: { values: expr('steps.each.output.amount') } })
      .output((r) => r.step('total').output())
      .build(),

  'branch.yaml': () =>
    workflow('triage')
      .tool('classify', { tool: 'classifier', input: (r) => r.input('ticket') })
      .branch('route', {
        cases: [
          {
            when: "steps.classify.output.severity = 'high'",
            steps: (b) =>
              b
                .tool('page', { tool: 'pager.page', input: (r) => ({ ticket: r.input('ticket') }) })
                .output((r) => r.step('page').output()),
          },
          {
            when: "steps.classify.output.severity = 'medium'",
            steps: (b) =>
              b.tool('queue', {
                tool: 'queue.add',
                input: (r) => ({ ticket: r.input('ticket'), priority: 2 }),
              }),
          },
        ],
        default: (b) =>
          b.tool('ignore', { tool: 'log.write', input: { message: 'low severity' } }).output(null),
      })
      .output((r) => ({ routed: r.step('route').output(), status: r.step('route').status() }))
      .build(),

  'loop.yaml': () =>
    workflow('refine')
      .tool('draft', { tool: 'writer.draft', input: (r) => ({ topic: r.input('topic') }) })
      .loop('improve', {
        maxIterations: 5,
        steps: (b) =>
          b
            .tool('rewrite', {
              tool: 'writer.rewrite',
              input: (r) => ({
                text: r.step('draft').output('text'),
                previous: r.previous(),
                round: r.iteration(),
              }),
            })
            .tool('review', {
              tool: 'writer.review',
              input: (r) => ({ text: r.step('rewrite').output('text') }),
            })
            .output((r) => r.step('rewrite').output()),
        until: 'steps.review.output.score >= 0.8',
      })
      .output((r) => r.step('improve').output('text'))
      .build(),

  'parallel.yaml': () =>
    workflow('research')
      .parallel('gather', {
        branches: {
          web: (b) =>
            b
              .tool('search', { tool: 'web.search', input: (r) => ({ q: r.input('query') }) })
              .output((r) => r.step('search').output()),
          papers: (b) =>
            b
              .tool('scholar', { tool: 'scholar.search', input: (r) => ({ q: r.input('query') }) })
              .tool('rank', { tool: 'rank', input: (r) => r.step('scholar').output('results') }),
        },
      })
      .tool('merge', {
        tool: 'merge',
        input: (r) => ({
          web: r.step('gather').output('web'),
          papers: r.step('gather').output('papers'),
        }),
      })
      .build(),

  'approval.yaml': () =>
    workflow('publish')
      .tool('draft', { tool: 'writer.draft', input: (r) => r.input() })
      .approval('ok', { message: 'Publish this draft?', after: ['draft'] })
      .tool('publish', {
        tool: 'cms.publish',
        input: (r) => ({
          text: r.step('draft').output('text'),
          approver: r.step('ok').output('comment'),
        }),
      })
      .build(),

  'parent.yaml': () => {
    const charge = workflow('charge-order')
      .tool('pay', { tool: 'payments.charge', input: (r) => r.input(), retry: { maxAttempts: 3 } })
      .workflow('receipt', { workflow: receipt, input: (r) => r.step('pay').output() })
      .output((r) => r.step('receipt').output())
      .build();
    const report = workflow('report')
      .workflow('receipt', { workflow: receipt, input: (r) => r.input() })
      .tool('sum', { tool: 'math.sum', input: (r) => r.input('results') })
      .build();
    return workflow('orders-parent')
      .tool('orders', { tool: 'orders.list' })
      .map('each', {
        items: (r) => r.step('orders').output(),
        steps: (b) => b.workflow('charge', { workflow: charge, input: (r) => r.item() }),
      })
      .workflow('report', {
        workflow: report,
        input: (r) => ({ results: r.step('each').output() }),
      })
      .output((r) => r.step('report').output())
      .build();
  },

  'route.yaml': () =>
    workflow('refund-route')
      .input<{ order: string; amount: number }>({
        type: 'object',
        properties: { order: { type: 'string' }, amount: { type: 'number' } },
      })
      .tool('lookup', { tool: 'orders.get', input: (r) => ({ id: r.input('order') }) })
      .route('refund', {
        graph: {
          nodes: [
            { id: 'Start' },
            { id: 'Stripe', tool: 'stripe.refund', latencyMs: 250, reliability: 0.97 },
            { id: 'Razorpay', tool: 'razorpay.refund', rateLimitProximity: 0.4 },
            { id: 'Complete', tool: 'notify.done' },
          ],
          edges: [
            { from: 'Start', to: 'Stripe', cost: 0.3 },
            { from: 'Start', to: 'Razorpay', cost: 0.5 },
            { from: 'Stripe', to: 'Complete', cost: 0.1 },
            { from: 'Razorpay', to: 'Complete', cost: 0.1 },
          ],
        },
        start: 'Start',
        goal: 'Complete',
        maxRetries: 2,
        input: (r) => ({ order: r.step('lookup').output(), amount: r.input('amount') }),
        request: (r) => ({ text: 'refund order', amount: r.input('amount') }),
        model: 'fast',
        timeoutMs: 5000,
        onError: 'continue',
      })
      .output((r) => r.step('refund').output())
      .build(),

  'retry-fallback.yaml': () =>
    workflow('resilient')
      .tool('fetch', {
        tool: 'http.get',
        version: '2',
        input: (r) => ({ url: r.input('url') }),
        retry: {
          maxAttempts: 4,
          backoff: { initialMs: 100, factor: 3, maxMs: 5000, jitter: false },
        },
        timeoutMs: 2000,
        onError: {
          fallback: (b) =>
            b.tool('cached', { tool: 'cache.get', input: (r) => ({ key: r.input('url') }) }),
        },
      })
      .tool('notify', {
        tool: 'notify',
        input: (r) => ({ status: r.step('fetch').status() }),
        onError: 'continue',
      })
      .tool('audit', { tool: 'audit.log', after: ['notify'], onError: 'fail' })
      .output((r) => r.step('fetch').output())
      .build(),
};

describe('a workflow written in YAML and with the TypeScript builder', () => {
  for (const [file, build] of Object.entries(builders)) {
    it(`compiles to the same canonical spec and specHash: ${file}`, async () => {
      const loaded = await load(file);
      const built = build();
      expect(built).toEqual(loaded.spec);
      expect(specHash(built)).toBe(loaded.specHash);
    });
  }

  it('bundles each sub-workflow once, flattened, with root-relative prompt paths', async () => {
    const loaded = await load('parent.yaml');
    expect(Object.keys(loaded.spec.workflows ?? {}).sort()).toEqual([
      'charge-order',
      'receipt',
      'report',
    ]);
    expect(loaded.spec.workflows?.['charge-order']?.workflows).toBeUndefined();
    expect(loaded.spec.workflows?.receipt?.steps[0]).toMatchObject({
      prompt: 'children/prompts/receipt.md',
    });
    expect(loaded.prompts).toEqual({
      'children/prompts/receipt.md': 'Write a receipt for {{ amount }}.\n',
    });
  });

  it('keys prompts by the root-relative path the agent step now holds', async () => {
    const loaded = await load('map.yaml');
    expect(Object.keys(loaded.prompts)).toEqual(['prompts/summarise.md']);
    expect(loaded.root).toBe(fixtures);
    expect(loaded.file).toBe(path.join(fixtures, 'map.yaml'));
  });

  it('turns refs spliced into jsonata`…` into root-context paths the validator sees', () => {
    const spec = workflow('spliced')
      .tool('score', { tool: 'scorer' })
      .branch('gate', {
        cases: [
          {
            when: (r) =>
              jsonata`${r.step('score').output('value')} > ${0.8} and ${r.input('mode')} = ${'x'}`,
            steps: (b) => b.approval('ok'),
          },
        ],
      })
      .build();
    const gate = spec.steps[1];
    expect(gate?.kind === 'branch' && gate.cases[0]?.when).toBe(
      '$$.steps.score.output.value > 0.8 and $$.input.mode = "x"',
    );
  });
});
