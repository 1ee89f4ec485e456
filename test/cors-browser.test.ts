/**
 * CORS as a real browser enforces it: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) loads a page from a loopback origin and calls Switchboard with the official
 * openai SDK (`dangerouslyAllowBrowser`, so it sends its x-stainless-* headers and needs the
 * preflight), streaming included; a page from another origin, and admin routes, are blocked by
 * the browser itself. Skipped where no Chromium is installed.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const KEY = 'sk-cors-browser-0123456789';
const ADMIN = 'sk-cors-browser-admin-0123456789';
const SDK_DIR = join(process.cwd(), 'node_modules', 'openai');

let sb: RunningSwitchboard;
let pages: Server;
let browser: Browser;
let pagePort: number;

// The SDK is loaded by the page itself: code passed to page.evaluate must not import (vitest rewrites it).
const PAGE = "<!doctype html><title>chat ui</title><script type=module>import OpenAI from '/openai/index.mjs'; window.OpenAI = OpenAI;</script>";

/** Serves a page and the openai SDK's ES modules, as a web app would from its own origin. */
function pageServer(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path.startsWith('/openai/')) {
      const file = normalize(join(SDK_DIR, path.slice('/openai/'.length)));
      if (!file.startsWith(SDK_DIR)) return void res.writeHead(403).end();
      readFile(file).then(
        (body) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
        () => res.writeHead(404).end(),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  if (!CHROMIUM) return;
  sb = await startSwitchboard({ auth: { apiKeys: [KEY], adminKey: ADMIN }, providers: [{ id: 'mock', plugin: 'mock' }], plugins: { 'token-admin': {} } });
  pages = await pageServer();
  pagePort = (pages.address() as AddressInfo).port;
  // Every name to 127.0.0.1, so `localhost` (allowed) and `ui.test` (not) are both this page server.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP * 127.0.0.1'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (pages ? pages.close(resolve) : resolve(undefined)));
  await sb?.close();
});

async function pageAt(host: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`http://${host}:${pagePort}/`);
  await page.waitForFunction(() => 'OpenAI' in globalThis);
  return page;
}

interface Outcome {
  ok: boolean;
  text?: string;
  status?: number;
  error?: string;
}

/** Ask through the openai SDK inside the page: a chat answer, or the error the page could see. */
function askInPage(page: Page, opts: { stream: boolean; key?: string }): Promise<Outcome> {
  return page.evaluate(
    async ({ baseURL, key, stream }) => {
      const OpenAI = (globalThis as unknown as { OpenAI: typeof import('openai').default }).OpenAI;
      const client = new OpenAI({ baseURL, apiKey: key, dangerouslyAllowBrowser: true, maxRetries: 0 });
      const messages = [{ role: 'user' as const, content: 'hello from the browser' }];
      try {
        if (!stream) {
          const answer = await client.chat.completions.create({ model: 'mock/echo', messages });
          return { ok: true, text: answer.choices[0].message.content ?? '' };
        }
        let text = '';
        for await (const chunk of await client.chat.completions.create({ model: 'mock/echo', messages, stream: true })) text += chunk.choices[0]?.delta.content ?? '';
        return { ok: true, text };
      } catch (err) {
        const e = err as { status?: number; constructor: { name: string } };
        return { ok: false, status: e.status, error: e.constructor.name };
      }
    },
    { baseURL: sb.baseURL, key: opts.key ?? KEY, stream: opts.stream },
  );
}

// Under CI the browser is installed by .ci/run and these never skip: a missing chromium fails.
if (process.env.CI && !CHROMIUM) throw new Error('CI: Debian chromium is missing (.ci/run installs it)');

describe.skipIf(!CHROMIUM)('CORS in a real browser (Chromium)', () => {
  it('a page on localhost talks to Switchboard through the openai SDK, streaming too', async () => {
    const page = await pageAt('localhost');
    expect(await askInPage(page, { stream: false })).toEqual({ ok: true, text: 'hello from the browser' });
    expect(await askInPage(page, { stream: true })).toEqual({ ok: true, text: 'hello from the browser' });
    await page.close();
  }, 60_000);

  it('the page can read an error answer: a wrong key is a 401 AuthenticationError, not a network error', async () => {
    const page = await pageAt('localhost');
    expect(await askInPage(page, { stream: false, key: 'sk-wrong' })).toEqual({ ok: false, status: 401, error: 'AuthenticationError' });
    await page.close();
  }, 60_000);

  it('a page from another origin is blocked by the browser', async () => {
    const page = await pageAt('ui.test');
    expect(await askInPage(page, { stream: false })).toEqual({ ok: false, error: 'APIConnectionError' });
    await page.close();
  }, 60_000);

  it('admin routes stay closed to pages, even an allowed one that holds the admin key', async () => {
    const page = await pageAt('localhost');
    const result = await page.evaluate(async ({ origin, admin }) => {
      try {
        const res = await fetch(`${origin}/v1/tokens/stats`, { headers: { authorization: `Bearer ${admin}` } });
        return `read ${res.status}`;
      } catch (err) {
        return (err as Error).name;
      }
    }, { origin: sb.origin, admin: ADMIN });
    expect(result).toBe('TypeError');
    await page.close();
  }, 60_000);
});
