// Lint rules that hold the architecture together (ARCHITECTURE.md §2): type-checked TypeScript, layers
// whose dependencies point down only, no import cycles, and the determinism quarantine. A violation here
// fails CI (`npm run lint` in .ci/run); test/lint/determinism.test.ts proves the quarantine bites.
import { builtinModules } from 'node:module';
import path from 'node:path';

import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const repoRoot = import.meta.dirname;
const architecture = '(ARCHITECTURE.md §2)';

// ─── Module resolution for import-x (no-cycle, layer rules) ───────────────────────────────────────

/**
 * Resolves a relative specifier by its path alone, so a layer rule still fires when the imported file
 * does not exist yet (half-written tree, or a lintText fixture). Only tried after the real resolver.
 */
const relativePathResolver = {
  interfaceVersion: 3,
  name: 'switchyard:relative-path',
  resolve(modulePath, sourceFile) {
    if (!modulePath.startsWith('./') && !modulePath.startsWith('../')) return { found: false };
    const resolved = path.resolve(path.dirname(sourceFile), modulePath).replace(/\.js$/, '.ts');
    return { found: true, path: resolved };
  },
};

const importSettings = {
  'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
  'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
  'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
  'import-x/resolver-next': [
    // NodeNext sources import `./x.js`, which is `./x.ts` on disk.
    createNodeResolver({
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.node'],
      extensionAlias: { '.js': ['.ts', '.js'] },
    }),
    relativePathResolver,
  ],
};

// ─── Layer rules: dependencies point down only ────────────────────────────────────────────────────

const entryPoints = ['cli', 'server', 'mcp', 'dashboard'];

/** A zone: files in `layer` may import from src/ only what is in `allowed` (plus their own folder). */
function onlyImports(layer, allowed, why) {
  const folders = [layer, ...allowed];
  const allowedText =
    allowed.length === 0 ? 'nothing else' : `only ${allowed.map((name) => `${name}/`).join(', ')}`;
  return {
    target: `src/${layer}`,
    from: 'src',
    except: folders.map((name) => `./${name}`),
    message: `layer rule: ${layer}/ may import ${allowedText} from src/; ${why} ${architecture}`,
  };
}

const layerZones = [
  onlyImports('core', [], 'core/ is the bottom layer: types, schemas, hashing, errors and ports.'),
  onlyImports(
    'graph',
    ['core', 'voting'],
    'graph/ is a pure algorithm layer (it checks vote rules with the voting core).',
  ),
  onlyImports('voting', ['core'], 'voting/ is a pure algorithm layer.'),
  onlyImports('routing', ['core', 'graph'], 'routing/ is a pure algorithm layer over graph/.'),
  onlyImports(
    'executor',
    ['core', 'graph', 'routing', 'voting'],
    'the executor reaches adapters through the ports in core/, wired up by runtime/.',
  ),
  ...['journal', 'providers', 'tools', 'observability'].map((adapter) =>
    onlyImports(
      adapter,
      ['core'],
      'adapters implement the ports in core/ and depend on nothing else.',
    ),
  ),
  onlyImports('spec', ['core', 'graph'], 'the spec loaders and builder sit on core/ and graph/.'),
  {
    target: 'src/runtime',
    from: entryPoints.map((name) => `src/${name}`),
    message: `layer rule: runtime/ is the composition root and may not import the entry points (${entryPoints.map((name) => `${name}/`).join(', ')}) ${architecture}`,
  },
  {
    // `switchyard serve` launches the server: the CLI may import the server's public entry
    // (src/server/index.ts) and nothing else of it; the server never imports the CLI.
    target: 'src/cli',
    from: 'src/server',
    except: ['./index.ts'],
    message: `layer rule: cli/ may import only server/index.ts (to launch it); share code through runtime/ ${architecture}`,
  },
  {
    // `switchyard mcp` launches the MCP server the same way: through src/mcp/index.ts only.
    target: 'src/cli',
    from: 'src/mcp',
    except: ['./index.ts'],
    message: `layer rule: cli/ may import only mcp/index.ts (to launch it) ${architecture}`,
  },
  {
    // The MCP server composes the HTTP server's public parts (supervisor, auth, workflows).
    target: 'src/mcp',
    from: 'src/server',
    except: ['./index.ts'],
    message: `layer rule: mcp/ may import only server/index.ts of the server ${architecture}`,
  },
  {
    target: 'src/mcp',
    from: 'src/cli',
    message: `layer rule: mcp/ never imports cli/ ${architecture}`,
  },
  {
    target: 'src/server',
    from: 'src/mcp',
    message: `layer rule: server/ never imports mcp/; share code through runtime/ ${architecture}`,
  },
  {
    target: 'src/server',
    from: 'src/cli',
    message: `layer rule: cli/ and server/ are separate entry points and may not import each other; share code through runtime/ ${architecture}`,
  },
];

// ─── Determinism quarantine ───────────────────────────────────────────────────────────────────────

const deterministicLayers = ['core', 'graph', 'routing', 'voting', 'executor'];

const deterministic = (problem) => `deterministic layer: ${problem} ${architecture}`;
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** no-restricted-imports options banning every Node built-in (bare and `node:`) except `allowed`. */
function nodeBuiltinsBanned(allowed = []) {
  const bare = builtinModules.filter((name) => !name.startsWith('_')).map(escapeRegExp);
  const notAllowed = allowed.map((name) => `(?!${escapeRegExp(name)}$)`).join('');
  return {
    patterns: [
      {
        regex: `^${notAllowed}(?:node:.+|(?:${bare.join('|')})(?:/.*)?)$`,
        message: deterministic(
          'Node built-ins do I/O or read the machine; take clock, randomness, IDs and I/O through the ports in core/ports.ts.',
        ),
      },
    ],
  };
}

