/**
 * Grok image generation end to end: the openai client -> Switchboard -> the fake Grok server, the
 * generated images downloaded with the account that made them into the core's image cache and
 * fetched back from Switchboard at /v1/files/image/{id}.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useFakeGrok } from './helpers/lifecycle.js';
import { GROK_SSO, fakeJpeg } from './fakes/grok-web.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const IMAGE_MODEL = 'grok-imagine-image-lite';
const CLIENT_KEY = 'sk-client-images';

const fake = useFakeGrok();
let sb: RunningSwitchboard | undefined;
let cacheDir: string;
/** The fake keeps every image it ever made: a test looks at those after this mark. */
let mark = 0;

beforeEach(async () => {
  mark = fake.grok.images.length;
  cacheDir = await mkdtemp(join(tmpdir(), 'sb-images-'));
});
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  await rm(cacheDir, { recursive: true, force: true });
});

async function start(images: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  sb = await startSwitchboard({
    auth: { apiKeys: [CLIENT_KEY] },
    providers: [
      {
        id: 'grok',
        plugin: 'grok-web',
        chatTransport: 'http', // this suite is the HTTP dialect's; the gateway has grok-gateway.test.ts
        baseUrl: fake.grok.url,
        assetsUrl: fake.grok.assetsUrl,
        credentials: [{ value: GROK_SSO.basic, tier: 'basic' }, { value: GROK_SSO.super, tier: 'super' }],
        retry: { attempts: 1 },
        images: { cacheDir, ...images },
        ...extra,
      },
    ],
  });
  return new OpenAI({ baseURL: sb.baseURL, apiKey: CLIENT_KEY, maxRetries: 0 });
}

/** The uuid of a generated image, from the fake's record of what it made. */
const made = () => fake.grok.images.slice(mark);
const uuids = () => made().filter((i) => !i.moderated).map((i) => i.uuid);
const markdownLinks = (text: string) => [...text.matchAll(/!\[image\]\(([^)]+)\)/g)].map((m) => m[1]);

