import type { JsonValue } from '../core/json.js';
import { parseReference, ReferenceSyntaxError } from '../core/reference.js';
import type { BlockSpec, StepSpec, WorkflowSpec } from '../core/spec.js';
import {
  analyzeExpression,
  ExpressionSyntaxError,
  NONDETERMINISTIC_FUNCTIONS,
} from './expression.js';
import { expressionScope } from './expression-scope.js';
import { formatPath, type PathSegment, type SpecIssue, type SpecIssueCode } from './issues.js';
import { jsonSchemaProblems } from './json-schema-check.js';
import { closest, didYouMean } from './suggest.js';
import { walkTemplate } from './template-walk.js';
import { findCycles } from './cycles.js';
import { validateRoute } from './route.js';
import { validateVote } from './vote.js';
import { validateRouting } from './model-routing.js';
import { allReferences } from './dependencies.js';
import { nestedBlocks, type BlockRole } from './walk.js';

/**
 * Semantic validation of a structurally valid spec (zod has already run): unique ids, references
 * that point upstream and are in scope, expressions that parse and are deterministic, acyclic
 * blocks, and bundled sub-workflows that exist and do not call each other in a cycle. Pure: every
 * problem is returned, in document order, nothing is thrown.
 */
export function validateWorkflow(spec: WorkflowSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const bundle = spec.workflows ?? {};
  new WorkflowChecker(spec, [], bundle, issues).run();
  for (const [name, child] of Object.entries(bundle)) {
    const at: PathSegment[] = ['workflows', name];
    if (child.name !== name) {
      issues.push(
        issue('SPEC_WORKFLOW_NAME_MISMATCH', [...at, 'name'], {
          message: `bundled workflow is filed under "${name}" but is named "${child.name}"`,
          value: child.name,
          expected: `"${name}"`,
        }),
      );
    }
    if (child.workflows !== undefined) {
      issues.push(
        issue('SPEC_NESTED_WORKFLOWS', [...at, 'workflows'], {
          message: 'bundled workflows must all be in the top-level `workflows` map',
          hint: 'move these entries up to the top-level `workflows` map',
        }),
      );
    }
    new WorkflowChecker(child, at, bundle, issues).run();
  }
  checkWorkflowCycles(bundle, issues);
  return issues;
}

interface BlockInfo {
  parent: BlockInfo | undefined;
  /** The container whose body this is; undefined for the workflow's own block. */
  owner: StepInfo | undefined;
  role: BlockRole | 'workflow';
  spec: BlockSpec;
  path: PathSegment[];
  members: StepInfo[];
  inMap: boolean;
  inLoop: boolean;
}

interface StepInfo {
  step: StepSpec;
  path: PathSegment[];
  /** For a fallback: the block of the step it replaces (it stands in that step's place). */
  block: BlockInfo;
  /** For an onError fallback: the step it replaces. */
  replaces: StepInfo | undefined;
  bodies: BlockInfo[];
  fallback: StepInfo | undefined;
  /** Set when an earlier step (in document order) already has this id. */
  duplicateOf: StepInfo | undefined;
}

interface Scope {
  block: BlockInfo;
  /** The step whose field is being checked (absent for block outputs). */
  self: StepInfo | undefined;
}

class WorkflowChecker {
  private readonly byId = new Map<string, StepInfo>();

  constructor(
    private readonly spec: WorkflowSpec,
    private readonly prefix: PathSegment[],
    private readonly bundle: Record<string, WorkflowSpec>,
    private readonly issues: SpecIssue[],
  ) {}

  run(): void {
    const root = this.indexBlock(
      this.spec,
      this.prefix,
      undefined,
      undefined,
      'workflow',
      false,
      false,
    );
    if (this.spec.input !== undefined)
      this.checkSchema(this.spec.input.schema, [...this.prefix, 'input', 'schema']);
    if (this.spec.routing !== undefined)
      this.issues.push(...validateRouting(this.spec.routing, this.prefix));
    this.checkBlock(root);
  }

