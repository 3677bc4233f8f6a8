import path from 'node:path';
import { parsePromptFile } from '../core/prompt-file.js';
import type { StepSpec, WorkflowSpec } from '../core/spec.js';
import {
  formatPath,
  parsePath,
  type PathSegment,
  type SpecIssue,
  type SpecIssueCode,
} from '../graph/issues.js';
import { validateWorkflow } from '../graph/validate.js';
import { forEachStep } from '../graph/walk.js';
import { SpecValidationError } from './errors.js';
import {
  displayPath,
  isInside,
  isReallyInside,
  realPathOr,
  readSpecFile,
  rootKey,
  SPEC_EXTENSIONS,
} from './files.js';
import {
  inDocumentOrder,
  parseStructure,
  placeIssues,
  specHash,
  type SpecSource,
} from './parse.js';
import { parseYamlText } from './yaml-document.js';

export interface LoadedWorkflow {
  /** The canonical spec, sub-workflows bundled under `workflows`, prompt paths root-relative. */
  spec: WorkflowSpec;
  specHash: string;
  /** Absolute path of the top-level spec file. */
  file: string;
  /** Absolute path of the directory prompts must stay inside. */
  root: string;
  /** Prompt file contents keyed by their root-relative POSIX path (the agent steps' `prompt`). */
  prompts: Record<string, string>;
}

export interface LoadOptions {
  /**
   * Directory that prompt and sub-workflow files must stay inside; default: the spec file's
   * directory.
   */
  root?: string;
}

/**
 * Loads a workflow from a YAML (`.yaml`, `.yml`) or JSON file: parses it with positions, bundles
 * the sub-workflow files its `workflow` steps name (flattened into one `workflows` map, keyed by
 * name), reads its prompt files, and validates the result. Throws a SpecValidationError listing
 * every problem found, each with file:line:column where it has one.
 */