/** GET a URL with no credentials at all, as a browser rendering the markdown would (one connection each). */
function fetchImage(url: string): Promise<{ status: number; type: string | undefined; bytes: Buffer; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const bytes = Buffer.concat(parts);
          resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], bytes, body: bytes.toString('utf8') });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('grok-web image generation', () => {
  it('chat on the image model answers with two markdown images served by Switchboard, bytes equal to Grok\'s', async () => {
    const client = await start();
    const r = await client.chat.completions.create({ model: IMAGE_MODEL, messages: [{ role: 'user', content: 'a lighthouse at dusk' }] });
    const links = markdownLinks(r.choices[0].message.content ?? '');
    expect(links).toHaveLength(2);
    const made = uuids();
    expect(made).toHaveLength(2);
    for (const [i, link] of links.entries()) {
      expect(link.startsWith(`${sb!.origin}/v1/files/image/`)).toBe(true);
      expect(link).not.toContain(made[i]); // our ids, not Grok's
      const got = await fetchImage(link); // no API key needed
      expect(got.status).toBe(200);
      expect(got.type).toBe('image/jpeg');
      expect(got.bytes.equals(fake.grok.imageBytes(made[i])!)).toBe(true);
    }
    // Downloaded from the assets host with the cookie of the account that made them.
    const conversation = fake.grok.requests.find((q) => q.endpoint === 'conversation')!;
    const downloads = fake.grok.requests.filter((q) => q.endpoint === 'asset');
    expect(downloads).toHaveLength(2);
    for (const d of downloads) expect(d.account).toBe(conversation.account);
    expect(conversation.body).toMatchObject({ message: 'Drawing: a lighthouse at dusk', imageGenerationCount: 2 });
  });

  it('a streamed chat carries the same links in its content', async () => {
    const client = await start();
    const stream = await client.chat.completions.create({ model: IMAGE_MODEL, messages: [{ role: 'user', content: 'two cats' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    const links = markdownLinks(text);
    expect(links).toHaveLength(2);
    const got = await fetchImage(links[1]);
    expect(got.bytes.equals(fake.grok.imageBytes(uuids()[1])!)).toBe(true);
  });

  it('POST /v1/images/generations: n images as URLs, more than four made over two conversations', async () => {
    const client = await start();
    const r = await client.images.generate({ model: IMAGE_MODEL, prompt: 'a red bicycle', n: 5 });
    expect(r.data).toHaveLength(5);
    expect(fake.grok.requests.filter((q) => q.endpoint === 'conversation').map((q) => q.body?.imageGenerationCount)).toEqual([4, 1]);
    const made = uuids();
    for (const [i, d] of r.data!.entries()) {
      const got = await fetchImage(d.url!);
      expect(got.type).toBe('image/jpeg');
      expect(got.bytes.equals(fake.grok.imageBytes(made[i])!)).toBe(true);
    }
    expect(typeof r.created).toBe('number');
    // and the access log has its line, with the account that made them (masked)
    sb!.app.switchboard.accessLog?.flush();
    const [line] = sb!.logs.filter((l) => l.msg === 'served');
    expect(line).toMatchObject({ route: '/v1/images/generations', status: 200, model: IMAGE_MODEL, provider: 'grok', attempts: 1 });
    expect(String(line.credential)).not.toContain(GROK_SSO.basic);
  });

  it('response_format b64_json returns the bytes inline and caches nothing', async () => {
    const client = await start();
    const r = await client.images.generate({ model: IMAGE_MODEL, prompt: 'a blue kite', n: 1, response_format: 'b64_json' });
    expect(r.data).toHaveLength(1);
    expect(Buffer.from(r.data![0].b64_json!, 'base64').equals(fake.grok.imageBytes(uuids()[0])!)).toBe(true);
    expect((await readdir(cacheDir).catch(() => [])).length).toBe(0);
  });

  it('an unknown image id, a malformed one and an evicted one are 404 with the OpenAI envelope', async () => {
    // Room for about one of the fake's images: each new one evicts the one before.
    const size = fakeJpeg('x').length;
    const client = await start({ maxCacheMb: (size * 1.5) / 1024 / 1024 });
    const first = await client.images.generate({ model: IMAGE_MODEL, prompt: 'one', n: 1 });
    expect((await fetchImage(first.data![0].url!)).status).toBe(200);
    const second = await client.images.generate({ model: IMAGE_MODEL, prompt: 'two', n: 1 });
    expect((await fetchImage(second.data![0].url!)).status).toBe(200);
    const evicted = await fetchImage(first.data![0].url!);
    expect(evicted.status).toBe(404);
    expect(JSON.parse(evicted.body).error).toMatchObject({ code: 'file_not_found', type: 'invalid_request_error' });
    expect(await readdir(cacheDir)).toHaveLength(1); // the evicted file is gone from disk too
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA.jpg', '..%2F..%2Fetc%2Fpasswd', 'x']) {
      const r = await fetchImage(`${sb!.origin}/v1/files/image/${id}`);
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body).error.code).toBe('file_not_found');
    }
  });

  it('cached images survive a restart', async () => {
    const client = await start();
    const r = await client.images.generate({ model: IMAGE_MODEL, prompt: 'keep me', n: 1 });
    const id = r.data![0].url!.split('/').pop()!;
    await sb!.close();
    const asked = fake.grok.requests.length;
    await start();
    const got = await fetchImage(`${sb!.origin}/v1/files/image/${id}`);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(fake.grok.imageBytes(uuids()[0])!)).toBe(true);
    expect(fake.grok.requests.slice(asked)).toEqual([]); // served from the disk cache, not fetched from Grok again
  });

  it('links are built on images.baseUrl when set, else on the address the client used', async () => {
    await start({ baseUrl: 'https://img.example.com/' });
    let res = await fetch(`${sb!.baseURL}/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: IMAGE_MODEL, prompt: 'p' }),
    });
    expect(((await res.json()) as { data: { url: string }[] }).data[0].url).toMatch(/^https:\/\/img\.example\.com\/v1\/files\/image\/[A-Za-z0-9_-]{22}\.jpg$/);
    await sb!.close();
    await start();
    res = await fetch(`${sb!.baseURL}/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT_KEY}`, 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'sb.example.org' },
      body: JSON.stringify({ model: IMAGE_MODEL, prompt: 'p' }),
    });
    expect(((await res.json()) as { data: { url: string }[] }).data[0].url).toMatch(/^https:\/\/sb\.example\.org\/v1\/files\/image\//);
  });

  it('images.format grok_url links to Grok itself; base64 inlines data URLs', async () => {
    let client = await start({ format: 'grok_url' });
    let r = await client.chat.completions.create({ model: IMAGE_MODEL, messages: [{ role: 'user', content: 'a' }] });
    expect(markdownLinks(r.choices[0].message.content ?? '')).toEqual(made().map((i) => i.path).map((p) => `${fake.grok.assetsUrl}/${p}`));
    await sb!.close();
    fake.grok.clear();
    client = await start({ format: 'base64' });
    r = await client.chat.completions.create({ model: IMAGE_MODEL, messages: [{ role: 'user', content: 'b' }] });
    const links = markdownLinks(r.choices[0].message.content ?? '');
    const latest = fake.grok.images.slice(-2);
    expect(links).toEqual(latest.map((i) => `data:image/jpeg;base64,${i.bytes.toString('base64')}`));
  });

  it('an image that cannot be cached leaves Grok\'s link in a chat answer and says so in the log', async () => {
    const blocked = join(cacheDir, 'not-a-folder');
    await writeFile(blocked, 'a file where the cache folder should be');
    const client = await start({ cacheDir: blocked });
    const r = await client.chat.completions.create({ model: IMAGE_MODEL, messages: [{ role: 'user', content: 'ok' }] });
    expect(markdownLinks(r.choices[0].message.content ?? '')).toEqual(made().map((i) => `${fake.grok.assetsUrl}/${i.path}`));
    expect(sb!.logs.filter((l) => l.msg?.includes('could not keep a generated image'))).toHaveLength(2);
  });

  it('refuses what it cannot do: a model without images, n out of range, every image moderated', async () => {
    const client = await start();
    await expect(client.images.generate({ model: 'grok-3', prompt: 'x' })).rejects.toMatchObject({ status: 400, error: { param: 'model', code: 'unsupported_operation' } });
    await expect(client.images.generate({ model: IMAGE_MODEL, prompt: 'x', n: 11 })).rejects.toMatchObject({ status: 400 });
    await expect(client.images.generate({ model: IMAGE_MODEL, prompt: '' })).rejects.toMatchObject({ status: 400 });
    await expect(client.images.generate({ model: 'mock/echo', prompt: 'x' })).rejects.toMatchObject({ status: 404 });
    fake.grok.script('*', { kind: 'moderated', images: 4 });
    await expect(client.images.generate({ model: IMAGE_MODEL, prompt: 'x', n: 2 })).rejects.toMatchObject({ status: 400, error: { param: 'prompt', code: 'content_policy_violation' } });
    expect(fake.grok.requests.filter((q) => q.endpoint === 'asset')).toHaveLength(0);
  });

  it('the endpoint needs the client API key; the image links do not', async () => {
    await start();
    const res = await fetch(`${sb!.baseURL}/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: IMAGE_MODEL, prompt: 'p' }) });
    expect(res.status).toBe(401);
  });
});
