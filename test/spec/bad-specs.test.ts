import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath } from '../support/cli.js';
import { loadWorkflowFile, SpecValidationError, type SpecIssue } from '../../src/spec/index.js';

/** Strips the indentation of a template literal so YAML line numbers are the ones written here. */
function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const indent = Math.min(
    ...text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => /^ */.exec(l)?.[0].length ?? 0),
  );
  return text
    .split('\n')
    .map((l) => l.slice(indent))
    .join('\n');
}

interface Row {
  name: string;
  /** File name → contents; `main.yaml` is loaded. */
  files: Record<string, string>;
  code: string;
  path: string;
  line?: number;
  /** File the issue is reported in, when not main.yaml. */
  file?: string;
  /** Other issues the same mistake causes, in order, when there are any. */
  codes?: string[];
  /** A word the message must contain (the "did you mean" suggestion, a named cycle…). */
  mentions?: string;
}

const tool = (id: string, extra = ''): string =>
  `{ id: ${id}, kind: tool, tool: t${extra ? `, ${extra}` : ''} }`;

/**
 * A route step on fixed lines: 5 start, 6 goal, 9… one node per line, then `edges:` and one edge
 * per line, then `extra` lines of the step.
 */
function routeYaml(
  options: {
    nodes?: string[];
    edges?: string[];
    start?: string;
    goal?: string;
    extra?: string[];
  } = {},
): string {
  const nodes = options.nodes ?? [
    '{ id: Start }',
    '{ id: Stripe, tool: stripe.refund }',
    '{ id: Goal, tool: notify }',
  ];
  const edges = options.edges ?? [
    '{ from: Start, to: Stripe, cost: 1 }',
    '{ from: Stripe, to: Goal, cost: 1 }',
  ];
  return [
    'name: w',
    'steps:',
    '  - id: pay',
    '    kind: route',
    `    start: ${options.start ?? 'Start'}`,
    `    goal: ${options.goal ?? 'Goal'}`,
    '    graph:',
    '      nodes:',
    ...nodes.map((n) => `        - ${n}`),
    '      edges:',
    ...edges.map((e) => `        - ${e}`),
    ...(options.extra ?? []).map((line) => `    ${line}`),
    '',
  ].join('\n');
}

/** A vote step (lines 3–5: id, kind, prompt) followed by `fields`, one per line from line 6. */
function voteYaml(fields: string[]): string {
  return [
    'name: w',
    'steps:',
    '  - id: pick',
    '    kind: vote',
    '    prompt: p.md',
    ...fields.map((line) => `    ${line}`),
    '',
  ].join('\n');
}

const voteFiles = (fields: string[]): Record<string, string> => ({
  'main.yaml': voteYaml(fields),
  'p.md': 'Pick one: {{ x }}',
});

