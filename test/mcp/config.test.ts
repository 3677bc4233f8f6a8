// mcpServers in switchyard.config.yaml: every mistake is a typed error naming the field, and the
// CLI reports it as `error[CODE]` without a stack trace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryJournalStore } from '../../src/journal/memory-store.js';
import { loadDataConfig } from '../../src/runtime/config.js';
import { connectMcpServers } from '../../src/runtime/mcp.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { startServer } from '../../src/server/index.js';
import { cli } from '../support/cli.js';
import { configOf, ROOT } from './support.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'switchyard-mcp-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configFile(text: string): string {
  const file = path.join(dir, 'switchyard.config.yaml');
  writeFileSync(file, text);
  return file;
}

function configError(text: string): unknown {
  try {
    loadDataConfig(configFile(text), dir);
  } catch (error) {
    return error;
  }
  throw new Error('expected the config to be refused');
}

describe('mcpServers config', () => {
  it('accepts a stdio server and an http server, the transport following from command or url', () => {
    const loaded = loadDataConfig(
      configFile(`
mcpServers:
  fs: { command: npx, args: [-y, some-server], env: { TOKEN: '\${TOKEN}' } }
  remote: { url: 'https://mcp.example.com/mcp', headers: { authorization: 'Bearer \${KEY}' } }
`),
      dir,
    );
    expect(Object.keys(loaded.config.mcpServers ?? {})).toEqual(['fs', 'remote']);
  });

  it('an unknown transport names the field and the transports there are', () => {
    expect(
      configError('mcpServers: { x: { transport: websocket, url: "http://a" } }'),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'mcpServers.x.transport',
      message: expect.stringContaining(
        'unknown transport "websocket" (expected stdio | http)',
      ) as unknown,
    });
  });

  it('a stdio server without a command is refused at mcpServers.<name>.command', () => {
    expect(configError('mcpServers: { x: { transport: stdio, args: [a] } }')).toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'mcpServers.x.command',
      message: expect.stringContaining(
        'a stdio server needs the command that starts it',
      ) as unknown,
    });
    expect(configError('mcpServers: { x: { args: [a] } }')).toMatchObject({
      path: 'mcpServers.x.command',
      message: expect.stringContaining('expected command') as unknown,
    });
  });

  it('fields of the other transport and unknown fields are refused', () => {
    expect(configError('mcpServers: { x: { url: "http://a", command: node } }')).toMatchObject({
      path: 'mcpServers.x.command',
      message: expect.stringContaining('command is for stdio servers') as unknown,
    });
    expect(configError('mcpServers: { x: { command: node, comand: node } }')).toMatchObject({
      message: expect.stringContaining('unknown field(s) comand') as unknown,
    });
  });

  it('a server name with a dot is refused: tools are named <server>.<tool>', () => {
    expect(configError('mcpServers: { "a.b": { command: node } }')).toMatchObject({
      code: 'CONFIG_INVALID',
      path: 'mcpServers.a.b',
      message: expect.stringContaining('may hold only letters, digits, _ and -') as unknown,
    });
  });

  it('a ${VAR} in env that is not set is MCP_ENV_MISSING naming the field', async () => {
    const runtime = new Runtime({ store: new MemoryJournalStore() });
    await expect(
      connectMcpServers(
        runtime,
        configOf({ fx: { command: process.execPath, env: { API_KEY: '${NOT_SET_ANYWHERE}' } } }),
        { env: {} },
      ),
    ).rejects.toMatchObject({
      code: 'MCP_ENV_MISSING',
      path: 'mcpServers.fx.env.API_KEY',
      value: 'NOT_SET_ANYWHERE',
    });
  });
});

describe('MCP servers in the CLI and serve', () => {
  it('the CLI reports a server that cannot start as error[MCP_CONNECT_FAILED], no stack trace', () => {
    const config = configFile(
      `mcpServers:\n  broken: { command: ${JSON.stringify(process.execPath)}, args: [-e, 'process.exit(3)'] }\n`,
    );
    writeFileSync(
      path.join(dir, 'w.yaml'),
      'name: w\nsteps: [{ id: a, kind: tool, tool: broken.x, input: {} }]\n',
    );
    const result = cli(['run', 'w.yaml', '--config', config, '--store', 'memory:'], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      "error[MCP_CONNECT_FAILED]: MCP server 'broken': cannot connect",
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('switchyard mcp --http refuses to start without a token, naming itself', () => {
    const result = cli(['mcp', '--http', '0', '--store', 'memory:'], {
      cwd: dir,
      env: { SWITCHYARD_TOKEN: '' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'error[SERVER_TOKEN_MISSING]: switchyard mcp --http needs a bearer token',
    );
  });

  it('serve registers the MCP servers of its config beside the function tools', async () => {
    const server = await startServer({
      cwd: dir,
      configFile: path.join(ROOT, 'test/mcp/fixtures/project/switchyard.config.yaml'),
      store: 'memory:',
      port: 0,
      env: { SWITCHYARD_TOKEN: 'test-token-0123456789abcdef', SWITCHYARD_LOG_LEVEL: 'silent' },
    });
    try {
      expect(server.runtime.tools.names()).toEqual(
        expect.arrayContaining(['everything.echo', 'shout', 'slow']),
      );
    } finally {
      await server.close();
    }
  });
});
