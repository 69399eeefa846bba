/**
 * The web dashboard (/ui) in a real headless browser (Debian's chromium, driven by playwright-core; no
 * browser download) against a real fleet: Redis, the API, a worker running Docker containers.
 *
 * With JOBFLEET_UPDATE_SCREENSHOTS=1 it also runs a few more Jobs (a parallel one, a failing one) and a
 * CronJob for a fuller picture, and writes docs/dashboard-{jobs,job,cronjobs,nodes}.png.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { CronJob, Job } from '@jobfleet/kube';
import { uniqueName, useFleet, type Fleet } from '../harness.js';

const CHROMIUM = '/usr/bin/chromium';
const UPDATE_SCREENSHOTS = process.env.JOBFLEET_UPDATE_SCREENSHOTS === '1';
const DOCS = fileURLToPath(new URL('../../../../docs/', import.meta.url));

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: the dashboard test drives Debian's chromium; install it (apt-get install chromium, or npm run setup)`);
  }
  // As root (CI, containers) Chromium runs only without its sandbox; the page is our own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await browser?.close();
});

interface Watched {
  page: Page;
  /** Console errors and uncaught exceptions of the page (a CSP violation is one). */
  errors: string[];
  /** Every request the page made, with its headers. */
  requests: Promise<{ url: string; method: string; headers: Record<string, string>; status: number | 'failed' }>[];
  loads: number;
}

/** A page in a browser context of its own (its own connections: browsers allow 6 per host). */
async function openPage(): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  contexts.push(context);
  const page = await context.newPage();
  const watched: Watched = { page, errors: [], requests: [], loads: 0 };
  page.on('console', (m) => {
    if (m.type() === 'error') watched.errors.push(m.text());
  });
  page.on('pageerror', (e) => watched.errors.push(e.message));
  page.on('request', (r) => {
    const seen = Promise.all([r.allHeaders(), r.response().catch(() => null)]).then(([headers, res]) => ({ url: r.url(), method: r.method(), headers, status: res?.status() ?? ('failed' as const) }));
    // A request the test never awaits (one made after its last look, e.g. a watch re-opened) fails
    // when the browser closes: handled here, so it is not an unhandled rejection; awaiting it still throws.
    seen.catch(() => undefined);
    watched.requests.push(seen);
  });
  page.on('load', () => watched.loads++);
  return watched;
}

/**
 * Waits for what a pod's run brings (a loaded machine may take long to start a container); on a
 * time-out the error says what the page showed instead.
 */
async function waitFor(locator: Locator, watched: Watched, timeout = 90_000): Promise<void> {
  try {
    await locator.waitFor({ timeout });
  } catch (err) {
    const shown = (await watched.page.locator('main').innerText().catch(() => '')).slice(0, 3000);
    throw new Error(`${(err as Error).message}\n--- the page showed:\n${shown}\n--- page errors: ${JSON.stringify(watched.errors)}`);
  }
}

function shellJob(name: string, script: string, spec: Record<string, unknown> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { backoffLimit: 0, ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } } },
  } as Job;
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!UPDATE_SCREENSHOTS) return;
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: `${DOCS}dashboard-${name}.png`, fullPage: true });
}

