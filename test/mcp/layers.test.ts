// The layer rules around MCP (eslint.config.js): the client is an adapter (core/ only), the server
// is an entry point like server/ (the CLI launches it through mcp/index.ts; it reaches the HTTP
// server only through server/index.ts; runtime/ and server/ never import it).
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const fixtures = {
  cli: 'src/cli/fixture-mcp.ts',
  mcp: 'src/mcp/fixture-mcp.ts',
  server: 'src/server/fixture-mcp.ts',
  runtime: 'src/runtime/fixture-mcp.ts',
  adapter: 'src/tools/mcp/fixture-mcp.ts',
};
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: { ...tseslint.configs.disableTypeChecked, files: Object.values(fixtures) },
});

async function restricted(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(repoRoot, filePath) });
  if (result === undefined) throw new Error(`ESLint returned no result for ${filePath}`);
  return result.messages
    .filter((message) => message.ruleId === 'import-x/no-restricted-paths')
    .map((message) => message.message);
}

const importing = (from: string) => `import * as m from '${from}';\n\nexport const x = m;\n`;

describe('MCP layers', () => {
  it('lets the CLI launch the MCP server through mcp/index.ts only', async () => {
    expect(await restricted(importing('../mcp/index.js'), fixtures.cli)).toEqual([]);
    expect(await restricted(importing('../mcp/serve.js'), fixtures.cli)).toEqual([
      expect.stringMatching(/cli\/ may import only mcp\/index\.ts/) as unknown,
    ]);
  });

  it('lets mcp/ reach the HTTP server only through server/index.ts', async () => {
    expect(await restricted(importing('../server/index.js'), fixtures.mcp)).toEqual([]);
    expect(await restricted(importing('../server/supervisor.js'), fixtures.mcp)).toEqual([
      expect.stringMatching(/mcp\/ may import only server\/index\.ts/) as unknown,
    ]);
  });

  it('keeps server/ and runtime/ from importing mcp/', async () => {
    expect(await restricted(importing('../mcp/index.js'), fixtures.server)).toHaveLength(1);
    expect(await restricted(importing('../mcp/index.js'), fixtures.runtime)).toEqual([
      expect.stringMatching(/runtime\/ is the composition root/) as unknown,
    ]);
  });

  it('keeps the MCP client an adapter over core/ only', async () => {
    expect(await restricted(importing('../../core/ports.js'), fixtures.adapter)).toEqual([]);
    expect(await restricted(importing('../../runtime/runtime.js'), fixtures.adapter)).toEqual([
      expect.stringMatching(/adapters implement the ports in core\//) as unknown,
    ]);
  });
});
