// The dashboard in headless Chromium (Debian's, driven by playwright-core): start a workflow from the
// runs page, watch its DAG advance live, approve, see it finish; reload mid-run and lose nothing.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/core/events.js';
import { repoRoot } from '../support/cli.js';
import { Gates, removeDir, startTestServer, TOKEN, type TestServer } from '../server/support.js';

const CHROMIUM = '/usr/bin/chromium';
const artifacts = path.join(repoRoot, 'test/artifacts');
const built = existsSync(path.join(repoRoot, 'dist/dashboard/index.html'));

const gates = new Gates();
const echo = { name: 'echo', retry: 'safe' as const, execute: (input: unknown) => input };
const review = {
  name: 'review',
  input: { schema: { type: 'object', properties: { tag: { type: 'string' } } } },
  steps: [
    { id: 'fetch', kind: 'tool', tool: 'gate', input: { key: { $expr: "input.tag & '-fetch'" } } },
    {
      id: 'score',
      kind: 'tool',
      tool: 'gate',
      input: { key: { $expr: "input.tag & '-score'" } },
      after: ['fetch'],
    },
    { id: 'approve', kind: 'approval', message: 'Publish the score?', after: ['score'] },
    { id: 'publish', kind: 'tool', tool: 'echo', input: { done: true }, after: ['approve'] },
  ],
};

let t: TestServer;
let browser: Browser;
let started = false;

beforeAll(async () => {
  if (!existsSync(CHROMIUM) || !built) return;
  t = await startTestServer({ workflows: { review }, tools: [echo, gates.tool()] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  mkdirSync(artifacts, { recursive: true });
  started = true;
});

afterAll(async () => {
  if (!started) return;
  await browser.close();
  for (const tag of ['ui', 'reload'])
    for (const step of ['fetch', 'score']) gates.release(`${tag}-${step}`);
  await t.close();
  removeDir(t.dir);
});

async function nodeState(page: Page, id: string, state: string): Promise<void> {
  await page
    .locator(`g.node[data-node-id="${id}"][data-state="${state}"]`)
    .waitFor({ timeout: 10_000 });
}

async function journal(runId: string): Promise<JournalEvent[]> {
  const { body } = await t.api<{ events: JournalEvent[] }>('GET', `/api/runs/${runId}/journal`);
  return body.events;
}

async function timelineSeqs(page: Page): Promise<number[]> {
  const rows = await page.locator('[data-testid="timeline"] tr[data-seq]').all();
  return Promise.all(rows.map(async (row) => Number(await row.getAttribute('data-seq'))));
}

describe.skipIf(!existsSync(CHROMIUM) || !built)('dashboard in Chromium', () => {
  it('starts a run, shows the DAG advance live, approves it and shows it finish', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // The token comes in the address fragment (never sent to the server) and is kept in the browser.
    await page.goto(`${t.url}/#token=${TOKEN}`);
    await page.locator('[data-testid="start-form"] select[name="workflow"]').selectOption('review');
    await page.locator('[data-testid="start-form"] input[name="input"]').fill('{"tag":"ui"}');
    await page.locator('[data-testid="start-form"] button[type="submit"]').click();
    await page.locator('[data-testid="run-page"]').waitFor();
    const runId = (await page
      .locator('[data-testid="run-page"]')
      .getAttribute('data-run-id')) as string;
    expect(runId).toMatch(/^run_/);
    expect(new URL(page.url()).hash).toBe('');

    await nodeState(page, 'fetch', 'running');
    await nodeState(page, 'score', 'pending');
    gates.release('ui-fetch');
    await nodeState(page, 'fetch', 'completed');
    await nodeState(page, 'score', 'running');
    gates.release('ui-score');
    await nodeState(page, 'approve', 'waiting');
    await page.locator('[data-testid="run-status"] [data-status="waiting"]').waitFor();
    await page.screenshot({ path: path.join(artifacts, 'dashboard-waiting.png'), fullPage: true });

    await page.locator('[data-testid="approve-approve"]').click();
    await nodeState(page, 'publish', 'completed');
    await page.locator('[data-testid="run-status"] [data-status="completed"]').waitFor();
    await page.locator('[data-testid="stream-state"]', { hasText: 'ended' }).waitFor();

    await page.locator('[data-testid="verify"]').click();
    const verified = page.locator('[data-testid="verify-result"]');
    await verified.waitFor();
    expect(await verified.getAttribute('data-ok')).toBe('true');
    // The placeholders render with nothing to show yet.
    await expect(page.locator('[data-testid="routes-panel"]').textContent()).resolves.toContain(
      'no route steps',
    );
    await expect(page.locator('[data-testid="votes-panel"]').textContent()).resolves.toContain(
      'no vote steps',
    );

    const events = await journal(runId);
    expect(await timelineSeqs(page)).toEqual(events.map((event) => event.seq));
    await page.screenshot({ path: path.join(artifacts, 'dashboard-run.png'), fullPage: true });
    await page.close();
  });

  it('after a reload mid-run, shows every journal event once, in order', async () => {
    const { body } = await t.api<{ runId: string }>('POST', '/api/runs', {
      body: { workflow: 'review', input: { tag: 'reload' } },
    });
    const page = await browser.newPage();
    await page.goto(`${t.url}/runs/${body.runId}#token=${TOKEN}`);
    await nodeState(page, 'fetch', 'running');
    gates.release('reload-fetch');
    await nodeState(page, 'score', 'running');

    await page.reload();
    await nodeState(page, 'fetch', 'completed');
    await nodeState(page, 'score', 'running');
    gates.release('reload-score');
    await nodeState(page, 'approve', 'waiting');
    const approved = await t.api('POST', `/api/runs/${body.runId}/approval`, {
      body: { step: 'approve', approved: true },
    });
    expect(approved.status).toBe(202);
    await page.locator('[data-testid="run-status"] [data-status="completed"]').waitFor();
    await page.locator('[data-testid="stream-state"]', { hasText: 'ended' }).waitFor();

    const events = await journal(body.runId);
    expect(events.at(-1)?.type).toBe('run-end');
    expect(await timelineSeqs(page)).toEqual(events.map((event) => event.seq));
    expect(await page.locator('[data-testid="event-count"]').textContent()).toBe(
      `${events.length} events`,
    );
    await page.close();
  });
});
