/**
 * The operator console (`/admin`) in a real browser: headless Chromium (Debian's `chromium`,
 * driven by playwright-core) signs in, walks every page as an operator would and checks what it
 * shows: providers, a provider's credentials (add by paste, test, disable), usage charts drawn
 * from real traffic, the live request tail, a quota refresh to 100 %, the playground streaming a
 * reply, settings, and logout closing the session. Throughout: no console error, no page error,
 * no request to another origin. Screenshots of each page land in test/artifacts/.
 * Skipped where no Chromium is installed, except under CI, where a missing Chromium fails.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROK_SSO } from './fakes/grok-web.js';
import { useFakeGrok, useFakeOpenAI } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const KEYS = ['sk-console-test-upstream-aaaa1111', 'sk-console-test-upstream-bbbb2222'];
const ADDED = 'sk-console-test-pasted-eeee5555';
const ADMIN = 'sk-console-browser-admin-0001';
const CLIENT = 'sk-console-browser-client-0002';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// Under CI the browser is installed by .ci/run and this suite never skips: a missing chromium fails.
if (process.env.CI && !CHROMIUM) throw new Error('CI: Debian chromium is missing (.ci/run installs it)');

const grok = useFakeGrok();
const fake = useFakeOpenAI();
let sb: RunningSwitchboard;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let client: OpenAI;

/** What the page did that a user would not want: console errors, page errors, foreign requests, failed answers. */
const seen = { consoleErrors: [] as string[], pageErrors: [] as string[], requests: [] as string[], failed: [] as string[] };