  /** Checks in document order: each step, then its nested blocks, then its fallback. */
  private checkBlock(block: BlockInfo): void {
    const visit = (info: StepInfo): void => {
      this.checkStep(info);
      for (const body of info.bodies) this.checkBlock(body);
      if (info.fallback) visit(info.fallback);
    };
    block.members.forEach(visit);
    this.checkTemplate(block.spec.output, [...block.path, 'output'], { block, self: undefined });
    this.checkCycles(block);
  }

  private push(code: SpecIssueCode, path: PathSegment[], fields: IssueFields): void {
    this.issues.push(issue(code, path, fields));
  }

  // ---- indexing ---------------------------------------------------------------------------------

  private indexBlock(
    spec: BlockSpec,
    path: PathSegment[],
    parent: BlockInfo | undefined,
    owner: StepInfo | undefined,
    role: BlockInfo['role'],
    inMap: boolean,
    inLoop: boolean,
  ): BlockInfo {
    const block: BlockInfo = { parent, owner, role, spec, path, members: [], inMap, inLoop };
    spec.steps.forEach((step, index) => {
      block.members.push(this.indexStep(step, [...path, 'steps', index], block, undefined));
    });
    return block;
  }

  private indexStep(
    step: StepSpec,
    path: PathSegment[],
    block: BlockInfo,
    replaces: StepInfo | undefined,
  ): StepInfo {
    const info: StepInfo = {
      step,
      path,
      block,
      replaces,
      bodies: [],
      fallback: undefined,
      duplicateOf: undefined,
    };
    const first = this.byId.get(step.id);
    if (first) info.duplicateOf = first;
    else this.byId.set(step.id, info);
    for (const nested of nestedBlocks(step, path)) {
      const body = this.indexBlock(
        nested.block,
        nested.path,
        block,
        info,
        nested.role,
        block.inMap || step.kind === 'map',
        block.inLoop || step.kind === 'loop',
      );
      info.bodies.push(body);
    }
    if (typeof step.onError === 'object') {
      info.fallback = this.indexStep(
        step.onError.fallback,
        [...path, 'onError', 'fallback'],
        block,
        info,
      );
    }
    return info;
  }

  // ---- per-step checks --------------------------------------------------------------------------

  /** Fields every step kind accepts but only some honour: silently ignoring them would mislead. */
  private checkApplicable({ step, path }: StepInfo): void {
    if (
      step.retry !== undefined &&
      step.kind !== 'tool' &&
      step.kind !== 'agent' &&
      step.kind !== 'workflow' &&
      step.kind !== 'vote'
    ) {
      this.push('SPEC_FIELD_NOT_APPLICABLE', [...path, 'retry'], {
        message: `retry does not apply to a ${step.kind} step`,
        expected: 'retry on tool, agent, vote and workflow steps',
        hint:
          step.kind === 'route'
            ? 'a route reroutes around a failed tool instead of retrying it; maxRetries bounds the failures'
            : step.kind === 'cascade'
              ? "a cascade retries each stage's model by the stage's retries, then its fallbacks"
              : 'put retry on the steps inside it',
      });
    }
    if (
      step.timeoutMs !== undefined &&
      step.kind !== 'tool' &&
      step.kind !== 'agent' &&
      step.kind !== 'route' &&
      step.kind !== 'vote' &&
      step.kind !== 'cascade' &&
      step.kind !== 'consortium'
    ) {
      this.push('SPEC_FIELD_NOT_APPLICABLE', [...path, 'timeoutMs'], {
        message: `timeoutMs does not apply to a ${step.kind} step`,
        expected: 'timeoutMs on tool, agent, route and vote steps (it bounds each call)',
        hint: 'put timeoutMs on the calls inside it',
      });
    }
  }

