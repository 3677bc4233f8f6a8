// Proves the lint rules in eslint.config.js bite: the determinism quarantine (ARCHITECTURE.md §2) and the
// layer rule. Fixtures are linted in memory at paths inside src/ that do not exist on disk.
import path from 'node:path';

import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');

const fixturePaths = {
  executorClock: 'src/executor/fixture-clock.ts',
  executorClockTest: 'src/executor/fixture-clock.test.ts',
  graphRandom: 'src/graph/fixture-random.ts',
  coreFs: 'src/core/fixture-fs.ts',
  coreHash: 'src/core/hash.ts',
  runtimeClock: 'src/runtime/fixture-clock.ts',
  journalAdapter: 'src/journal/fixture-adapter.ts',
};

// The fixtures are not in tsconfig.check.json, so type information is switched off for them alone. Every
// rule under test here is syntactic (or path-based), so this changes nothing they report.
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: {
    ...tseslint.configs.disableTypeChecked,
    files: Object.values(fixturePaths),
  },
});

async function lint(code: string, filePath: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, filePath) });
  if (result === undefined) throw new Error(`ESLint returned no result for ${filePath}`);
  const fatal = result.messages.filter((message) => message.fatal === true);
  if (fatal.length > 0) throw new Error(`fixture did not parse: ${JSON.stringify(fatal)}`);
  return result.messages;
}

const ruleAndMessage = (messages: Linter.LintMessage[]): [string | null, string][] =>
  messages.map((message) => [message.ruleId, message.message]);

const clockCode = 'export const now = (): number => Date.now();\n';

describe('determinism rules in the deterministic layers', () => {
  it('rejects Date.now() in src/executor/', async () => {
    const messages = await lint(clockCode, fixturePaths.executorClock);

    expect(ruleAndMessage(messages)).toContainEqual([
      'no-restricted-syntax',
      'deterministic layer: Date.now() reads the wall clock; use the Clock port. (ARCHITECTURE.md §2)',
    ]);
    expect(ruleAndMessage(messages)).toContainEqual([
      'no-restricted-globals',
      "Unexpected use of 'Date'. deterministic layer: `Date` reads the wall clock; use the Clock port. (ARCHITECTURE.md §2)",
    ]);
  });

  it('rejects Math.random() in src/graph/', async () => {
    const messages = await lint(
      'export const pick = (): number => Math.random();\n',
      fixturePaths.graphRandom,
    );

    expect(ruleAndMessage(messages)).toEqual([
      [
        'no-restricted-syntax',
        'deterministic layer: Math.random() is unrecorded randomness; use the Rng port. (ARCHITECTURE.md §2)',
      ],
    ]);
  });

  it('rejects a node:fs import in src/core/', async () => {
    const messages = await lint(
      "import { readFileSync } from 'node:fs';\n\nexport const read = (file: string): string => readFileSync(file, 'utf8');\n",
      fixturePaths.coreFs,
    );

    expect(ruleAndMessage(messages)).toEqual([
      [
        'no-restricted-imports',
        "'node:fs' import is restricted from being used by a pattern. deterministic layer: Node built-ins do I/O or read the machine; take clock, randomness, IDs and I/O through the ports in core/ports.ts. (ARCHITECTURE.md §2)",
      ],
    ]);
  });

  it('lets src/core/hash.ts import node:crypto but nothing else from Node', async () => {
    const messages = await lint(
      "import { hash } from 'node:crypto';\nimport { cpus } from 'node:os';\n\nexport const digest = (text: string): string => hash('sha256', text) + String(cpus().length);\n",
      fixturePaths.coreHash,
    );

    expect(messages.map((message) => [message.ruleId, message.line])).toEqual([
      ['no-restricted-imports', 2],
    ]);
  });

  it('exempts unit tests inside a deterministic layer', async () => {
    const messages = await lint(clockCode, fixturePaths.executorClockTest);

    expect(ruleAndMessage(messages)).toEqual([]);
  });
});

describe('determinism rules outside the deterministic layers', () => {
  it('allows Date.now() in src/runtime/, the composition root', async () => {
    const messages = await lint(clockCode, fixturePaths.runtimeClock);

    expect(ruleAndMessage(messages)).toEqual([]);
  });
});

describe('layer rules', () => {
  it('rejects an adapter in src/journal/ importing from src/runtime/', async () => {
    const messages = await lint(
      "import { openRuntime } from '../runtime/fixture-runtime.js';\n\nexport const runtime = openRuntime;\n",
      fixturePaths.journalAdapter,
    );

    expect(ruleAndMessage(messages)).toEqual([
      [
        'import-x/no-restricted-paths',
        'Unexpected path "../runtime/fixture-runtime.js" imported in restricted zone. layer rule: journal/ may import only core/ from src/; adapters implement the ports in core/ and depend on nothing else. (ARCHITECTURE.md §2)',
      ],
    ]);
  });

  it('lets an adapter in src/journal/ import from src/core/', async () => {
    const messages = await lint(
      "import type { JsonValue } from '../core/json.js';\n\nexport const empty: JsonValue = null;\n",
      fixturePaths.journalAdapter,
    );

    expect(ruleAndMessage(messages)).toEqual([]);
  });
});
