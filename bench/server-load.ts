// Load on `switchyard serve` (issue #8; not part of CI): run submissions at a fixed rate while many
// clients follow runs over SSE, all on loopback.
//
//   npm run build && npx tsx bench/server-load.ts [--rate 100] [--seconds 60] [--clients 1000]
//                                                  [--steps 5] [--step-ms 1000] [--out FILE]
//
// The server is the built CLI in a child process (SQLite store in a temporary directory, default
// durability, info logs drained). The submitter (this thread) posts a registered workflow on an
// open-loop schedule, so a slow answer never delays the next submission, and times each answer.
// A second process (this script with --role clients) runs the SSE clients: each follows the newest run from its first event, counts
// what it receives until `end`, then takes the newest run again. At the end every followed stream
// is compared with the run's journal (GET /api/runs/{id}/journal): same events, same order.
// Peak RSS is the server's VmHWM from /proc.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';

const TOKEN = 'bench-token-0123456789abcdef';

interface Options {
  rate: number;
  seconds: number;
  clients: number;
  steps: number;
  stepMs: number;
  out: string | undefined;
}

/** One followed stream: how many journal events it delivered, and whether they were 0, 1, 2, … */
interface StreamResult {
  runId: string;
  count: number;
  inOrder: boolean;
  ended: boolean;
  /** Why a stream stopped before `end` (status, or the error). */
  problem?: string;
}

// ---- SSE clients (--role clients) ---------------------------------------------------------------

interface ClientData {
  url: string;
  clients: number;
}