  private checkStep(info: StepInfo): void {
    const { step, path } = info;
    const own: Scope = { block: info.block, self: info };
    if (info.duplicateOf) {
      this.push('SPEC_DUPLICATE_ID', [...path, 'id'], {
        message: `step id "${step.id}" is already used at ${formatPath(info.duplicateOf.path)}`,
        value: step.id,
        expected:
          'an id used by no other step of this workflow (nested blocks and fallbacks included)',
      });
    }
    this.checkAfter(info);
    this.checkApplicable(info);
    switch (step.kind) {
      case 'tool':
        this.checkTemplate(step.input, [...path, 'input'], own);
        break;
      case 'agent':
        this.checkTemplate(step.input, [...path, 'input'], own);
        if (step.output !== undefined)
          this.checkSchema(step.output.schema, [...path, 'output', 'schema']);
        break;
      case 'workflow':
        this.checkTemplate(step.input, [...path, 'input'], own);
        if (!Object.hasOwn(this.bundle, step.workflow)) {
          this.push('SPEC_UNKNOWN_WORKFLOW', [...path, 'workflow'], {
            message: `no bundled workflow is named "${step.workflow}"${didYouMean(
              step.workflow,
              Object.keys(this.bundle),
            )}`,
            value: step.workflow,
            expected: namesOrNone(Object.keys(this.bundle), 'a bundled workflow (none is bundled)'),
            hint:
              'in YAML write a path to the file (workflow: ./child.yaml); ' +
              'in TypeScript pass the built spec',
          });
        }
        break;
      case 'map':
        this.checkTemplate(step.items, [...path, 'items'], own);
        break;
      case 'route':
        this.checkTemplate(step.input, [...path, 'input'], own);
        this.checkTemplate(step.request, [...path, 'request'], own);
        // Route issues are spec issues with paths into this document (steps[2].graph.edges[0].to).
        this.issues.push(...validateRoute(step, path));
        break;
      case 'vote':
        this.checkTemplate(step.input, [...path, 'input'], own);
        if (step.output !== undefined)
          this.checkSchema(step.output.schema, [...path, 'output', 'schema']);
        // The voting core's own rule check (maxSamples ≥ k, regex, flags), at this step's path.
        this.issues.push(...validateVote(step, path));
        break;
      case 'consortium':
        this.checkTemplate(step.input, [...path, 'input'], own);
        if (step.output !== undefined)
          this.checkSchema(step.output.schema, [...path, 'output', 'schema']);
        if (step.minDrafts > step.drafters.length)
          this.push('SPEC_OUT_OF_RANGE', [...path, 'minDrafts'], {
            message: `minDrafts is ${step.minDrafts} but only ${step.drafters.length} models draft`,
            value: step.minDrafts,
            expected: `at most ${step.drafters.length} (the number of drafters)`,
          });
        break;
      case 'cascade':
        this.checkTemplate(step.input, [...path, 'input'], own);
        if (step.output !== undefined)
          this.checkSchema(step.output.schema, [...path, 'output', 'schema']);
        step.stages.forEach((stage, index) => {
          if (stage.scorer?.kind === 'schema' && step.output === undefined)
            this.push('SPEC_CASCADE_SCORER', [...path, 'stages', index, 'scorer'], {
              message: 'a schema scorer needs the step to declare output.schema',
              expected: 'output: { schema: … } on the cascade step, or another scorer',
            });
        });
        break;
      case 'loop':
        if (step.until !== undefined) {
          const body = info.bodies[0];
          if (body)
            this.checkExpression(step.until, [...path, 'until'], { block: body, self: undefined });
        }
        break;
      case 'branch':
        step.cases.forEach((c, index) =>
          this.checkExpression(c.when, [...path, 'cases', index, 'when'], own),
        );
        break;
      default:
        break;
    }
  }

  private checkAfter(info: StepInfo): void {
    info.step.after.forEach((id, index) => {
      const at = [...info.path, 'after', index];
      const target = this.byId.get(id);
      if (!target) return this.unknownStep(id, at, info.block);
      if (target === info) {
        this.push('SPEC_CYCLE', at, {
          message: `step "${id}" waits for itself`,
          value: id,
          expected: 'another step of the same block',
        });
        return;
      }
      if (target.block === info.block && !target.replaces && !replacedBy(info, target)) return;
      const why = target.replaces
        ? `"${id}" is the onError fallback of "${target.replaces.step.id}", not a step of a block`
        : replacedBy(info, target)
          ? `a fallback runs instead of "${id}", so it cannot wait for it`
          : `"${id}" is at ${formatPath(target.path)}, outside this step's block`;
      this.push('SPEC_AFTER_NOT_SIBLING', at, {
        message: `\`after\` may only name steps of the same block: ${why}`,
        value: id,
        expected: namesOrNone(
          info.block.members.filter((m) => m !== info && m !== info.replaces).map((m) => m.step.id),
          'a step of the same block (this block has no other step)',
        ),
        hint:
          'steps of enclosing blocks have finished before a nested block starts; ' +
          'to wait for a nested step, wait for its container',
      });
    });
  }

