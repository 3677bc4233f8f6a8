import type { SwitchyardConfigInput } from './config.js';

/**
 * Types a `switchyard.config.ts`: `export default defineConfig({ ... })` gets completion and checks
 * for every field the YAML form has. It returns its argument; the file is still validated when
 * loaded, with the same errors as YAML. Kept apart from config.ts so importing the public API does
 * not load the providers.
 */
export function defineConfig(config: SwitchyardConfigInput): SwitchyardConfigInput {
  return config;
}