async function follow(url: string, runId: string): Promise<StreamResult> {
  const result: StreamResult = { runId, count: 0, inOrder: true, ended: false };
  try {
    const response = await fetch(`${url}/api/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    if (!response.ok || !response.body) return { ...result, problem: `status ${response.status}` };
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { ...result, problem: 'closed before end' };
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (block.startsWith('event: end')) {
          result.ended = true;
          await reader.cancel();
          return result;
        }
        const id = /^id: (\d+)$/m.exec(block);
        if (id && !block.startsWith('event:')) {
          if (Number(id[1]) !== result.count) result.inOrder = false;
          result.count += 1;
        }
      }
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      ...result,
      problem: `${cause ?? (error as Error).message} after ${result.count} events at ${Math.round(performance.now() / 1000)} s`,
    };
  }
}

/** Reads run ids (one per line) from stdin until `stop`, then prints every stream's result. */
async function runClients(data: ClientData): Promise<void> {
  const submitted: string[] = [];
  let stopping = false;
  let connected = 0;
  let peakConnected = 0;
  const results: StreamResult[] = [];
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'stop') stopping = true;
    else if (line !== '') submitted.push(line);
  });
  const client = async (): Promise<void> => {
    while (!stopping) {
      const runId = submitted.at(-1);
      if (runId === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      connected += 1;
      peakConnected = Math.max(peakConnected, connected);
      try {
        results.push(await follow(data.url, runId));
      } finally {
        connected -= 1;
      }
    }
  };
  await Promise.all(Array.from({ length: data.clients }, client));
  // Exit only once the (large) line is flushed into the pipe.
  process.stdout.write(`${JSON.stringify({ results, peakConnected })}\n`, () => process.exit(0));
}

// ---- submitter and report (main thread) --------------------------------------------------------

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function procStatus(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startServer(
  dir: string,
  nodeArgs: string[],
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  // Logs go to a file, as a production server's would (journald, a container runtime): a pipe this
  // busy process drains would slow the server's synchronous log writes down instead.
  const log = path.join(dir, 'server.log');
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.join(repo, 'dist/cli/main.js'),
      'serve',
      '--port',
      '0',
      '--config',
      path.join(dir, 'switchyard.config.json'),
    ],
    {
      cwd: dir,
      env: { ...process.env, SWITCHYARD_TOKEN: TOKEN },
      stdio: ['ignore', openSync(log, 'w'), 'inherit'],
    },
  );
  // Never leave a server behind, however this script ends.
  process.once('exit', () => child.kill('SIGKILL'));
  const state = { exited: false };
  child.once('exit', () => (state.exited = true));
  const hasExited = (): boolean => state.exited;
  let url: string | undefined;
  while (url === undefined) {
    if (hasExited()) throw new Error(`the server exited: ${readFileSync(log, 'utf8')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = readFileSync(log, 'utf8')
      .split('\n')
      .find((text) => text.includes('"listening"'));
    if (line) url = (JSON.parse(line) as { url: string }).url;
  }
  return {
    url,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function writeProject(dir: string, options: Options): void {
  writeFileSync(
    path.join(dir, 'tools.mjs'),
    `export const wait = { name: 'wait', retry: 'safe', execute: async (input) => {
  await new Promise((resolve) => setTimeout(resolve, input.ms));
  return { waited: input.ms };
} };\n`,
  );
  const steps = Array.from({ length: options.steps }, (_, index) => ({
    id: `s${index + 1}`,
    kind: 'tool',
    tool: 'wait',
    input: { ms: options.stepMs },
    ...(index > 0 ? { after: [`s${index}`] } : {}),
  }));
  writeFileSync(path.join(dir, 'load.json'), JSON.stringify({ name: 'load', steps }));
  writeFileSync(
    path.join(dir, 'switchyard.config.json'),
    JSON.stringify({ store: 'sqlite:journal.db', tools: './tools.mjs', workflows: ['load.json'] }),
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '60' },
      clients: { type: 'string', default: '1000' },
      steps: { type: 'string', default: '5' },
      'step-ms': { type: 'string', default: '1000' },
      out: { type: 'string' },
      role: { type: 'string', default: 'submitter' },
      url: { type: 'string' },
      /** Node flags for the server process, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'. */
      'server-node-args': { type: 'string', default: '' },
    },
  });
  if (values.role === 'clients') {
    await runClients({ url: values.url ?? '', clients: Number(values.clients) });
    return;
  }
  const options: Options = {
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    clients: Number(values.clients),
    steps: Number(values.steps),
    stepMs: Number(values['step-ms']),
    out: values.out,
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-load-'));
  writeProject(dir, options);
  const server = await startServer(
    dir,
    values['server-node-args'].split(' ').filter((arg) => arg !== ''),
  );
  const cpuBefore = cpuSeconds(server.pid);
  const clients = spawn(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--role',
      'clients',
      '--url',
      server.url,
      '--clients',
      String(options.clients),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const clientsDone = new Promise<{ results: StreamResult[]; peakConnected: number }>(
    (resolve, reject) => {
      let output = '';
      clients.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      clients.once('exit', (code) => {
        try {
          resolve(JSON.parse(output) as { results: StreamResult[]; peakConnected: number });
        } catch {
          reject(new Error(`the SSE clients exited ${code} without results`));
        }
      });
    },
  );
  const tell = (line: string): void => {
    clients.stdin.write(`${line}\n`);
  };

  const latencies: number[] = [];
  const submitted: string[] = [];
  let failures = 0;
  const failureReasons: Record<string, number> = {};
  const failed = (reason: string): void => {
    failures += 1;
    failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
  };
  const inFlight = new Set<Promise<void>>();
  const total = options.rate * options.seconds;
  const started = performance.now();
  let rssPeakSampled = 0;
  // The server's responsiveness apart from the work a submission does: /healthz answers at once
  // unless its event loop is busy.
  const probes: number[] = [];
  const sampler = setInterval(() => {
    rssPeakSampled = Math.max(rssPeakSampled, procStatus(server.pid, 'VmRSS'));
    const sent = performance.now();
    void fetch(`${server.url}/healthz`)
      .then(async (response) => {
        await response.text();
        probes.push(performance.now() - sent);
      })
      .catch(() => {});
  }, 250);
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    const request = fetch(`${server.url}/api/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'load' }),
    })
      .then(async (response) => {
        const body = (await response.json()) as { runId?: string; error?: { code: string } };
        if (response.status !== 201 || !body.runId) {
          failed(`${response.status} ${body.error?.code ?? ''}`.trim());
          return;
        }
        latencies.push(performance.now() - sent);
        submitted.push(body.runId);
        tell(body.runId);
      })
      .catch((error: unknown) => {
        failed((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
      });
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }
  await Promise.all(inFlight);
  const submitSeconds = (performance.now() - started) / 1000;
  tell('stop');
  const { results, peakConnected } = await clientsDone;

  // Let the last runs finish, then compare every followed stream with its run's journal.
  for (;;) {
    const response = await fetch(`${server.url}/api/runs?status=running&limit=1`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const { runs } = (await response.json()) as { runs: unknown[] };
    if (runs.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const journals = new Map<string, number>();
  for (const runId of new Set(results.map((result) => result.runId))) {
    const response = await fetch(`${server.url}/api/runs/${runId}/journal`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    const { events } = (await response.json()) as { events: Array<{ seq: number }> };
    // A journal's seqs are 0…n-1 (the store refuses anything else), so its length says it all.
    journals.set(runId, events.length);
  }
  let delivered = 0;
  let journaled = 0;
  let exact = 0;
  for (const result of results) {
    const length = journals.get(result.runId) ?? 0;
    delivered += result.count;
    journaled += length;
    if (result.ended && result.inOrder && result.count === length) exact += 1;
  }
  clearInterval(sampler);
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const peakRssMb = procStatus(server.pid, 'VmHWM');
  await server.stop();
  // The server's own view: the time from a request's arrival to its answer, from its request log.
  const handled = readFileSync(path.join(dir, 'server.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('"msg":"request"') && line.includes('"method":"POST"'))
    .map((line) => JSON.parse(line) as { path: string; ms: number })
    .filter((entry) => entry.path === '/api/runs')
    .map((entry) => entry.ms)
    .sort((a, b) => a - b);
  rmSync(dir, { recursive: true, force: true });

  latencies.sort((a, b) => a - b);
  probes.sort((a, b) => a - b);
  const problems: Record<string, number> = {};
  for (const result of results)
    if (result.problem) problems[result.problem] = (problems[result.problem] ?? 0) + 1;
  const report = {
    date: new Date().toISOString(),
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
      node: process.version,
    },
    options,
    submissions: {
      sent: total,
      accepted: latencies.length,
      failed: failures,
      failureReasons,
      seconds: Math.round(submitSeconds * 10) / 10,
      serverHandlingMs: {
        p50: Math.round(percentile(handled, 50) * 10) / 10,
        p99: Math.round(percentile(handled, 99) * 10) / 10,
        max: Math.round((handled.at(-1) ?? Number.NaN) * 10) / 10,
      },
      latencyMs: {
        p50: Math.round(percentile(latencies, 50) * 10) / 10,
        p99: Math.round(percentile(latencies, 99) * 10) / 10,
        max: Math.round((latencies.at(-1) ?? Number.NaN) * 10) / 10,
      },
    },
    sse: {
      clients: options.clients,
      peakConnected,
      streams: results.length,
      streamsEnded: results.filter((result) => result.ended).length,
      streamsExact: exact,
      eventsDelivered: delivered,
      eventsJournaled: journaled,
      problems,
    },
    healthzMs: {
      probes: probes.length,
      p50: Math.round(percentile(probes, 50) * 10) / 10,
      p99: Math.round(percentile(probes, 99) * 10) / 10,
    },
    server: {
      peakRssMb: Math.round(peakRssMb),
      sampledPeakRssMb: Math.round(rssPeakSampled),
      cpuSeconds: Math.round(cpu * 10) / 10,
    },
  };
  const text = JSON.stringify(report, null, 2);
  process.stdout.write(`${text}\n`);
  if (options.out) writeFileSync(options.out, `${text}\n`);
}

await main();