const rows: Row[] = [
  {
    name: 'route edge to a node that does not exist',
    files: {
      'main.yaml': routeYaml({
        edges: ['{ from: Start, to: Stripe, cost: 1 }', '{ from: Stripe, to: Gaol, cost: 1 }'],
      }),
    },
    code: 'ROUTE_UNKNOWN_NODE',
    path: 'steps[0].graph.edges[1].to',
    line: 14,
    codes: ['ROUTE_UNREACHABLE_GOAL', 'ROUTE_UNKNOWN_NODE'],
    mentions: 'did you mean "Goal"',
  },
  {
    name: 'route with two nodes of one id',
    files: {
      'main.yaml': routeYaml({
        nodes: ['{ id: Start }', '{ id: Stripe }', '{ id: Stripe, tool: other }', '{ id: Goal }'],
      }),
    },
    code: 'ROUTE_DUPLICATE_NODE',
    path: 'steps[0].graph.nodes[2].id',
    line: 11,
  },
  {
    name: 'route edge with a negative cost',
    files: {
      'main.yaml': routeYaml({
        edges: ['{ from: Start, to: Stripe, cost: -1 }', '{ from: Stripe, to: Goal, cost: 1 }'],
      }),
    },
    code: 'ROUTE_NEGATIVE_COST',
    path: 'steps[0].graph.edges[0].cost',
    line: 13,
  },
  {
    name: 'route node reliability above 1',
    files: {
      'main.yaml': routeYaml({
        nodes: ['{ id: Start }', '{ id: Stripe, reliability: 1.5 }', '{ id: Goal }'],
      }),
    },
    code: 'ROUTE_OUT_OF_RANGE',
    path: 'steps[0].graph.nodes[1].reliability',
    line: 10,
  },
  {
    name: 'route whose goal is its start',
    files: { 'main.yaml': routeYaml({ goal: 'Start' }) },
    code: 'ROUTE_START_IS_GOAL',
    path: 'steps[0].goal',
    line: 6,
  },
  {
    name: 'route goal no edge leads to',
    files: {
      'main.yaml': routeYaml({
        edges: ['{ from: Start, to: Stripe, cost: 1 }', '{ from: Goal, to: Stripe, cost: 1 }'],
      }),
    },
    code: 'ROUTE_UNREACHABLE_GOAL',
    path: 'steps[0].goal',
    line: 6,
  },
  {
    name: 'retry on a route step',
    files: { 'main.yaml': routeYaml({ extra: ['retry: { maxAttempts: 3 }'] }) },
    code: 'SPEC_FIELD_NOT_APPLICABLE',
    path: 'steps[0].retry',
    line: 15,
    mentions: 'reroutes around a failed tool',
  },
  {
    name: 'route request reading a step that does not exist',
    files: { 'main.yaml': routeYaml({ extra: ['request: { text: $.steps.nope.output }'] }) },
    code: 'SPEC_UNKNOWN_STEP',
    path: 'steps[0].request.text',
    line: 15,
  },
  {
    name: 'YAML syntax error (unclosed flow sequence)',
    files: {
      'main.yaml': yaml`
      name: w
      steps: [ ${tool('a')}
      output: 1
    `,
    },
    code: 'SPEC_YAML_SYNTAX',
    path: '',
    line: 3,
  },
  {
    name: 'duplicate YAML key',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tool
          tool: first
          tool: second
    `,
    },
    code: 'SPEC_YAML_DUPLICATE_KEY',
    path: 'steps[0].tool',
    line: 6,
  },
  {
    name: 'unknown step kind, with a suggestion',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tol
          tool: t
    `,
    },
    code: 'SPEC_UNKNOWN_KIND',
    path: 'steps[0].kind',
    line: 4,
    mentions: 'did you mean "tool"',
  },
  {
    name: 'vote whose sample cap is below k',
    files: voteFiles(['k: 3', 'maxSamples: 2']),
    code: 'VOTE_RULE_INVALID',
    path: 'steps[0].maxSamples',
    line: 7,
    mentions: 'can never give one answer a lead of 3',
  },
  {
    name: 'vote regex parser that does not compile',
    files: voteFiles(['k: 2', 'maxSamples: 5', 'redFlags:', "  parser: { regex: '(a' }"]),
    code: 'VOTE_RULE_INVALID',
    path: 'steps[0].redFlags.parser.regex',
    line: 9,
    mentions: 'not a valid regular expression',
  },
  {
    name: 'vote regex parser with the m flag',
    files: voteFiles([
      'k: 2',
      'maxSamples: 5',
      'redFlags:',
      "  parser: { regex: 'yes|no', flags: m }",
    ]),
    code: 'VOTE_RULE_INVALID',
    path: 'steps[0].redFlags.parser.flags',
    line: 9,
    mentions: 'match the whole output',
  },
  {
    name: 'vote without k',
    files: voteFiles(['maxSamples: 5']),
    code: 'SPEC_MISSING_FIELD',
    path: 'steps[0].k',
    line: 3,
  },
  {
    name: 'vote with a negative later temperature',
    files: voteFiles(['k: 2', 'maxSamples: 5', 'temperature: { later: -0.5 }']),
    code: 'SPEC_OUT_OF_RANGE',
    path: 'steps[0].temperature.later',
    line: 8,
  },
  {
    name: 'vote with an approval-style field',
    files: voteFiles(['k: 2', 'maxSamples: 5', 'message: pick one']),
    code: 'SPEC_UNKNOWN_FIELD',
    path: 'steps[0].message',
    line: 8,
  },
  {
    name: 'cycle between two steps',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a', 'input: $.steps.b.output')}
        - ${tool('b', 'input: $.steps.a.output')}
    `,
    },
    code: 'SPEC_CYCLE',
    path: 'steps[0]',
    line: 3,
    mentions: 'a -> b -> a',
  },
  {
    name: 'reference to a step that is not upstream (the enclosing container)',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: each
          kind: map
          items: $.input.list
          steps:
            - ${tool('inner', 'input: $.steps.each.output')}
    `,
    },
    code: 'SPEC_REFERENCE_NOT_UPSTREAM',
    path: 'steps[0].steps[0].input',
    line: 7,
  },
  {
    name: "reference into another container's body",
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: each
          kind: map
          items: $.input.list
          steps:
            - ${tool('inner')}
        - id: after
          kind: tool
          tool: t
          input: { x: $.steps.inner.output }
    `,
    },
    code: 'SPEC_REFERENCE_NOT_UPSTREAM',
    path: 'steps[1].input.x',
    line: 11,
    mentions: '$.steps.each.output',
  },
  {
    name: 'unknown step in a reference, with a suggestion',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('fetch')}
        - ${tool('use', 'input: { url: $.steps.fecth.output }')}
    `,
    },
    code: 'SPEC_UNKNOWN_STEP',
    path: 'steps[1].input.url',
    line: 4,
    mentions: 'did you mean "fetch"',
  },
  {
    name: 'bad reference syntax',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a')}
        - ${tool('b', 'input: $.steps.a.outptu')}
    `,
    },
    code: 'SPEC_BAD_REFERENCE',
    path: 'steps[1].input',
    line: 4,
  },
  {
    name: 'unbounded loop',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: forever
          kind: loop
          steps: [ ${tool('a')} ]
    `,
    },
    code: 'SPEC_UNBOUNDED_LOOP',
    path: 'steps[0].maxIterations',
    line: 3,
  },
  {
    name: 'maxIterations 0',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: l
          kind: loop
          maxIterations: 0
          steps: [ ${tool('a')} ]
    `,
    },
    code: 'SPEC_OUT_OF_RANGE',
    path: 'steps[0].maxIterations',
    line: 5,
  },
  {
    name: 'duplicate ids at the top level',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a')}
        - ${tool('a')}
    `,
    },
    code: 'SPEC_DUPLICATE_ID',
    path: 'steps[1].id',
    line: 4,
  },
  {
    name: 'duplicate ids across nested blocks',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a')}
        - id: l
          kind: loop
          maxIterations: 2
          steps:
            - ${tool('a')}
    `,
    },
    code: 'SPEC_DUPLICATE_ID',
    path: 'steps[1].steps[0].id',
    line: 8,
  },
  {
    name: 'wrong type: a string where a number belongs',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tool
          tool: t
          timeoutMs: "5000"
    `,
    },
    code: 'SPEC_WRONG_TYPE',
    path: 'steps[0].timeoutMs',
    line: 6,
  },
  {
    name: 'wrong type: a number where a string belongs',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tool
          tool: 42
    `,
    },
    code: 'SPEC_WRONG_TYPE',
    path: 'steps[0].tool',
    line: 5,
  },
  {
    name: 'wrong type: an object where a list belongs',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        a: { kind: tool, tool: t }
    `,
    },
    code: 'SPEC_WRONG_TYPE',
    path: 'steps',
    line: 2,
  },
  {
    name: 'missing tool name',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tool
    `,
    },
    code: 'SPEC_MISSING_FIELD',
    path: 'steps[0].tool',
    line: 3,
  },
  {
    name: 'missing steps',
    files: {
      'main.yaml': yaml`
      name: w
      description: nothing to do
    `,
    },
    code: 'SPEC_MISSING_FIELD',
    path: 'steps',
    line: 1,
  },
  {
    name: 'empty steps',
    files: {
      'main.yaml': yaml`
      name: w
      steps: []
    `,
    },
    code: 'SPEC_OUT_OF_RANGE',
    path: 'steps',
    line: 2,
  },
  {
    name: 'unknown field with a typo',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tool
          tool: t
          retyr: { maxAttempts: 3 }
    `,
    },
    code: 'SPEC_UNKNOWN_FIELD',
    path: 'steps[0].retyr',
    line: 6,
    mentions: 'did you mean "retry"',
  },
  {
    name: 'bad step id pattern',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: 1st step
          kind: tool
          tool: t
    `,
    },
    code: 'SPEC_BAD_ID',
    path: 'steps[0].id',
    line: 3,
  },
  {
    name: 'JSONata syntax error',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a')}
        - id: b
          kind: branch
          cases:
            - when: "steps.a.output.score > (0.5"
              steps: [ ${tool('c')} ]
    `,
    },
    code: 'SPEC_EXPRESSION_SYNTAX',
    path: 'steps[1].cases[0].when',
    line: 7,
    mentions: 'at character',
  },
  {
    name: '$now() in a condition',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: b
          kind: branch
          cases:
            - when: "$now() > '2030'"
              steps: [ ${tool('c')} ]
    `,
    },
    code: 'SPEC_NONDETERMINISTIC_EXPRESSION',
    path: 'steps[0].cases[0].when',
    line: 6,
    mentions: '$now',
  },
  {
    name: '$.item outside a map body',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a', 'input: { x: $.item }')}
    `,
    },
    code: 'SPEC_REFERENCE_OUT_OF_SCOPE',
    path: 'steps[0].input.x',
    line: 3,
  },
  {
    name: '$.previous outside a loop body',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: each
          kind: map
          items: $.input.list
          steps:
            - ${tool('a', 'input: { last: $.previous }')}
    `,
    },
    code: 'SPEC_REFERENCE_OUT_OF_SCOPE',
    path: 'steps[0].steps[0].input.last',
    line: 7,
    mentions: 'loop',
  },
  {
    name: '`after` naming an unknown step',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a')}
        - ${tool('b', 'after: [c]')}
    `,
    },
    code: 'SPEC_UNKNOWN_STEP',
    path: 'steps[1].after[0]',
    line: 4,
  },
  {
    name: '`after` naming a step that is not a sibling',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a')}
        - id: l
          kind: loop
          maxIterations: 2
          steps:
            - ${tool('b', 'after: [a]')}
    `,
    },
    code: 'SPEC_AFTER_NOT_SIBLING',
    path: 'steps[1].steps[0].after[0]',
    line: 8,
  },
  {
    name: 'prompt path escaping the root',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: agent
          prompt: ../../etc/passwd
    `,
    },
    code: 'SPEC_PATH_ESCAPES_ROOT',
    path: 'steps[0].prompt',
    line: 5,
  },
  {
    name: 'missing prompt file',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: agent
          prompt: prompts/missing.md
    `,
    },
    code: 'SPEC_PROMPT_NOT_FOUND',
    path: 'steps[0].prompt',
    line: 5,
  },
  {
    name: 'sub-workflow file missing',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: child
          kind: workflow
          workflow: ./children/missing.yaml
    `,
    },
    code: 'SPEC_FILE_NOT_FOUND',
    path: 'steps[0].workflow',
    line: 5,
  },
  {
    name: 'sub-workflow files including each other',
    files: {
      'main.yaml': yaml`
        name: main
        steps:
          - { id: call, kind: workflow, workflow: ./b.yaml }
      `,
      'b.yaml': yaml`
        name: b
        steps:
          - ${tool('first')}
          - { id: back, kind: workflow, workflow: ./main.yaml }
      `,
    },
    code: 'SPEC_WORKFLOW_CYCLE',
    path: 'steps[1].workflow',
    line: 4,
    file: 'b.yaml',
    mentions: 'main.yaml -> ',
  },
  {
    name: 'input schema of the wrong type',
    files: {
      'main.yaml': yaml`
      name: w
      input:
        schema: string
      steps: [ ${tool('a')} ]
    `,
    },
    code: 'SPEC_WRONG_TYPE',
    path: 'input.schema',
    line: 3,
  },
  {
    name: 'input schema with a misspelt type',
    files: {
      'main.yaml': yaml`
      name: w
      input:
        schema:
          type: object
          properties:
            name: { type: strng }
      steps: [ ${tool('a')} ]
    `,
    },
    code: 'SPEC_BAD_JSON_SCHEMA',
    path: 'input.schema.properties.name.type',
    line: 6,
    mentions: 'did you mean "string"',
  },
  {
    name: 'input without its schema',
    files: {
      'main.yaml': yaml`
      name: w
      input: {}
      steps: [ ${tool('a')} ]
    `,
    },
    code: 'SPEC_MISSING_FIELD',
    path: 'input.schema',
    line: 2,
  },
  {
    name: 'negative timeoutMs',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a', 'timeoutMs: -5')}
    `,
    },
    code: 'SPEC_OUT_OF_RANGE',
    path: 'steps[0].timeoutMs',
    line: 3,
  },
  {
    name: 'concurrency 0',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: each
          kind: map
          items: $.input.list
          concurrency: 0
          steps: [ ${tool('a')} ]
    `,
    },
    code: 'SPEC_OUT_OF_RANGE',
    path: 'steps[0].concurrency',
    line: 6,
  },
  {
    name: 'onError with an unknown value',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tool
          tool: t
          onError: retry
    `,
    },
    code: 'SPEC_INVALID_VALUE',
    path: 'steps[0].onError',
    line: 6,
    mentions: '',
  },
  {
    name: 'workflow step naming a workflow that is not bundled',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - { id: call, kind: workflow, workflow: chargeOrder }
    `,
    },
    code: 'SPEC_UNKNOWN_WORKFLOW',
    path: 'steps[0].workflow',
    line: 3,
  },
  {
    name: 'two different sub-workflow files with the same name',
    files: {
      'main.yaml': yaml`
        name: main
        steps:
          - { id: one, kind: workflow, workflow: ./a/child.yaml }
          - { id: two, kind: workflow, workflow: ./b/child.yaml }
      `,
      'a/child.yaml': `name: child\nsteps: [ ${tool('x')} ]\n`,
      'b/child.yaml': `name: child\nsteps: [ ${tool('y')} ]\n`,
    },
    code: 'SPEC_WORKFLOW_NAME_CONFLICT',
    path: 'steps[1].workflow',
    line: 4,
  },
  {
    name: 'sub-workflow file of an unsupported type',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - { id: call, kind: workflow, workflow: ./child.txt }
    `,
      'child.txt': 'name: child',
    },
    code: 'SPEC_FILE_TYPE',
    path: 'steps[0].workflow',
    line: 3,
  },
  {
    name: 'template object mixing $literal with other keys',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a', 'input: { x: { $literal: "$.input", y: 1 } }')}
    `,
    },
    code: 'SPEC_BAD_TEMPLATE',
    path: 'steps[0].input.x',
    line: 3,
  },
  {
    name: 'expression reading a misspelt context root',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - ${tool('a')}
        - ${tool('b', 'input: { $expr: "stpes.a.output" }')}
    `,
    },
    code: 'SPEC_BAD_REFERENCE',
    path: 'steps[1].input.$expr',
    line: 4,
    mentions: 'did you mean "steps"',
  },
  {
    name: 'reference to an onError fallback step',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: a
          kind: tool
          tool: t
          onError: { fallback: ${tool('backup')} }
        - ${tool('b', 'input: $.steps.backup.output')}
    `,
    },
    code: 'SPEC_REFERENCE_NOT_UPSTREAM',
    path: 'steps[1].input',
    line: 7,
    mentions: '$.steps.a.output',
  },
  {
    name: 'a document that is a list, not a mapping',
    files: {
      'main.yaml': yaml`
      - name: w
    `,
    },
    code: 'SPEC_WRONG_TYPE',
    path: '',
    line: 1,
  },
  {
    name: 'YAML alias without an anchor',
    files: {
      'main.yaml': yaml`
      name: w
      steps: *common
    `,
    },
    code: 'SPEC_YAML_SYNTAX',
    path: '',
    line: 2,
  },
  {
    name: 'parallel branch with a bad name',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - id: p
          kind: parallel
          branches:
            1st: { steps: [ ${tool('a')} ] }
    `,
    },
    code: 'SPEC_BAD_ID',
    path: 'steps[0].branches["1st"]',
    line: 6,
  },
  {
    name: 'agent temperature out of range',
    files: {
      'main.yaml': yaml`
      name: w
      steps:
        - { id: a, kind: agent, prompt: p.md, temperature: 3 }
    `,
      'p.md': 'hi',
    },
    code: 'SPEC_OUT_OF_RANGE',
    path: 'steps[0].temperature',
    line: 3,
  },
  {
    name: 'bundled workflows calling each other',
    files: {
      'main.yaml': yaml`
      name: main
      steps:
        - { id: go, kind: workflow, workflow: ping }
      workflows:
        ping:
          name: ping
          steps: [ { id: p, kind: workflow, workflow: pong } ]
        pong:
          name: pong
          steps: [ { id: q, kind: workflow, workflow: ping } ]
    `,
    },
    code: 'SPEC_WORKFLOW_CYCLE',
    path: 'workflows.ping.steps[0].workflow',
    line: 7,
    mentions: 'ping -> pong -> ping',
  },
  {
    name: 'missing prompt in a sub-workflow, reported in the child file',
    files: {
      'main.yaml': yaml`
        name: main
        steps:
          - { id: call, kind: workflow, workflow: ./sub/child.yaml }
      `,
      'sub/child.yaml': yaml`
        name: child
        steps:
          - id: ask
            kind: agent
            prompt: prompts/nope.md
      `,
    },
    code: 'SPEC_PROMPT_NOT_FOUND',
    path: 'steps[0].prompt',
    line: 5,
    file: 'sub/child.yaml',
  },
];

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function loadRow(row: Row): Promise<{ issues: SpecIssue[]; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'switchyard-bad-spec-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(row.files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  try {
    await loadWorkflowFile(path.join(dir, 'main.yaml'));
  } catch (error) {
    if (error instanceof SpecValidationError) return { issues: error.issues, dir };
    throw error;
  }
  throw new Error(`${row.name}: the spec loaded without errors`);
}

describe('a malformed workflow file is rejected with a specific issue', () => {
  it('covers at least 30 distinct mistakes', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  for (const row of rows) {
    it(`${row.name} → ${row.code} at ${row.path || '(document)'}`, async () => {
      const { issues, dir } = await loadRow(row);
      expect(issues.map((i) => i.code)).toEqual(row.codes ?? [row.code]);
      const issue = issues.find((i) => i.code === row.code) as SpecIssue;
      expect(issue.path).toBe(row.path);
      expect(issue.message.length).toBeGreaterThan(0);
      expect(path.resolve(issue.file ?? '')).toBe(path.join(dir, row.file ?? 'main.yaml'));
      if (row.line !== undefined) expect(issue.line).toBe(row.line);
      if (row.mentions) expect(`${issue.message} ${issue.hint ?? ''}`).toContain(row.mentions);
    });
  }
});

describe('the CLI on a malformed workflow file', () => {
  const run = promisify(execFile);
  it('exits 2 and prints error[CODE] lines with file:line, never a stack trace, for every row', async () => {
    const failures: string[] = [];
    const queue = [...rows];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let row = queue.shift(); row; row = queue.shift()) {
          const { dir } = await loadRow(row);
          const result = await run(
            process.execPath,
            [cliPath, 'validate', path.join(dir, 'main.yaml')],
            {
              env: { ...process.env, NO_COLOR: '1' },
            },
          ).then(
            () => ({ code: 0, stderr: '' }),
            (error: unknown) => ({
              code: (error as { code: number }).code,
              stderr: (error as { stderr: string }).stderr,
            }),
          );
          const problems = [
            result.code === 2 ? '' : `exit ${result.code}`,
            result.stderr.includes(`[${row.code}]`) ? '' : `no [${row.code}]`,
            result.stderr.startsWith('error[SPEC_INVALID]: ') ? '' : 'no error[SPEC_INVALID] line',
            /\n\s+at .+:\d+:\d+/.test(result.stderr) ? 'a stack trace' : '',
          ].filter(Boolean);
          if (problems.length)
            failures.push(`${row.name}: ${problems.join(', ')}\n${result.stderr}`);
        }
      }),
    );
    expect(failures).toEqual([]);
  }, 120_000);
});