export async function loadWorkflowFile(
  file: string,
  options: LoadOptions = {},
): Promise<LoadedWorkflow> {
  // Real paths throughout: the root check then sees where a symlink points before anything is read,
  // and the file cache and cycle detection cannot be fooled by loops of symlinked directories.
  const top = await realPathOr(path.resolve(file));
  const root = await realPathOr(path.resolve(options.root ?? path.dirname(top)));
  const loader = new Loader(root);
  const loaded = await loader.loadTop(top);
  if (!loaded) throw new SpecValidationError(inDocumentOrder(loader.issues));
  const spec = loaded.spec;
  if (loader.bundle.size > 0) {
    spec.workflows = Object.fromEntries(
      [...loader.bundle].map(([name, entry]) => [name, entry.spec]),
    );
  } else {
    delete spec.workflows;
  }
  loader.issues.push(...loader.placeValidation(validateWorkflow(spec), loaded.source));
  if (loader.issues.length > 0) throw new SpecValidationError(inDocumentOrder(loader.issues));
  const prompts = Object.fromEntries(
    [...loader.prompts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return { spec, specHash: specHash(spec), file: top, root, prompts };
}

interface LoadedFile {
  spec: WorkflowSpec;
  file: string;
  source: SpecSource;
}

interface BundleEntry {
  spec: WorkflowSpec;
  /**
   * The file the workflow was written in, and where in that file (a path prefix for inline
   * entries).
   */
  source: SpecSource;
  prefix: PathSegment[];
  file: string;
}

type Failure = { code: SpecIssueCode; reason: string };

class Loader {
  readonly issues: SpecIssue[] = [];
  readonly bundle = new Map<string, BundleEntry>();
  readonly prompts = new Map<string, string>();
  private readonly loaded = new Map<string, LoadedFile | Failure | undefined>();
  /**
   * References that could not be resolved, as `display\0path`, so validation does not report them
   * twice.
   */
  private readonly failedReferences = new Set<string>();
  private topName: string | undefined;

  constructor(private readonly root: string) {}

  /** A file as messages name it: relative to the root when inside it, which is short and stable. */
  private shown(file: string): string {
    return isInside(this.root, file) ? rootKey(this.root, file) : displayPath(file);
  }

  async loadTop(file: string): Promise<LoadedFile | undefined> {
    const result = await this.loadFile(file, []);
    if (result === undefined || 'spec' in result) return result;
    this.issues.push({
      code: result.code,
      message: `cannot read the workflow file: ${result.reason}`,
      path: '',
      file: displayPath(file),
    });
    return undefined;
  }

  /**
   * Validator issues on the bundled spec, moved to the file (and path in it) each workflow came
   * from.
   */
  placeValidation(issues: SpecIssue[], topSource: SpecSource): SpecIssue[] {
    const placed: SpecIssue[] = [];
    for (const issue of issues) {
      const segments = parsePath(issue.path);
      const entry = segments[0] === 'workflows' ? this.bundle.get(String(segments[1])) : undefined;
      const source = entry?.source ?? topSource;
      const local = entry ? [...entry.prefix, ...segments.slice(2)] : segments;
      if (this.failedReferences.has(`${source.file ?? ''}\u0000${formatPath(local)}`)) continue;
      placed.push(...placeIssues([{ ...issue, path: formatPath(local) }], source));
    }
    return placed;
  }

  private async loadFile(file: string, chain: string[]): Promise<LoadedFile | Failure | undefined> {
    if (this.loaded.has(file)) return this.loaded.get(file);
    const result = await this.readAndParse(file, chain);
    this.loaded.set(file, result);
    return result;
  }

  private async readAndParse(
    file: string,
    chain: string[],
  ): Promise<LoadedFile | Failure | undefined> {
    if (!SPEC_EXTENSIONS.includes(path.extname(file).toLowerCase())) {
      return { code: 'SPEC_FILE_TYPE', reason: `expected a ${SPEC_EXTENSIONS.join(', ')} file` };
    }
    const read = await readSpecFile(file, 'SPEC_FILE_NOT_FOUND');
    if (!read.ok) return read;
    const display = displayPath(file);
    const document = parseYamlText(read.text, display);
    if (!document.ok) {
      this.issues.push(...document.issues);
      return undefined;
    }
    const source: SpecSource = { file: display, locate: document.locate };
    const structure = parseStructure(document.raw, source);
    if (!structure.ok) {
      this.issues.push(...structure.issues);
      return undefined;
    }
    const spec = structure.spec;
    if (chain.length === 0) this.topName = spec.name;
    const loaded: LoadedFile = { spec, file, source };
    await this.resolveSteps(spec.steps, [], loaded, [...chain, file]);
    for (const [name, inline] of Object.entries(spec.workflows ?? {})) {
      const prefix: PathSegment[] = ['workflows', name];
      await this.resolveSteps(inline.steps, prefix, loaded, [...chain, file]);
      this.addToBundle(name, { spec: inline, source, prefix, file }, loaded, prefix);
    }
    delete spec.workflows;
    return loaded;
  }

  /** Reads the prompts and loads the sub-workflow files the steps name, rewriting both fields. */
  private async resolveSteps(
    steps: StepSpec[],
    prefix: PathSegment[],
    owner: LoadedFile,
    chain: string[],
  ): Promise<void> {
    const found: Array<{ step: StepSpec; path: PathSegment[] }> = [];
    forEachStep(steps, prefix, (step, at) => found.push({ step, path: at }));
    for (const { step, path: at } of found) {
      if (
        step.kind === 'agent' ||
        step.kind === 'vote' ||
        step.kind === 'cascade' ||
        step.kind === 'consortium'
      )
        await this.resolvePrompt(step, at, owner);
      if (step.kind === 'workflow' && looksLikeFile(step.workflow))
        await this.resolveChild(step, at, owner, chain);
    }
  }

  private async resolvePrompt(
    step: StepSpec & { kind: 'agent' | 'vote' | 'cascade' | 'consortium' },
    at: PathSegment[],
    owner: LoadedFile,
  ): Promise<void> {
    const where = [...at, 'prompt'];
    const file = await realPathOr(path.resolve(path.dirname(owner.file), step.prompt));
    const escapes = (): void =>
      this.fail(
        owner,
        where,
        'SPEC_PATH_ESCAPES_ROOT',
        'prompt file is outside the spec root',
        step.prompt,
        {
          expected: `a path inside ${displayPath(this.root)}`,
          hint:
            'prompt paths are relative to the spec file; keep prompts below the workflow, ' +
            'or pass a wider root',
        },
      );
    if (!isInside(this.root, file)) return escapes();
    const read = await readSpecFile(file, 'SPEC_PROMPT_NOT_FOUND');
    if (!read.ok) {
      return this.fail(
        owner,
        where,
        read.code,
        `cannot read prompt file ${this.shown(file)}: ${read.reason}`,
        step.prompt,
        {
          expected: 'a path, relative to the spec file, of an existing prompt file',
        },
      );
    }
    // A symlink inside the root may point anywhere; what counts is where the bytes come from.
    if (!(await isReallyInside(this.root, file))) return escapes();
    const front = parsePromptFile(read.text);
    if (!front.ok)
      return this.fail(
        owner,
        where,
        'SPEC_PROMPT_FRONT_MATTER',
        `${this.shown(file)}:${front.line}: ${front.message}`,
        step.prompt,
        {
          expected:
            'YAML between --- lines at the top of the prompt file, with version, description, model or output.schema',
        },
      );
    const key = rootKey(this.root, file);
    this.prompts.set(key, read.text);
    step.prompt = key;
  }

  private async resolveChild(
    step: StepSpec & { kind: 'workflow' },
    at: PathSegment[],
    owner: LoadedFile,
    chain: string[],
  ): Promise<void> {
    const where = [...at, 'workflow'];
    const file = await realPathOr(path.resolve(path.dirname(owner.file), step.workflow));
    if (chain.includes(file)) {
      const cycle = [...chain.slice(chain.indexOf(file)), file].map((f) => this.shown(f));
      return this.fail(
        owner,
        where,
        'SPEC_WORKFLOW_CYCLE',
        `sub-workflow files include each other: ${cycle.join(' -> ')}`,
        step.workflow,
        {
          expected: 'a sub-workflow that does not include, directly or indirectly, its includer',
          hint: 'use a loop step for repetition',
        },
      );
    }
    if (!isInside(this.root, file)) {
      return this.fail(
        owner,
        where,
        'SPEC_PATH_ESCAPES_ROOT',
        'sub-workflow file is outside the spec root',
        step.workflow,
        {
          expected: `a path inside ${displayPath(this.root)}`,
        },
      );
    }
    const child = await this.loadFile(file, chain);
    if (child === undefined) {
      this.failedReferences.add(`${owner.source.file ?? ''}\u0000${formatPath(where)}`);
      return;
    }
    if (!('spec' in child)) {
      return this.fail(
        owner,
        where,
        child.code,
        `cannot read sub-workflow file ${this.shown(file)}: ${child.reason}`,
        step.workflow,
        {
          expected: 'a path, relative to this file, of a workflow file',
        },
      );
    }
    if (!(await isReallyInside(this.root, file))) {
      return this.fail(
        owner,
        where,
        'SPEC_PATH_ESCAPES_ROOT',
        'sub-workflow file is outside the spec root',
        step.workflow,
        {
          expected: `a path inside ${displayPath(this.root)}`,
        },
      );
    }
    this.addToBundle(
      child.spec.name,
      { spec: child.spec, source: child.source, prefix: [], file },
      owner,
      where,
    );
    step.workflow = child.spec.name;
  }

  private addToBundle(
    name: string,
    entry: BundleEntry,
    owner: LoadedFile,
    where: PathSegment[],
  ): void {
    const existing = this.bundle.get(name);
    if (existing?.file === entry.file && formatPath(existing.prefix) === formatPath(entry.prefix))
      return;
    const inline = existing?.prefix.length ? ` (${formatPath(existing.prefix)})` : '';
    const clash = existing
      ? `${this.shown(existing.file)}${inline}`
      : name === this.topName
        ? 'the top-level workflow'
        : undefined;
    if (clash !== undefined) {
      this.fail(
        owner,
        where,
        'SPEC_WORKFLOW_NAME_CONFLICT',
        `another workflow is already named "${name}": ${clash}`,
        name,
        {
          expected: 'a name no other bundled workflow uses',
          hint: 'rename one of the workflows (its `name` field)',
        },
      );
      return;
    }
    this.bundle.set(name, entry);
  }

  private fail(
    owner: LoadedFile,
    at: PathSegment[],
    code: SpecIssueCode,
    message: string,
    value: unknown,
    extra: { expected?: string; hint?: string },
  ): void {
    const issue: SpecIssue = { code, message, path: formatPath(at), value, ...extra };
    this.issues.push(...placeIssues([issue], owner.source));
    this.failedReferences.add(`${owner.source.file ?? ''}\u0000${formatPath(at)}`);
  }
}

/**
 * In YAML, a `workflow` value naming a file (a path or a spec extension) rather than a bundled
 * name.
 */
function looksLikeFile(value: string): boolean {
  return /[\\/]/.test(value) || SPEC_EXTENSIONS.some((ext) => value.toLowerCase().endsWith(ext));
}
