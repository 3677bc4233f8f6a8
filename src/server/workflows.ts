import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { JsonValue } from '../core/json.js';
import { ConfigError, type LoadedConfig } from '../runtime/config.js';
import type { RunnableWorkflow } from '../runtime/runtime.js';
import { loadWorkflowFile } from '../spec/index.js';

export interface RegisteredWorkflow extends RunnableWorkflow {
  name: string;
  file: string;
  specHash: string;
  prompts: Record<string, string>;
}

const SPEC_FILE = /\.(ya?ml|json)$/i;
const CONFIG_FILE = /^switchyard\.config\.(ya?ml|json)$/i;

/** The workflows a server runs by name: loaded and validated once, at start. */
export class WorkflowRegistry {
  private readonly byName = new Map<string, RegisteredWorkflow>();

  constructor(workflows: RegisteredWorkflow[] = []) {
    for (const workflow of workflows) this.byName.set(workflow.name, workflow);
  }

  get(name: string): RegisteredWorkflow | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  list(): Array<{ name: string; specHash: string; steps: number; inputSchema?: JsonValue }> {
    return this.names().map((name) => {
      const workflow = this.byName.get(name) as RegisteredWorkflow;
      const schema = workflow.spec.input?.schema;
      return {
        name,
        specHash: workflow.specHash,
        steps: workflow.spec.steps.length,
        ...(schema === undefined ? {} : { inputSchema: schema }),
      };
    });
  }
}

/**
 * Loads `workflows:` from the config: each entry is a workflow file or a directory of them (its
 * .yaml, .yml and .json files, not recursive), relative to the config file. Every file is loaded
 * and validated like `switchyard run` does; a spec problem or two files with the same workflow
 * name stop the server from starting.
 */
export async function loadWorkflows(loaded: LoadedConfig): Promise<WorkflowRegistry> {
  const entries = loaded.config.workflows === undefined ? [] : [loaded.config.workflows].flat();
  const configFile = loaded.file ?? 'config';
  const files: string[] = [];
  for (const entry of entries) {
    const target = path.resolve(loaded.dir, entry);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(target).isDirectory();
    } catch {
      throw new ConfigError(configFile, `workflows entry ${entry} does not exist`, {
        path: 'workflows',
        hint: 'paths are relative to the config file',
      });
    }
    if (!isDirectory) {
      files.push(target);
      continue;
    }
    for (const name of readdirSync(target).sort()) {
      const file = path.join(target, name);
      if (SPEC_FILE.test(name) && !CONFIG_FILE.test(name) && statSync(file).isFile())
        files.push(file);
    }
  }
  const registered: RegisteredWorkflow[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const workflow = await loadWorkflowFile(file);
    const name = workflow.spec.name;
    const first = seen.get(name);
    if (first !== undefined && first !== workflow.file) {
      throw new ConfigError(
        configFile,
        `workflows: two files define the workflow '${name}': ${first} and ${workflow.file}`,
        { path: 'workflows', hint: 'rename one of them (their `name:` field) or list only one' },
      );
    }
    if (first !== undefined) continue;
    seen.set(name, workflow.file);
    registered.push({
      name,
      file: workflow.file,
      spec: workflow.spec,
      specHash: workflow.specHash,
      prompts: workflow.prompts,
    });
  }
  return new WorkflowRegistry(registered);
}