  private checkSchema(schema: Record<string, JsonValue>, path: PathSegment[]): void {
    for (const problem of jsonSchemaProblems(schema, path)) {
      this.push('SPEC_BAD_JSON_SCHEMA', problem.path, {
        message: problem.message,
        value: problem.value,
        expected: problem.expected,
      });
    }
  }

  // ---- templates, references, expressions -------------------------------------------------------

  private checkTemplate(template: JsonValue | undefined, at: PathSegment[], scope: Scope): void {
    for (const item of walkTemplate(template, at)) {
      if (item.kind === 'reference') this.checkReference(item.text, item.at, scope);
      else if (item.kind === 'expression') this.checkExpression(item.source, item.at, scope);
      else {
        this.push('SPEC_BAD_TEMPLATE', item.at, {
          message: item.message,
          expected: '{ "$expr": "<JSONata>" } or { "$literal": <value> } with no other keys',
        });
      }
    }
  }

  private checkReference(text: string, at: PathSegment[], scope: Scope): void {
    let reference;
    try {
      reference = parseReference(text);
    } catch (error) {
      if (!(error instanceof ReferenceSyntaxError)) throw error;
      this.push('SPEC_BAD_REFERENCE', at, {
        message: `invalid reference: ${error.reason}`,
        value: text,
        expected:
          '$.input…, $.steps.<id>.output…, $.steps.<id>.error, $.steps.<id>.status, ' +
          '$.item, $.index, $.iteration or $.previous',
        hint: 'to pass a string starting with "$." as data, write { "$literal": "…" }',
      });
      return;
    }
    if (reference.root === 'steps' && reference.stepId !== undefined) {
      this.checkStepReference(reference.stepId, at, scope, text);
    } else {
      this.checkContextRoot(reference.root, at, scope, text);
    }
  }

  private checkExpression(source: string, at: PathSegment[], scope: Scope): void {
    let analysis;
    try {
      analysis = analyzeExpression(source);
    } catch (error) {
      if (!(error instanceof ExpressionSyntaxError)) throw error;
      const where = error.position === undefined ? '' : ` at character ${error.position}`;
      this.push('SPEC_EXPRESSION_SYNTAX', at, {
        message: `JSONata syntax error${where}: ${error.message}`,
        value: source,
        expected: 'a JSONata expression',
      });
      return;
    }
    const { contextReads, variables } = expressionScope(source);
    const banned = new Set(
      [...analysis.functions, ...variables].filter((name) => NONDETERMINISTIC_FUNCTIONS.has(name)),
    );
    for (const name of [...banned].sort()) {
      this.push('SPEC_NONDETERMINISTIC_EXPRESSION', at, {
        message: `$${name} gives a different result on replay, so it is not allowed in a spec`,
        value: source,
        expected: `an expression without ${BANNED_LIST}`,
        hint:
          'pass the value in through the workflow input, ' +
          'or compute it in a tool step (its result is journaled)',
      });
    }
    for (const id of analysis.stepIds) this.checkStepReference(id, at, scope, source);
    const seen = new Set<string>();
    for (const read of contextReads) {
      if (read.name === 'steps' || read.name === 'input' || seen.has(read.name)) continue;
      seen.add(read.name);
      if (CONTEXT_ROOTS.includes(read.name)) {
        this.checkContextRoot(read.name, at, scope, source);
        continue;
      }
      this.push('SPEC_BAD_REFERENCE', at, {
        message: `expression reads "${read.name}", which is not in its context${didYouMean(
          read.name,
          CONTEXT_ROOTS,
        )}`,
        value: source,
        expected: `a path starting with ${CONTEXT_ROOTS.join(', ')}`,
      });
    }
  }

