import type { ModelProvider } from '../core/ports.js';

/** Models by the name steps use (`model: fast`); `default` serves steps that name none. */
export class ModelRegistry {
  private readonly models = new Map<string, ModelProvider>();

  register(name: string, provider: ModelProvider): this {
    this.models.set(name, provider);
    return this;
  }

  get(name: string): ModelProvider | undefined {
    return this.models.get(name);
  }

  names(): string[] {
    return [...this.models.keys()].sort();
  }
}