beforeAll(async () => {
  if (!CHROMIUM) return;
  sb = await startSwitchboard({
    auth: { apiKeys: [{ key: CLIENT, name: 'team-a' }], adminKey: ADMIN },
    plugins: { admin: {} },
    providers: [
      { id: 'up', plugin: 'openai-compatible', baseUrl: fake.up.url, credentials: [{ value: KEYS[0], name: 'team-a', tier: 'pro' }, KEYS[1]], ...ONE_ATTEMPT, models: ['gpt-4o-mini'] },
      { id: 'grok', plugin: 'grok-web', baseUrl: grok.grok.url, assetsUrl: grok.grok.assetsUrl, credentials: [{ value: GROK_SSO.super, tier: 'super' }, { value: GROK_SSO.basic, tier: 'basic', name: 'grok-basic' }] },
      { id: 'mock', plugin: 'mock', chunkDelayMs: 20 },
    ],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
  });
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: CLIENT, maxRetries: 0 });
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  context = await browser.newContext({ viewport: DESKTOP });
  page = await context.newPage();
  page.setDefaultTimeout(5000); // a step that cannot happen fails in 5 s, not at the test's timeout
  page.on('console', (m) => {
    if (m.type() === 'error') seen.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => seen.pageErrors.push(e.message));
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('response', (r) => {
    if (r.status() >= 400) seen.failed.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await sb?.close();
});

/** A screenshot of what is on screen, after dismissing the toasts (they would hide the page). */
async function shot(name: string) {
  // clicked inside the page: a toast may time out and go while a locator would wait for it
  await page.getByTestId('toast-close').evaluateAll((buttons) => buttons.forEach((b) => (b as unknown as { click(): void }).click()));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Go to a console page by its hash and wait until it has rendered. */
async function open(hash: string, testid: string, extra = '') {
  await page.evaluate((h) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = h;
  }, hash);
  await page.locator(`[data-testid=${testid}][data-loaded=true]${extra}`).waitFor();
}

const row = (id: string) => page.locator(`[data-testid=credential-row][data-id="${id}"]`);

describe.skipIf(!CHROMIUM)('the operator console in a real browser (Chromium)', () => {
  it('signs in: the login form, a wrong key refused with the message shown, the right key opens the app', async () => {
    await page.goto(`${sb.origin}/admin`);
    await page.getByTestId('login-form').waitFor();
    expect(seen.failed).toEqual([]); // the page's stylesheet, script and icon are served before login
    await page.getByTestId('login-key').fill('sk-not-the-admin-key');
    await page.getByTestId('login-submit').click();
    const status = page.getByTestId('login-status');
    expect(await status.textContent()).toMatch(/checking/i); // the server takes its time on a wrong key
    await page.locator('[data-testid=login-status].error').waitFor({ timeout: 10_000 });
    const message = (await status.textContent()) ?? '';
    expect(message.trim().length).toBeGreaterThan(0);
    expect(message).not.toMatch(/checking/i);
    expect(await page.getByTestId('nav').count()).toBe(0); // still the login page
    await shot('login');

    await page.getByTestId('login-key').fill(ADMIN);
    await page.getByTestId('login-submit').click();
    await page.locator('[data-testid=page-providers][data-loaded=true]').waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe('/admin');
  });

  it('the providers page lists every provider; the credentials page lists the pool by name', async () => {
    const cards = page.getByTestId('provider-card');
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-provider')))).toEqual(['up', 'grok', 'mock']);
    const up = page.locator('[data-testid=provider-card][data-provider=up]');
    expect(await up.getByTestId('provider-ready').textContent()).toBe('ready');
    expect(await up.getByTestId('count-ok').textContent()).toBe('2 ok');
    expect(await up.textContent()).toContain('gpt-4o-mini');
    await shot('providers');

    await up.getByTestId('provider-open-credentials').click();
    await page.locator('[data-testid=page-credentials][data-loaded=true][data-provider=up]').waitFor();
    const names = await page.getByTestId('credential-name').allTextContents();
    expect(names).toEqual(['team-a', 'unnamed']);
    expect(await page.locator('[data-testid=credential-row]').nth(1).getAttribute('data-id')).toMatch(/^sk-…2222·[0-9a-f]{4}$/);
    expect(await page.content()).not.toContain(KEYS[1]);
  });

  it('adds a credential by paste, tests it (ok, with a latency), disables it (shown disabled)', async () => {
    await page.getByTestId('cred-add').click();
    await page.getByTestId('add-paste').fill(`# from the console test\n${ADDED}\n`);
    await page.getByTestId('add-name').fill('console-added');
    await page.getByTestId('add-tier').fill('pro');
    await page.getByTestId('add-submit').click();
    await row('console-added').waitFor();
    expect(await row('console-added').getByTestId('credential-state').textContent()).toBe('ok');
    expect(await row('console-added').textContent()).toContain('pro');

    await row('console-added').getByTestId('cred-test').click();
    const result = row('console-added').locator('[data-testid=test-result][data-ok]');
    await result.waitFor();
    expect(await result.getAttribute('data-ok')).toBe('true');
    expect(await result.textContent()).toMatch(/^ok · HTTP 200 · \d+ ms$/);
    expect(fake.up.keysSeen()).toContain(ADDED); // the test call went out with the pasted key

    await row('console-added').getByTestId('cred-disable').click();
    await page.getByTestId('dialog-input').fill('rotated out by the console test');
    await page.getByTestId('dialog-confirm').click();
    await page.locator('[data-testid=credential-row][data-id="console-added"][data-state=disabled]').waitFor();
    expect(await row('console-added').getByTestId('credential-state').textContent()).toBe('disabled');
    expect(await row('console-added').getByTestId('disabled-reason').textContent()).toBe('rotated out by the console test');
    expect(await row('console-added').getByTestId('cred-enable').count()).toBe(1);
    expect(await page.content()).not.toContain(ADDED);
    await shot('credentials');

    await page.setViewportSize(PHONE);
    await page.waitForTimeout(100);
    // one column: nothing wider than the screen
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    expect(await page.getByTestId('menu-toggle').isVisible()).toBe(true);
    expect(await page.getByTestId('nav-usage').isVisible()).toBe(false);
    await shot('credentials-phone');
    await page.setViewportSize(DESKTOP);
  });

  it('the usage page charts the traffic the SDK sent: requests and tokens per hour, by model and by client', async () => {
    for (const content of ['one', 'two', 'three']) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
    await open('#/usage', 'page-usage');
    const chart = page.locator('svg[data-testid=usage-chart]');
    await chart.waitFor();
    expect(await chart.locator('rect').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('svg[data-testid=usage-tokens-chart] rect').count()).toBeGreaterThanOrEqual(1);
    expect(Number((await page.getByTestId('usage-total-requests').textContent())!.replace(/\D/g, ''))).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('usage-legend').textContent()).toContain('gpt-4o-mini');
    await page.getByTestId('usage-by-client').click();
    expect(await page.getByTestId('usage-legend').textContent()).toContain('team-a');
    await page.getByTestId('usage-hours-168').click();
    await page.locator('[data-testid=usage-hours-168][aria-pressed=true]').waitFor();
    await chart.locator('rect').first().waitFor();
    await page.getByTestId('usage-hours-24').click();
    await page.getByTestId('usage-by-model').click();
    await page.locator('svg[data-testid=usage-chart] rect').first().waitFor();
    await shot('usage');
  });

  it('the live page shows a request made while it is open', async () => {
    await open('#/live', 'page-live');
    await page.locator('[data-testid=live-status].ok').waitFor(); // the stream is connected
    const before = new Set(await page.locator('[data-testid=live-row]').evaluateAll((els) => els.map((e) => e.getAttribute('data-req-id'))));
    expect(before.size).toBeGreaterThanOrEqual(3); // the usage page's requests, from the list
    await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'live tail' }] });
    const fresh = page.locator('[data-testid=live-row]', { hasText: 'echo' }).first();
    await fresh.waitFor({ timeout: 5000 });
    expect(before.has(await fresh.getAttribute('data-req-id'))).toBe(false);
    expect(await fresh.textContent()).toContain('team-a');
    expect(await fresh.getAttribute('data-status')).toBe('200');
    // newest first
    expect(await page.locator('[data-testid=live-row]').first().getAttribute('data-req-id')).toBe(await fresh.getAttribute('data-req-id'));
    await shot('live');
  });

  it('refreshing all quotas: refused with its reason where unsupported; on the grok provider it runs to 100 %', async () => {
    await open('#/credentials/up', 'page-credentials', '[data-provider=up]');
    await page.getByTestId('cred-refresh-quotas').click();
    const refused = page.getByTestId('toast-error').last();
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/cannot read its quotas/);
    expect(await page.getByTestId('quota-progress-label').textContent()).toMatch(/^Not available: .*cannot read its quotas/);
    await refused.getByTestId('toast-close').click(); // errors stay until dismissed
    expect(await page.getByTestId('toast-error').count()).toBe(0);

    grok.grok.script(GROK_SSO.super, { kind: 'slow', on: 'quota', firstByteMs: 150 });
    await open('#/credentials/grok', 'page-credentials', '[data-provider=grok]');
    await page.getByTestId('cred-refresh-quotas').click();
    const progress = page.locator('[data-testid=quota-progress][data-running=false]');
    await progress.waitFor({ timeout: 10_000 });
    const total = Number(await progress.getAttribute('data-total'));
    expect(total).toBeGreaterThan(0);
    expect(Number(await progress.getAttribute('data-done'))).toBe(total);
    expect(await progress.getAttribute('data-percent')).toBe('100');
    expect(await page.getByTestId('quota-progress-label').textContent()).toContain(`${total}/${total}, 0 failed · 100 %`);
    await page.locator('[data-testid=credential-row] [data-testid=credential-name]', { hasText: 'grok-basic' }).waitFor();
  });

  it('the playground streams a reply from mock/echo and shows the time to first token', async () => {
    const prompt = 'the console playground streams this sentence back one word at a time so it can be seen arriving';
    await open('#/playground', 'page-playground');
    await page.getByTestId('pg-model').fill('mock/echo');
    await page.getByTestId('pg-prompt').fill(prompt);
    await page.getByTestId('pg-send').click();
    // part of the reply is on screen before the stream has finished
    await page.waitForFunction(() => {
      type Reply = { textContent: string; dataset: Record<string, string> } | null;
      const reply = (globalThis as unknown as { document: { querySelector(s: string): Reply } }).document.querySelector('[data-testid=pg-reply]');
      return !!reply && reply.textContent.length > 0 && reply.dataset.done === 'false';
    });
    await page.locator('[data-testid=pg-reply][data-done=true]').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('pg-reply').textContent()).toBe(prompt);
    expect(await page.getByTestId('pg-ttft').textContent()).toMatch(/^\d+ ms$/);
    expect(await page.getByTestId('pg-tps').textContent()).toMatch(/\/s$/);
    await shot('playground');
  });

  it('the settings page shows the masked config and the image cache', async () => {
    await open('#/settings', 'page-settings');
    const json = (await page.getByTestId('config-json').textContent()) ?? '';
    expect(JSON.parse(json)).toMatchObject({ providers: expect.any(Array) });
    for (const secret of [...KEYS, ADDED, ADMIN, CLIENT]) expect(json).not.toContain(secret);
    await shot('settings');
  });

  it('logout returns to the login page and the old cookie no longer opens the API', async () => {
    const cookie = (await context.cookies(sb.origin)).map((c) => `${c.name}=${c.value}`).join('; ');
    expect(cookie).toContain('swb_admin=');
    expect((await fetch(`${sb.origin}/v1/admin/providers`, { headers: { cookie } })).status).toBe(200);
    await page.getByTestId('logout').click();
    await page.getByTestId('login-form').waitFor();
    expect((await fetch(`${sb.origin}/v1/admin/providers`, { headers: { cookie } })).status).toBe(401);
  });

  it('throughout: no console or page error, every request to the Switchboard origin, no failed answer but the two provoked', () => {
    // A refused answer is also logged by Chromium as "Failed to load resource"; those are checked by `failed`.
    expect(seen.consoleErrors.filter((t) => !/^Failed to load resource: the server responded with a status of 40[01]/.test(t))).toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    expect(seen.requests.length).toBeGreaterThan(10);
    expect(seen.requests.filter((u) => new URL(u).origin !== sb.origin)).toEqual([]);
    expect(seen.failed).toEqual(['POST /admin/login 401', 'POST /v1/admin/providers/up/quotas/refresh 400']);
  });
});