  private checkContextRoot(root: string, at: PathSegment[], scope: Scope, text: string): void {
    if ((root === 'item' || root === 'index') && !scope.block.inMap) {
      this.push('SPEC_REFERENCE_OUT_OF_SCOPE', at, {
        message: `${root} is only defined inside a map body (and in the map's output)`,
        value: text,
        expected: 'a reference that is defined here',
        hint: 'move this step into the body of a map step',
      });
    }
    if ((root === 'iteration' || root === 'previous') && !scope.block.inLoop) {
      this.push('SPEC_REFERENCE_OUT_OF_SCOPE', at, {
        message: `${root} is only defined inside a loop body and its until condition`,
        value: text,
        expected: 'a reference that is defined here',
        hint: 'move this step into the body of a loop step',
      });
    }
  }

  private checkStepReference(id: string, at: PathSegment[], scope: Scope, text: string): void {
    const target = this.byId.get(id);
    if (!target) return this.unknownStep(id, at, scope.block, text);
    const notUpstream = (message: string, hint: string): void =>
      this.push('SPEC_REFERENCE_NOT_UPSTREAM', at, {
        message,
        value: text,
        expected: 'a step that finishes before this one',
        hint,
      });
    for (let self = scope.self; self; self = self.replaces) {
      if (target !== self) continue;
      return scope.self === target
        ? notUpstream(`step "${id}" reads its own result`, 'read the steps it depends on instead')
        : notUpstream(
            `a fallback cannot read "${id}", the step it replaces`,
            "a fallback sees what the step it replaces sees; read that step's inputs instead",
          );
    }
    if (target.replaces) {
      const replaced = rootReplaced(target).step.id;
      return notUpstream(
        `"${id}" is the onError fallback of "${replaced}" and cannot be read directly`,
        `read $.steps.${replaced}.output: it holds the fallback's output when "${replaced}" fails`,
      );
    }
    const chain = ancestry(scope.block);
    const enclosing = chain.map((b) => b.owner).filter((o): o is StepInfo => o !== undefined);
    if (enclosing.includes(target)) {
      return notUpstream(
        `"${id}" encloses this step, and its result exists only after its body has finished`,
        target.step.kind === 'loop'
          ? 'inside a loop, read the previous iteration with $.previous'
          : 'read the steps of the body, or move this step after the container',
      );
    }
    if (chain.includes(target.block)) return;
    let container = target.block.owner as StepInfo;
    while (!chain.includes(container.block)) container = container.block.owner as StepInfo;
    const shown = rootReplaced(container).step.id;
    if (enclosing.includes(container)) {
      const part = container.step.kind === 'parallel' ? 'branch' : 'body';
      return notUpstream(
        `"${id}" is in another ${part} of "${shown}", which runs independently of this one`,
        `move "${id}" before "${shown}", or read $.steps.${shown}.output after "${shown}" ends`,
      );
    }
    notUpstream(
      `"${id}" is inside the body of "${shown}" and is not visible here`,
      `read the container's output instead: $.steps.${shown}.output`,
    );
  }

  private unknownStep(id: string, at: PathSegment[], block: BlockInfo, text: string = id): void {
    const visible = ancestry(block).flatMap((b) => b.members.map((m) => m.step.id));
    // Prefer a visible step; a near-miss elsewhere still helps the author find the typo.
    const suggestion = closest(id, visible) ?? closest(id, this.byId.keys());
    const hint = suggestion === undefined ? '' : ` — did you mean "${suggestion}"?`;
    this.push('SPEC_UNKNOWN_STEP', at, {
      message: `no step is named "${id}"${hint}`,
      value: text,
      expected: namesOrNone(visible),
    });
  }

  // ---- cycles -----------------------------------------------------------------------------------