describe('the dashboard against a fleet', () => {
  let fleet: Fleet;
  useFleet({ workers: 1, maxPods: 4 }, (started) => {
    fleet = started;
  });

  it('shows a Job created after the page loaded, live to Complete (watches, no reload, no polling); its pods, log and events; nodes; CronJobs', { timeout: 240_000 }, async () => {
    const list = await openPage();
    const { page } = list;
    const response = await page.goto(`${fleet.api.url}/ui`);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    // The list is live (empty) before the Job exists.
    await page.locator('#jobs td.empty').waitFor();

    const name = uniqueName('dash');
    const marker = randomUUID().slice(0, 8);
    // A line in the middle is HTML a hostile container could print: it must show as text.
    const hostile = `<b id="injected">bold</b><img src=x onerror="window.__pwned=1">`;
    await fleet.client.createJob(shellJob(name, `echo first-${marker}; sleep 8; echo '${hostile}'; echo last-${marker}`));
    if (UPDATE_SCREENSHOTS) {
      await fleet.client.createJob(shellJob(uniqueName('parallel'), 'sleep 4', { completions: 6, parallelism: 2 }));
      await fleet.client.createJob(shellJob(uniqueName('fails'), 'echo no such input >&2; exit 3'));
    }

    // The row comes through the watch, then its Job's page opens (another tab) while the pod runs.
    const row = page.locator(`tr[data-job="default/${name}"]`);
    await row.waitFor();
    const href = await row.locator('a').getAttribute('href');
    expect(href).toBe(`#/jobs/default/${name}`);
    const detail = await openPage();
    await detail.page.goto(`${fleet.api.url}/ui${href}`);
    const log = detail.page.locator('#log');
    await waitFor(log.filter({ hasText: `first-${marker}` }), detail);
    // The log is followed: the last line comes seconds after the first, while the page is open.
    expect(await log.textContent()).not.toContain(`last-${marker}`);
    await waitFor(log.filter({ hasText: `last-${marker}` }), detail);
    expect(await log.textContent()).toBe(`first-${marker}\n${hostile}\nlast-${marker}\n`);
    expect(await detail.page.locator('#injected, #log img').count()).toBe(0);
    expect(await detail.page.evaluate('window.__pwned')).toBeUndefined();

    // Both pages see the Job complete without a reload.
    await waitFor(page.locator(`tr[data-job="default/${name}"][data-state="Complete"]`), list);
    expect(await row.locator('.counts').textContent()).toBe('1/1 succeeded');
    expect(await row.textContent()).toContain('Complete: CompletionsReached');
    await detail.page.locator('#job[data-state="Complete"]').waitFor();
    const pod = detail.page.locator(`#pods tr[data-pod^="${name}-"]`);
    expect(await pod.count()).toBe(1);
    await pod.filter({ hasText: 'Completed' }).waitFor();
    expect(await pod.textContent()).toContain(fleet.workers[0]?.nodeName ?? '?');
    await detail.page.locator('#events').filter({ hasText: 'SuccessfulCreate' }).waitFor();
    await detail.page.locator('#events').filter({ hasText: 'Completed' }).waitFor();
    expect(await detail.page.locator('#conditions').textContent()).toContain('CompletionsReached');

    // One load, one list and one watch of Jobs over the Job's ≥ 8 s: the page follows the watch, it does not
    // poll. One more list-and-watch is allowed: an informer lists again after a 410 or a failed request (CI
    // saw one on a loaded machine), and a page polling every few seconds would still make several.
    const jobCalls = (await Promise.all(list.requests)).filter((r) => new URL(r.url).pathname === '/apis/batch/v1/jobs');
    const calls = jobCalls.map((r) => `${r.status} ${r.url}`).join('\n');
    const lists = jobCalls.filter((r) => !r.url.includes('watch=')).length;
    const watches = jobCalls.filter((r) => r.url.includes('watch=1')).length;
    expect(lists, calls).toBeGreaterThanOrEqual(1);
    expect(lists, calls).toBeLessThanOrEqual(2);
    expect(watches, calls).toBeGreaterThanOrEqual(1);
    expect(watches, calls).toBeLessThanOrEqual(2);
    if (lists + watches > 2) console.log(`the Jobs page listed or watched again:\n${calls}`);
    expect(list.loads).toBe(1);

    // Links move within the page (the hash), without loading it again.
    await row.locator('a').click();
    await page.locator('#log').filter({ hasText: `last-${marker}` }).waitFor();
    await page.locator('a', { hasText: '← Jobs' }).click();
    await page.locator(`tr[data-job="default/${name}"][data-state="Complete"]`).waitFor();

    // Nodes: the worker, Ready, with its capacity.
    await page.locator('nav a[href="#/nodes"]').click();
    const node = page.locator(`#nodes tr[data-node="${fleet.workers[0]?.nodeName}"]`);
    await node.waitFor();
    expect(await node.getAttribute('data-state')).toBe('Ready');
    expect(await node.textContent()).toMatch(/\/4/);

    // CronJobs: one created now appears with its schedule.
    const cronName = uniqueName('nightly');
    await fleet.client.createCronJob({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: cronName },
      spec: { schedule: '30 2 * * *', suspend: true, jobTemplate: { spec: shellJob('x', 'true').spec } },
    } as CronJob);
    await page.locator('nav a[href="#/cronjobs"]').click();
    await page.locator(`#cronjobs tr[data-cronjob="default/${cronName}"]`).filter({ hasText: '30 2 * * *' }).waitFor();
    expect(list.loads).toBe(1);

    if (UPDATE_SCREENSHOTS) {
      await screenshot(page, 'cronjobs');
      await page.locator('nav a[href="#/nodes"]').click();
      await node.waitFor();
      await screenshot(page, 'nodes');
      await page.locator('nav a[href="#/"]').click();
      await waitFor(page.locator('tr[data-state="Failed"]'), list);
      await screenshot(page, 'jobs');
      await screenshot(detail.page, 'job');
    }
    expect([...list.errors, ...detail.errors]).toEqual([]);
  });
});

