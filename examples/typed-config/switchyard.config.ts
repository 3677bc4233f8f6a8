// The config as TypeScript: the fields of switchyard.config.yaml, checked and completed by the
// editor through defineConfig. `switchyard run examples/typed-config/stamp.yaml` finds it by
// walking up from the spec, as it would a YAML one; it is still validated when loaded.
import { defineConfig } from 'switchyard';

export default defineConfig({
  // Relative to this file: the examples' shared tools and this example's own.
  tools: ['../tools.ts', './tools.ts'],
  models: {
    default: { provider: 'simulated', seed: 7 },
  },
});
