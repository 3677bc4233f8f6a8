// Reads a V8 .cpuprofile (from `npm run bench -- --profile <scenario id>`, or node --cpu-prof) and
// prints the functions with the most self time, then the most inclusive time among Switchyard's
// own sources: where a scenario's time goes, without opening DevTools.
//
//   tsx bench/tools/profile-top.ts <file.cpuprofile> [count] [--match <regexp>]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { match: { type: 'string', default: '/src/' } },
});
const [file, countText] = positionals;
if (file === undefined) {
  process.stderr.write('usage: tsx bench/tools/profile-top.ts <file.cpuprofile> [count]\n');
  process.exit(2);
}
const count = Number(countText ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);

function name(node: ProfileNode): string {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  const where =
    url === ''
      ? ''
      : ` ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}:${columnNumber + 1}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${where}`;
}

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
/** Full script URL of each name, for --match (names show only the last two path segments). */
const urls = new Map<string, string>();
let total = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const leaf = byId.get(profile.samples[i] as number);
  if (!leaf) continue;
  self.set(name(leaf), (self.get(name(leaf)) ?? 0) + dt);
  // Each function once per sample, however deep its recursion.
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parentOf.get(id)) {
    const node = byId.get(id) as ProfileNode;
    const key = name(node);
    urls.set(key, node.callFrame.url);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
}

function print(title: string, entries: Map<string, number>, filter?: RegExp): void {
  process.stdout.write(`\n${title}\n`);
  const rows = [...entries]
    .filter(([key]) => !filter || filter.test(urls.get(key) ?? ''))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count);
  for (const [key, us] of rows) {
    const ms = (us / 1000).toFixed(1).padStart(9);
    const share = ((100 * us) / total).toFixed(1).padStart(5);
    process.stdout.write(`${ms} ms ${share}%  ${key}\n`);
  }
}

process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n`);
print('self time', self);
print(`inclusive time, functions matching ${values.match}`, inclusive, new RegExp(values.match));
