import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SwitchyardError } from '../core/errors.js';
import type { ToolDefinition } from '../core/ports.js';
import { ModelRegistry } from '../providers/registry.js';
import { SimulatedModel } from '../providers/simulated.js';

/** switchyard.config.yaml: where the journal lives, which tools exist, which models steps may name. */
const SimulatedModelConfig = z.strictObject({
  provider: z.literal('simulated'),
  seed: z.number().int().optional(),
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: z
    .union([z.number().min(0), z.strictObject({ min: z.number().min(0), max: z.number().min(0) })])
    .optional(),
});

export const ConfigSchema = z.strictObject({
  store: z.string().optional(),
  tools: z
    .union([z.string(), z.array(z.string())], {
      error: 'expected a module path or a list of module paths',
    })
    .optional(),
  models: z.record(z.string(), SimulatedModelConfig).optional(),
});
export type SwitchyardConfig = z.output<typeof ConfigSchema>;

export interface LoadedConfig {
  file: string | undefined;
  dir: string;
  config: SwitchyardConfig;
}

const NAMES = ['switchyard.config.yaml', 'switchyard.config.yml', 'switchyard.config.json'];

export class ConfigError extends SwitchyardError {
  constructor(file: string, message: string, details: { path?: string; hint?: string } = {}) {
    super('CONFIG_INVALID', message, { file, ...details });
  }
}

function configIn(dir: string): string | undefined {
  for (const name of NAMES) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Looks for a config next to the spec, then in its parents up to the working directory, then in
 * the working directory itself (a spec outside it still gets the project's config).
 */
export function findConfig(startDir: string, stopDir: string): string | undefined {
  const stop = path.resolve(stopDir);
  const inside = (dir: string): boolean => dir === stop || dir.startsWith(stop + path.sep);
  for (let dir = path.resolve(startDir); inside(dir); dir = path.dirname(dir)) {
    const found = configIn(dir);
    if (found) return found;
    if (dir === stop) return undefined;
  }
  return configIn(stop);
}

export function loadConfig(file: string | undefined, cwd: string): LoadedConfig {
  if (!file) return { file: undefined, dir: cwd, config: {} };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(file, 'cannot be read', { hint: 'check the --config path' });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(file, `is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.join('.');
      const what =
        issue.code === 'unrecognized_keys'
          ? `unknown field(s) ${issue.keys.join(', ')} (expected store, tools, models)`
          : issue.message;
      return where ? `${where}: ${what}` : what;
    });
    throw new ConfigError(file, problems.join('; '), {
      path: parsed.error.issues[0]?.path.join('.') ?? '',
      hint: 'see the Configuration section of the README',
    });
  }
  return { file, dir: path.dirname(file), config: parsed.data };
}

function isTool(value: unknown): value is ToolDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ToolDefinition).name === 'string' &&
    typeof (value as ToolDefinition).execute === 'function'
  );
}

/** Imports the tool modules a config names (.ts through tsx) and collects every exported tool. */
export async function loadTools(loaded: LoadedConfig): Promise<ToolDefinition[]> {
  const modules = loaded.config.tools === undefined ? [] : [loaded.config.tools].flat();
  const tools: ToolDefinition[] = [];
  for (const relative of modules) {
    const file = path.resolve(loaded.dir, relative);
    if (!existsSync(file)) {
      throw new ConfigError(loaded.file ?? 'config', `tools module ${relative} does not exist`, {
        path: 'tools',
      });
    }
    let namespace: Record<string, unknown>;
    try {
      if (/\.[cm]?tsx?$/.test(file)) {
        const { tsImport } = await import('tsx/esm/api');
        namespace = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<
          string,
          unknown
        >;
      } else {
        namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      }
    } catch (error) {
      throw new ConfigError(
        loaded.file ?? 'config',
        `tools module ${relative} failed to load: ${(error as Error).message}`,
        {
          path: 'tools',
        },
      );
    }
    for (const value of Object.values(namespace)) {
      const candidates = Array.isArray(value)
        ? value
        : isTool(value)
          ? [value]
          : typeof value === 'object' && value
            ? Object.values(value)
            : [];
      for (const candidate of candidates)
        if (isTool(candidate) && !tools.includes(candidate)) tools.push(candidate);
    }
  }
  return tools;
}

export function buildModels(config: SwitchyardConfig, seed: number | undefined): ModelRegistry {
  const registry = new ModelRegistry();
  for (const [name, model] of Object.entries(config.models ?? {})) {
    registry.register(
      name,
      new SimulatedModel({
        name,
        seed: seed ?? model.seed ?? 0,
        ...(model.errorRate === undefined ? {} : { errorRate: model.errorRate }),
        ...(model.latencyMs === undefined ? {} : { latencyMs: model.latencyMs }),
      }),
    );
  }
  if (!registry.get('default'))
    registry.register('default', new SimulatedModel({ name: 'default', seed: seed ?? 0 }));
  return registry;
}
