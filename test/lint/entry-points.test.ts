// Proves the entry-point layer rule in eslint.config.js: the CLI may launch the server through its
// public entry (src/server/index.ts) and reach nothing else of it; the server never imports the CLI.
import path from 'node:path';

import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const cliFixture = 'src/cli/fixture-entry.ts';
const serverFixture = 'src/server/fixture-entry.ts';

// The fixtures are not in tsconfig.check.json; the rule under test is path-based.
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: { ...tseslint.configs.disableTypeChecked, files: [cliFixture, serverFixture] },
});

async function restrictedPaths(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, filePath) });
  if (result === undefined) throw new Error(`ESLint returned no result for ${filePath}`);
  return result.messages
    .filter((message) => message.ruleId === 'import-x/no-restricted-paths')
    .map((message) => message.message);
}

describe('entry points', () => {
  it('lets src/cli/ import the server through src/server/index.ts', async () => {
    const messages = await restrictedPaths(
      "import { startServer } from '../server/index.js';\n\nexport const start = startServer;\n",
      cliFixture,
    );
    expect(messages).toEqual([]);
  });

  it('rejects src/cli/ reaching into the server past its entry', async () => {
    const messages = await restrictedPaths(
      "import { createApp } from '../server/app.js';\n\nexport const app = createApp;\n",
      cliFixture,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/layer rule: cli\/ may import only server\/index\.ts/);
  });

  it('rejects src/server/ importing the CLI', async () => {
    const messages = await restrictedPaths(
      "import { buildProgram } from '../cli/program.js';\n\nexport const program = buildProgram;\n",
      serverFixture,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/layer rule: cli\/ and server\/ are separate entry points/);
  });
});
