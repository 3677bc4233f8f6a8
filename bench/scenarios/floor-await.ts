// Floor (a), the in-process floor: one awaited no-op async function call. Also times one
// setImmediate hop, because every SQLite append waits for one (the group-commit window).
import { childArgs, collectGarbage, cpuSinceUs, median, runChild, sinceUs } from '../lib/child.js';

interface Args {
  calls: number;
  hops: number;
  reps: number;
}

const noop = async (): Promise<void> => {};
const hop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function awaitLoop(calls: number): Promise<{ wall: number; cpu: number }> {
  collectGarbage();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await noop();
  return { wall: sinceUs(t0) / calls, cpu: cpuSinceUs(c0) / calls };
}

async function hopLoop(hops: number): Promise<number> {
  collectGarbage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < hops; i++) await hop();
  return sinceUs(t0) / hops;
}

await runChild(async () => {
  const { calls, hops, reps } = childArgs<Args>();
  await awaitLoop(calls);
  await hopLoop(hops);
  const wall: number[] = [];
  const cpu: number[] = [];
  const hopUs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const a = await awaitLoop(calls);
    wall.push(a.wall);
    cpu.push(a.cpu);
    hopUs.push(await hopLoop(hops));
  }
  return {
    metrics: { stepUs: median(wall), stepCpuUs: median(cpu), immediateHopUs: median(hopUs) },
    info: { calls, hops, reps },
  };
});
