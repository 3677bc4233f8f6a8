// `npm run bench`: runs every scenario of bench/suite.ts in its own child process, round after
// round with the order rotated (so no scenario always runs first, on a cold machine, or last, on a
// hot one), then prints tables and writes bench/results/<YYYY-MM-DD>.json.
//
//   tsx bench/run.ts [--quick] [--rounds N] [--out FILE] [--dist] [--profile ID]... [--keep]
//                    [--only REGEXP]... [--cap SECONDS]
//   tsx bench/run.ts --report FILE [--markdown]      re-render a results file
//
// The engine comparison (issue #4) needs the peers installed in bench/peers (`npm ci --prefix
// bench/peers`, done here when they are missing) and Switchyard compiled: its children run as plain
// JavaScript, so this compiles the working tree with tsc into node_modules/.cache first (or uses
// dist/ with --dist).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, arch, cpus, loadavg, platform, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import type { ChildFailure, ChildLine } from './lib/child.js';
// The marker comparison children write on stderr around a capped run (bench/lib/plain-child.mjs).
const CAP_MARK = '@@bench-cap';
import { buildTables, renderMarkdown, renderText } from './lib/report.js';
import {
  RESULTS_SCHEMA,
  summarize,
  type BenchResults,
  type ScenarioRecord,
  type Summary,
} from './lib/results.js';
import {
  FULL,
  GOALS,
  QUICK,
  RATIOS,
  SCENARIOS,
  type Context,
  type ScenarioDef,
  type Sizes,
} from './suite.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(benchDir);
/** A child that takes longer than this is stuck, not slow. */
const CHILD_TIMEOUT_MS = 20 * 60_000;

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    out: { type: 'string' },
    dist: { type: 'boolean', default: false },
    profile: { type: 'string', multiple: true, default: [] },
    keep: { type: 'boolean', default: false },
    report: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    /** Run only the scenarios whose id matches one of these regular expressions. */
    only: { type: 'string', multiple: true, default: [] },
    /** The cap on one run of a comparison child, in seconds (default: the sizes' capS). */
    cap: { type: 'string' },
    /**
     * The collection before each timed repetition: 'minor' (default) or 'full'. See
     * lib/child.ts#collectGarbage for why a full one is not the default.
     */
    gc: { type: 'string', default: 'minor' },
  },
});
if (options.gc !== 'minor' && options.gc !== 'full') {
  process.stderr.write(`error: --gc must be minor or full, got ${options.gc}\n`);
  process.exit(2);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const peersDir = join(benchDir, 'peers');
/** Where the comparison children import Switchyard from (set before any child runs). */
let compiledDir = '';

/** Why bench/peers is not installed as its package.json pins it, or undefined if it is. */
function peersNotInstalled(): string | undefined {
  const manifest = JSON.parse(readFileSync(join(peersDir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const [name, pinned] of Object.entries(manifest.dependencies)) {
    const file = join(peersDir, 'node_modules', name, 'package.json');
    if (!existsSync(file)) return `${name} is not installed`;
    const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
    if (version !== pinned) return `${name} ${version} is installed, package.json pins ${pinned}`;
  }
  return undefined;
}

/** Installs the peers (LangGraph.js, Mastra) from bench/peers/package-lock.json when needed. */
function ensurePeers(): void {
  const why = peersNotInstalled();
  if (why === undefined) return;
  log(
    `bench/peers: ${why}; installing the peers once with \`npm ci --prefix bench/peers\` ` +
      '(it compiles better-sqlite3; CI runs it in .ci/run)',
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--prefix', peersDir], { stdio: ['ignore', 2, 2] });
  const still = peersNotInstalled();
  if (result.status !== 0 || still !== undefined)
    throw new Error(
      `the peers are not installed (${still ?? `npm exited ${result.status ?? result.signal}`}): ` +
        'run `npm ci --prefix bench/peers`',
    );
}

/**
 * The comparison children import Switchyard as compiled JavaScript: the working tree compiled by
 * tsc (no type check, so work in progress elsewhere does not block a measurement) into a fresh
 * directory under node_modules/.cache (one per bench run, so two runs never share one), or dist/
 * as it is with --dist. Returns the directory and how to remove it.
 */
function compileSwitchyard(): { dir: string; remove(): void } {
  if (options.dist) {
    const dist = join(repoRoot, 'dist');
    if (!existsSync(join(dist, 'index.js'))) throw new Error('--dist: run `npm run build` first');
    return { dir: dist, remove: () => undefined };
  }
  const cache = join(repoRoot, 'node_modules', '.cache', 'switchyard-bench');
  mkdirSync(cache, { recursive: true });
  // Under node_modules no package.json of the repository's applies: say these files are ESM.
  writeFileSync(join(cache, 'package.json'), '{ "type": "module", "private": true }\n');
  const out = mkdtempSync(join(cache, 'dist-'));
  const remove = (): void => rmSync(out, { recursive: true, force: true });
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [tsc, '-p', join(repoRoot, 'tsconfig.json'), '--noCheck', '--outDir', out].concat([
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ]),
    { cwd: repoRoot, stdio: ['ignore', 2, 2] },
  );
  if (result.status !== 0 || !existsSync(join(out, 'index.js'))) {
    remove();
    throw new Error(
      `tsc could not compile src/ for the comparison children (exit ${result.status})`,
    );
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(`compiled src/ for the comparison children in ${seconds} s`);
  return { dir: out, remove };
}

interface ChildRun {
  line: ChildLine;
  childMs: number;
}

/** Spawns one scenario child and returns its result line. */
function runChild(
  def: ScenarioDef,
  ctx: Context,
  profileDir: string | undefined,
): Promise<ChildRun> {
  const plain = def.runner === 'plain';
  const args = [
    ...(plain ? [] : ['--import', 'tsx']),
    // Lets a child collect garbage before each timed repetition (see lib/child.ts).
    '--expose-gc',
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    join(benchDir, def.entry),
    JSON.stringify(def.args(ctx)),
  ];
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: {
        ...process.env,
        SWITCHYARD_BENCH_FROM: options.dist ? 'dist' : 'src',
        SWITCHYARD_BENCH_DIST: compiledDir,
        SWITCHYARD_BENCH_GC: options.gc,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // A capped run (comparison children): armed when the child says one started, disarmed when it
    // says it ended; if the cap goes off first, the child is killed and reported as not finished.
    interface Cap {
      capS: number;
      /** Steps of the capped run, and of the child's timed runs (more in a warm-up). */
      steps: number;
      timedSteps: number;
    }
    let cap: (Cap & { timer?: NodeJS.Timeout }) | undefined;
    let capped: (Cap & { stepsDone: number; maxRssKb: number }) | undefined;
    let stepsDone = 0;
    let pending = '';
    const onCapLine = (line: string): void => {
      const [, what, rest] = line.split(' ', 3);
      if (what === 'start') {
        const started = JSON.parse(rest ?? '{}') as Cap;
        stepsDone = 0;
        cap = { ...started };
        cap.timer = setTimeout(() => {
          capped = { ...started, stepsDone, maxRssKb: peakRssKb(child.pid) };
          child.kill('SIGKILL');
        }, started.capS * 1000);
      } else if (what === 'end') {
        clearTimeout(cap?.timer);
        cap = undefined;
      } else if (what === 'progress') stepsDone = Number(rest);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines)
        if (line.startsWith(CAP_MARK)) onCapLine(line);
        else stderr += `${line}\n`;
    });
    const timeoutMs = def.timeoutS ? def.timeoutS(ctx) * 1000 : CHILD_TIMEOUT_MS;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(cap?.timer);
      const childMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (capped) {
        const { capS, steps, timedSteps, stepsDone: done, maxRssKb } = capped;
        const warmup = steps < timedSteps ? ` (a ${steps}-step warm-up run)` : '';
        resolve({
          line: {
            ok: true,
            metrics: {
              dnf: 1,
              capS,
              steps,
              stepsDone: done,
              // A run of the timed size takes at least the cap too: its µs/step is at least this,
              // so a ratio against it is an upper bound.
              stepUsAtLeast: (capS * 1e6) / timedSteps,
            },
            info: { dnf: `did not finish ${steps} steps in ${capS} s${warmup}, ${done}+ done` },
            maxRssKb,
          },
          childMs,
        });
        return;
      }
      const last = stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .at(-1);
      let parsed: ChildLine | ChildFailure | undefined;
      try {
        parsed = last === undefined ? undefined : (JSON.parse(last) as ChildLine | ChildFailure);
      } catch {
        parsed = undefined;
      }
      const expected = def.expectKill ? signal === 'SIGKILL' : code === 0 && signal === null;
      if (parsed?.ok === true && expected) {
        resolve({ line: parsed, childMs });
        return;
      }
      const why =
        parsed?.ok === false
          ? parsed.error
          : timedOut
            ? `killed as stuck after ${(timeoutMs / 1000).toFixed(0)} s`
            : `exit ${code ?? signal ?? '?'} with ${parsed ? 'an unexpected' : 'no'} result line`;
      reject(new Error(`${def.id} failed: ${why}\n${stderr.slice(-4000)}`));
    });
  });
}