  private checkCycles(block: BlockInfo): void {
    const ids = block.members.map((m) => m.step.id);
    const edges = new Map<string, string[]>();
    for (const member of block.members) {
      const reads = stepReads(member.step);
      edges.set(
        member.step.id,
        ids.filter((id) => id !== member.step.id && reads.has(id)),
      );
    }
    for (const cycle of findCycles(ids, edges)) {
      const first = block.members.find((m) => m.step.id === cycle[0]);
      if (!first) continue;
      this.push('SPEC_CYCLE', first.path, {
        message: `steps depend on each other in a cycle: ${cycle.join(' -> ')}`,
        value: cycle,
        expected: 'a block whose steps form a DAG',
        hint:
          'a step waits for every step it references and every step in its `after`; ' +
          'remove one of these dependencies',
      });
    }
  }
}

const CONTEXT_ROOTS = ['input', 'steps', 'item', 'index', 'iteration', 'previous'];
const BANNED_LIST = [...NONDETERMINISTIC_FUNCTIONS].map((f) => `$${f}`).join(', ');

function ancestry(block: BlockInfo): BlockInfo[] {
  const chain: BlockInfo[] = [];
  for (let b: BlockInfo | undefined = block; b; b = b.parent) chain.push(b);
  return chain;
}

function rootReplaced(info: StepInfo): StepInfo {
  let current = info;
  while (current.replaces) current = current.replaces;
  return current;
}

function replacedBy(fallback: StepInfo, target: StepInfo): boolean {
  for (let r = fallback.replaces; r; r = r.replaces) if (r === target) return true;
  return false;
}

function namesOrNone(names: string[], none = 'a step visible here (there is none)'): string {
  return names.length === 0 ? none : `one of ${names.join(', ')}`;
}

/** Every step id a step waits for: exactly what the executor schedules by, tolerating bad syntax. */
export function stepReads(step: StepSpec): Set<string> {
  return allReferences(step, { tolerant: true });
}

function checkWorkflowCycles(bundle: Record<string, WorkflowSpec>, issues: SpecIssue[]): void {
  const names = Object.keys(bundle);
  const edges = new Map<string, string[]>();
  const callSites = new Map<string, PathSegment[]>();
  for (const name of names) {
    const calls: string[] = [];
    const visit = (steps: StepSpec[], blockPath: PathSegment[]): void => {
      steps.forEach((step, index) => visitOne(step, [...blockPath, 'steps', index]));
    };
    const visitOne = (step: StepSpec, path: PathSegment[]): void => {
      if (step.kind === 'workflow' && Object.hasOwn(bundle, step.workflow)) {
        if (!calls.includes(step.workflow)) calls.push(step.workflow);
        const key = `${name}\u0000${step.workflow}`;
        if (!callSites.has(key)) callSites.set(key, [...path, 'workflow']);
      }
      for (const nested of nestedBlocks(step, path)) visit(nested.block.steps, nested.path);
      if (typeof step.onError === 'object')
        visitOne(step.onError.fallback, [...path, 'onError', 'fallback']);
    };
    visit((bundle[name] as WorkflowSpec).steps, ['workflows', name]);
    edges.set(name, calls);
  }
  for (const cycle of findCycles(names, edges, true)) {
    const [from, to] = cycle;
    const at = callSites.get(`${from}\u0000${to}`) ?? ['workflows', from as string];
    issues.push(
      issue('SPEC_WORKFLOW_CYCLE', at, {
        message: `workflows call each other in a cycle: ${cycle.join(' -> ')}`,
        value: cycle,
        expected: 'sub-workflows that do not call themselves, directly or indirectly',
        hint: 'use a loop step for repetition',
      }),
    );
  }
}

interface IssueFields {
  message: string;
  value?: unknown;
  expected?: string;
  hint?: string;
}

function issue(code: SpecIssueCode, path: PathSegment[], fields: IssueFields): SpecIssue {
  const out: SpecIssue = { code, message: fields.message, path: formatPath(path) };
  if ('value' in fields) out.value = fields.value;
  if (fields.expected !== undefined) out.expected = fields.expected;
  if (fields.hint !== undefined) out.hint = fields.hint;
  return out;
}