const restrictedGlobals = [
  ['Date', 'reads the wall clock; use the Clock port'],
  ...[
    'setTimeout',
    'setInterval',
    'setImmediate',
    'clearTimeout',
    'clearInterval',
    'clearImmediate',
  ].map((name) => [name, 'schedules on real time; use the Clock port']),
  ['process', 'reads this machine and its environment; pass configuration in'],
  ['performance', 'reads a real clock; use the Clock port'],
  ['crypto', 'draws unrecorded randomness; use the Rng or IdSource port'],
  ['fetch', 'does network I/O; call a ModelProvider or ToolClient port'],
  ['globalThis', 'reaches the ambient globals these rules forbid'],
  ['global', 'reaches the ambient globals these rules forbid'],
].map(([name, why]) => ({ name, message: deterministic(`\`${name}\` ${why}.`) }));

const restrictedSyntax = [
  [
    "MemberExpression[object.name='Math'][property.name='random']",
    'Math.random() is unrecorded randomness; use the Rng port.',
  ],
  [
    "MemberExpression[object.name='Date'][property.name='now']",
    'Date.now() reads the wall clock; use the Clock port.',
  ],
  ["NewExpression[callee.name='Date']", 'new Date() reads the wall clock; use the Clock port.'],
  ["CallExpression[callee.name='Date']", 'Date() reads the wall clock; use the Clock port.'],
  [
    "MemberExpression[object.name='crypto'][property.name=/^(randomUUID|getRandomValues)$/]",
    'crypto.randomUUID() and getRandomValues() are unrecorded randomness; use the IdSource or Rng port.',
  ],
  [
    "MemberExpression[object.name='performance'][property.name='now']",
    'performance.now() reads a real clock; use the Clock port.',
  ],
  [
    "MemberExpression[object.name='process'][property.name='env']",
    'process.env is an environment read; pass configuration in.',
  ],
  [
    'ImportExpression',
    'dynamic import() loads code at run time; import statically or go through a port.',
  ],
].map(([selector, problem]) => ({ selector, message: deterministic(problem) }));

// ─── Config ───────────────────────────────────────────────────────────────────────────────────────

const typeScriptFiles = ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'];
const testFiles = ['**/*.test.ts', 'test/**/*.ts'];

export default defineConfig(
  globalIgnores([
    'dist/',
    'node_modules/',
    'coverage/',
    'schema/',
    'test/artifacts/',
    'bench/results/',
    '.switchyard/',
    '.scratch/',
  ]),

  {
    name: 'switchyard/javascript',
    extends: [js.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: {
      // Plain .js files (eslint.config.js, bench scripts) run on Node: every global Node defines.
      globals: Object.fromEntries(
        Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly']),
      ),
    },
  },

  {
    name: 'switchyard/typescript',
    files: typeScriptFiles,
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    plugins: { 'import-x': importX },
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: repoRoot },
    },
    settings: importSettings,
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // With verbatimModuleSyntax, `import { type A } from 'x'` keeps a bare `import 'x'` at run time.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Returning a `void | Promise<void>` call is how the engine keeps its work queue ordered.
      '@typescript-eslint/no-confusing-void-expression': 'off',
      // Type parameters used once are the builder's way to carry inferred ids; classes from a factory
      // function (openSqliteStore) are genuine instances; both rules only add noise here.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      // Async port implementations (an in-memory JournalStore) need not await anything.
      '@typescript-eslint/require-await': 'off',
      // Style the codebase already settled: `Array<T>`, `type` aliases, index signatures (recursive JSON
      // types need them), and `as NonNullable<T>` rather than the `!` that strict bans.
      '@typescript-eslint/array-type': 'off',
      '@typescript-eslint/consistent-type-definitions': 'off',
      '@typescript-eslint/consistent-indexed-object-style': 'off',
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // Journal events and step values are plain JSON records; the codec removes fields by name.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // Spec content is data: never evaluated as code (ARCHITECTURE.md §3).
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },

  {
    // The dashboard is browser code with its own tsconfig (DOM, JSX for Preact), built by Vite.
    name: 'switchyard/dashboard',
    files: ['dashboard/**/*.ts', 'dashboard/**/*.tsx'],
    languageOptions: {
      parserOptions: { project: './dashboard/tsconfig.json', tsconfigRootDir: repoRoot },
    },
  },

  {
    name: 'switchyard/layers',
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { basePath: repoRoot, zones: layerZones }],
    },
  },

  {
    name: 'switchyard/determinism',
    files: deterministicLayers.map((layer) => `src/${layer}/**/*.ts`),
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', nodeBuiltinsBanned()],
      'no-restricted-globals': ['error', ...restrictedGlobals],
      'no-restricted-syntax': ['error', ...restrictedSyntax],
    },
  },

  {
    // SHA-256 is a pure function of its input; the one Node built-in a deterministic layer may use.
    name: 'switchyard/determinism-hash-exception',
    files: ['src/core/hash.ts'],
    rules: { 'no-restricted-imports': ['error', nodeBuiltinsBanned(['node:crypto'])] },
  },

  {
    name: 'switchyard/tests',
    files: testFiles,
    rules: {
      // expect(spy.method) and non-null assertions on fixtures are normal in tests.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },

  {
    // Root-level TypeScript config files are not part of tsconfig.check.json.
    name: 'switchyard/root-config-files',
    files: ['*.ts', '*.mts', '*.cts'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