describe('the dashboard with an API token', () => {
  const token = `dash-${randomUUID()}`;
  let fleet: Fleet;
  useFleet({ workers: 0, janitor: false, token }, (started) => {
    fleet = started;
  });

  it('opens without the token (no data in the page), asks for it once, keeps it in the tab and sends it as a bearer header', async () => {
    const name = uniqueName('secret');
    await fleet.client.createJob(shellJob(name, 'true'));
    const { page, requests, errors } = await openPage();
    const response = await page.goto(`${fleet.api.url}/ui`);
    expect(response?.status()).toBe(200);
    const form = page.locator('#token-form');
    await form.waitFor();
    expect(await page.locator(`tr[data-job="default/${name}"]`).count()).toBe(0);

    // The data calls without the token are refused, from the page and from outside it.
    expect(await page.evaluate(async () => (await fetch('/apis/batch/v1/jobs')).status)).toBe(401);
    expect((await fetch(`${fleet.api.url}/apis/batch/v1/jobs`)).status).toBe(401);
    expect((await fetch(`${fleet.api.url}/apis/batch/v1/jobs`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    // A wrong token is refused and asked for again; the right one shows the data.
    await form.locator('input').fill('not-the-token');
    await form.locator('button').click();
    await form.locator('.error').filter({ hasText: 'refused' }).waitFor();
    await form.locator('input').fill(token);
    await form.locator('button').click();
    await page.locator(`tr[data-job="default/${name}"]`).waitFor();
    expect(await form.count()).toBe(0);
    expect(await page.evaluate("sessionStorage.getItem('jobfleet.token')")).toBe(token);

    // Kept for the tab: a reload asks no more.
    await page.reload();
    await page.locator(`tr[data-job="default/${name}"]`).waitFor();
    expect(await form.count()).toBe(0);

    const seen = await Promise.all(requests);
    expect(seen.filter((r) => r.url.includes(token))).toEqual([]);
    const apiCalls = seen.filter((r) => /^\/api(s)?\//.test(new URL(r.url).pathname));
    expect(apiCalls.some((r) => r.headers.authorization === `Bearer ${token}`)).toBe(true);
    // After the right token was given, every call carried it (before: none or the wrong one).
    const firstGood = apiCalls.findIndex((r) => r.headers.authorization === `Bearer ${token}`);
    expect(apiCalls.slice(firstGood).filter((r) => r.headers.authorization !== `Bearer ${token}`)).toEqual([]);
    expect(apiCalls.some((r) => r.headers.authorization === 'Bearer not-the-token')).toBe(true);

    // Forgetting it empties the tab's storage and asks again.
    await page.locator('button.forget').click();
    await form.waitFor();
    expect(await page.evaluate("sessionStorage.getItem('jobfleet.token')")).toBeNull();
    // Refused calls are logged by the browser as errors; nothing else may be (a CSP violation would be).
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