/**
 * The peak RSS of a running child (VmHWM, what its own resourceUsage().maxRSS would say), read
 * before it is killed for outliving its cap. Linux only; NaN elsewhere.
 */
function peakRssKb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid ?? 0}/status`, 'utf8');
    return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function record(def: ScenarioDef): ScenarioRecord {
  return {
    id: def.id,
    engine: def.engine,
    workload: def.workload,
    label: def.label,
    phase: def.phase,
    rounds: [],
    info: {},
    summary: {},
  };
}

function summarizeRecord(rec: ScenarioRecord): void {
  const names = new Set(rec.rounds.flatMap((r) => Object.keys(r.metrics)));
  for (const name of names)
    rec.summary[name] = summarize(rec.rounds.map((r) => r.metrics[name] ?? NaN));
  rec.summary.maxRssMb = summarize(rec.rounds.map((r) => r.maxRssKb / 1024));
}

function versions(): Record<string, string> {
  const pkg = (path: string): string =>
    (JSON.parse(readFileSync(join(repoRoot, path), 'utf8')) as { version: string }).version;
  const db = new Database(':memory:');
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  return {
    node: process.version,
    switchyard: pkg('package.json'),
    'better-sqlite3': pkg('node_modules/better-sqlite3/package.json'),
    sqlite,
    tsx: pkg('node_modules/tsx/package.json'),
    ...peerVersions(),
  };
}

/** The peers as installed in bench/peers (what the children actually loaded). */
function peerVersions(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(peersDir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const found: Record<string, string> = {};
  for (const name of Object.keys(manifest.dependencies)) {
    const file = join(peersDir, 'node_modules', name, 'package.json');
    if (existsSync(file))
      found[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return found;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

async function bench(): Promise<BenchResults> {
  const sizes: Sizes = { ...(options.quick ? QUICK : FULL) };
  if (options.rounds !== undefined) sizes.rounds = Math.max(1, Number(options.rounds));
  if (options.cap !== undefined) sizes.capS = Number(options.cap);
  const startedAt = new Date();
  const loadavgStart = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const profileDir = join(benchDir, 'results', 'profiles');
  const selected = SCENARIOS.filter(
    (def) => options.only.length === 0 || options.only.some((re) => new RegExp(re).test(def.id)),
  );
  const records = new Map(selected.map((def) => [def.id, record(def)]));
  const setupDirs = new Map<string, string>();
  const context = (dir: string): Context => ({
    sizes,
    dir,
    setupDir: (id) => {
      const found = setupDirs.get(id);
      if (found === undefined) throw new Error(`setup scenario ${id} has not run`);
      return found;
    },
  });
  const one = async (def: ScenarioDef, round: number, position: number, dir: string) => {
    mkdirSync(dir, { recursive: true });
    const ctx = context(dir);
    def.prepare?.(ctx);
    const profile = options.profile.includes(def.id) && round === 0;
    if (profile) mkdirSync(profileDir, { recursive: true });
    const { line, childMs } = await runChild(def, ctx, profile ? profileDir : undefined);
    if (def.measure && line.metrics.dnf !== 1)
      Object.assign(line.metrics, def.measure(ctx, line.metrics));
    const rec = records.get(def.id) as ScenarioRecord;
    if (rec.rounds.length === 0) rec.info = line.info ?? {};
    rec.rounds.push({ round, position, metrics: line.metrics, maxRssKb: line.maxRssKb, childMs });
    const dnf = line.metrics.dnf === 1 ? `  did not finish in ${line.metrics.capS ?? '?'} s` : '';
    log(`  ${def.id.padEnd(32)} ${(childMs / 1000).toFixed(1).padStart(6)} s${dnf}`);
  };

  let compiled: { remove(): void } | undefined;
  try {
    log(
      `switchyard bench${options.quick ? ' --quick' : ''}: ${sizes.rounds} rounds, ` +
        `source ${options.dist ? 'dist' : 'src'}`,
    );
    if (selected.some((def) => def.entry.startsWith('peers/'))) ensurePeers();
    if (selected.some((def) => def.runner === 'plain' && def.engine === 'switchyard')) {
      const build = compileSwitchyard();
      compiled = build;
      compiledDir = build.dir;
    }
    log('setup');
    for (const [i, def] of selected.filter((d) => d.phase === 'setup').entries()) {
      const dir = join(work, 'setup', def.id.replace(/\W+/g, '-'));
      setupDirs.set(def.id, dir);
      await one(def, 0, i, dir);
    }
    const perRound = selected.filter((d) => d.phase === 'round');
    for (let round = 0; round < sizes.rounds; round++) {
      log(`round ${round + 1}/${sizes.rounds}`);
      for (const [i, def] of rotate(perRound, round).entries())
        await one(def, round, i, join(work, `round-${round}`, def.id.replace(/\W+/g, '-')));
      // Each round's copies of the killed journal are spent: free the disk as we go.
      rmSync(join(work, `round-${round}`), { recursive: true, force: true });
    }
  } finally {
    if (options.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
    compiled?.remove();
  }

  for (const rec of records.values()) summarizeRecord(rec);
  const metricIn = (id: string, metric: string, round: number): number =>
    records.get(id)?.rounds.find((r) => r.round === round)?.metrics[metric] ?? NaN;
  const ratios = RATIOS.map((def) => {
    const perRound = Array.from({ length: sizes.rounds }, (_, round) =>
      def.value((id, metric) => metricIn(id, metric, round)),
    );
    return {
      id: def.id,
      label: def.label,
      perRound,
      summary: summarize(perRound),
      ...(def.goal ? { goal: def.goal } : {}),
      ...(def.group ? { group: def.group } : {}),
    };
  });
  const missing: Summary = { median: NaN, min: NaN, max: NaN, n: 0 };
  const goals = GOALS.map((def) => {
    const { value, met, note } = def.evaluate({
      ratio: (id) => ratios.find((r) => r.id === id)?.summary ?? missing,
      metric: (id, metric) => records.get(id)?.summary[metric] ?? missing,
    });
    return {
      id: def.id,
      goal: def.goal,
      value,
      unit: def.unit,
      target: def.target,
      // The goals speak of the full sizes; a quick run only shows the machinery works.
      met: options.quick ? null : met,
      note: options.quick ? `quick sizes, not evaluated; ${note}` : note,
    };
  });
  return {
    schema: RESULTS_SCHEMA,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    durationS: (Date.now() - startedAt.getTime()) / 1000,
    quick: options.quick,
    rounds: sizes.rounds,
    sizes: { ...sizes },
    source: options.dist ? 'dist' : 'src',
    gc: options.gc === 'full' ? 'full' : 'minor',
    machine: {
      nproc: availableParallelism(),
      cpuModel: cpuModel(),
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      platform: platform(),
      arch: arch(),
      loadavgStart,
      loadavgEnd: loadavg(),
    },
    versions: versions(),
    scenarios: Object.fromEntries(records),
    ratios,
    goals,
  };
}

function header(r: BenchResults, markdown: boolean): string {
  const m = r.machine;
  const lines = [
    `Switchyard ${r.versions.switchyard ?? '?'} bench, ${r.startedAt}` +
      `${r.quick ? ' (--quick)' : ''}, ${r.rounds} rounds, ${r.durationS.toFixed(0)} s`,
    `${m.cpuModel}, ${m.nproc} CPUs, ${m.memoryGiB} GiB, ${m.platform}/${m.arch}; ` +
      `load average ${m.loadavgStart.map((l) => l.toFixed(2)).join(' ')} at start, ` +
      `${m.loadavgEnd.map((l) => l.toFixed(2)).join(' ')} at end`,
    Object.entries(r.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ') +
      `; Switchyard imported from ${r.source === 'dist' ? 'dist/' : 'src/ through tsx'}` +
      (r.scenarios['switchyard/chain/memory']
        ? `, and in the engine comparison (plain node) from ${r.source === 'dist' ? 'dist/' : 'src/ compiled by tsc'}`
        : '') +
      `; ${r.gc === 'minor' ? 'a minor' : 'a full'} garbage collection before each timed repetition`,
  ];
  return markdown ? lines.map((line) => `- ${line}\n`).join('') + '\n' : lines.join('\n') + '\n';
}

function print(results: BenchResults): void {
  const tables = buildTables(results);
  const markdown = options.markdown;
  process.stdout.write(
    header(results, markdown) + (markdown ? renderMarkdown(tables) : renderText(tables)),
  );
}

if (options.report !== undefined) {
  print(JSON.parse(readFileSync(options.report, 'utf8')) as BenchResults);
} else {
  const results = await bench();
  print(results);
  const out =
    options.out ??
    join(benchDir, 'results', `${results.date}${results.quick ? '-quick' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  log(`results written to ${relative(process.cwd(), out) || out}`);
}
