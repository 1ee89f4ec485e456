/**
 * Images a client sends to grok-web (`image_url` parts): data URLs decoded, http(s) URLs fetched
 * by Switchboard, both uploaded to the fake Grok with the serving account. What a client must
 * not be able to do: make Switchboard fetch from a private address (SSRF), or have its own broken
 * image counted against an account.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useFakeGrok } from './helpers/lifecycle.js';
import OpenAI from 'openai';
import { GROK_SSO, grokReply } from './fakes/grok-web.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { request } from 'undici';
import { guardedAgent } from '../plugins/grok-web/guarded-agent.js';
import { isPrivateAddress } from '../plugins/grok-web/private-address.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

const fake = useFakeGrok();
let sb: RunningSwitchboard | undefined;

afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function start(extra: Record<string, unknown> = {}) {
  sb = await startSwitchboard({
    providers: [
      {
        id: 'grok',
        plugin: 'grok-web',
        chatTransport: 'http', // this suite is the HTTP dialect's; the gateway has grok-gateway.test.ts
        baseUrl: fake.grok.url,
        assetsUrl: fake.grok.assetsUrl,
        credentials: [{ value: GROK_SSO.basic, tier: 'basic' }],
        ...extra,
      },
    ],
  });
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
}

const chats = () => fake.grok.requests.filter((r) => r.endpoint === 'conversation');
const uploads = () => fake.grok.requests.filter((r) => r.endpoint === 'upload');
const account = () => sb!.app.switchboard.providers.get('grok')!.pool.snapshot()[0];

/** One user message: a text part, then the image. */
const withImage = (url: string) => ({ model: 'grok-3', messages: [{ role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url } }] }] });

async function ask(body: unknown): Promise<{ status: number; error?: { message: string; type: string; param: string | null; code: string | null } }> {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as { error?: { message: string; type: string; param: string | null; code: string | null } };
  return { status: res.status, error: json.error };
}

/**
 * An image server on every loopback address at once (`::`, dual stack: 127.0.0.1, ::1 and
 * ::ffff:127.0.0.1 all reach it), counting connections as well as requests.
 */
async function imageServer(body: Buffer = PNG, type = 'image/png') {
  const seen: http.IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '::', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    seen,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('grok-web image input', () => {
  it('a data-URL image is uploaded with the account and sent as an attachment', async () => {
    const client = await start();
    const r = await client.chat.completions.create(withImage(`data:image/png;base64,${PNG.toString('base64')}`) as never);
    const upload = fake.grok.uploads.at(-1)!;
    expect(upload.bytes.equals(PNG)).toBe(true);
    expect(upload.mimeType).toBe('image/png');
    expect(upload.account).toBe(GROK_SSO.basic);
    expect(chats()[0].body?.fileAttachments).toEqual([upload.fileId]);
    expect((r as OpenAI.ChatCompletion).choices[0].message.content).toBe(grokReply('see', [upload.fileId]));
  });

  it('data URLs with parameters and percent-encoded data decode to their bytes', async () => {
    await start();
    expect((await ask(withImage(`data:image/png;name=cat.png;base64,${PNG.toString('base64')}`))).status).toBe(200);
    expect(fake.grok.uploads.at(-1)!.bytes.equals(PNG)).toBe(true);
    expect((await ask(withImage('data:image/svg+xml,%3Csvg%20xmlns%3D%22x%22%2F%3E%e2%9c%93'))).status).toBe(200);
    expect(fake.grok.uploads.at(-1)!.bytes.toString('utf8')).toBe('<svg xmlns="x"/>✓');
    expect(fake.grok.uploads.at(-1)!.mimeType).toBe('image/svg+xml');
  });

  it('when private addresses are allowed, the image is fetched without any account cookie', async () => {
    const img = await imageServer();
    try {
      await start({ imageInput: { allowPrivate: true } });
      const res = await ask(withImage(`http://[::ffff:127.0.0.1]:${img.port}/cat.png`));
      expect(res.status).toBe(200);
      expect(img.seen).toHaveLength(1);
      expect(img.seen[0].cookie).toBeUndefined();
      expect(fake.grok.uploads.at(-1)!.bytes.equals(PNG)).toBe(true);
    } finally {
      await img.close();
    }
  });
});

describe('grok-web image URLs never reach a private address', () => {
  let img: Awaited<ReturnType<typeof imageServer>>;
  beforeAll(async () => {
    img = await imageServer();
  });
  afterAll(async () => {
    await img.close();
  });

  // Every spelling of "this machine" the fake image server answers on; a URL parser normalises some (`[::ffff:127.0.0.1]` becomes `[::ffff:7f00:1]`).
  const forms = (port: number) => [
    `http://127.0.0.1:${port}/cat.png`,
    `http://localhost:${port}/cat.png`,
    `http://[::1]:${port}/cat.png`,
    `http://[::]:${port}/cat.png`,
    `http://0.0.0.0:${port}/cat.png`,
    `http://2130706433:${port}/cat.png`,
    `http://0x7f.1:${port}/cat.png`,
    `http://[::ffff:127.0.0.1]:${port}/cat.png`,
    `http://[::ffff:7f00:1]:${port}/cat.png`,
    `http://[0:0:0:0:0:ffff:7f00:1]:${port}/cat.png`,
    `http://[::ffff:0.0.0.0]:${port}/cat.png`,
    `http://[::127.0.0.1]:${port}/cat.png`,
    `http://[64:ff9b::7f00:1]:${port}/cat.png`,
    `http://[2002:7f00:1::]:${port}/cat.png`,
  ];
  // Addresses off this machine (the metadata service, private networks) are checked by the
  // range test below without a socket: a test must never send traffic there, even when broken.

  it('regression: IPv4-mapped, NAT64, 6to4 and unspecified forms of loopback are refused with a 400, the server never contacted', async () => {
    await start();
    const leaked: string[] = [];
    const errors: unknown[] = [];
    for (const url of forms(img.port)) {
      const res = await ask(withImage(url));
      if (res.status !== 400 || !res.error?.message.includes('private address')) leaked.push(`${url} -> ${res.status} ${res.error?.message ?? ''}`);
      const { type, code, param } = res.error ?? {};
      errors.push({ type, code, param });
    }
    expect(leaked).toEqual([]);
    for (const e of errors) expect(e).toEqual({ type: 'invalid_request_error', code: 'invalid_value', param: 'messages[0].content[1].image_url.url' });
    expect(img.connections()).toBe(0);
    expect(img.seen).toHaveLength(0);
    expect(uploads()).toHaveLength(0);
    expect(chats()).toHaveLength(0);
    expect(account().failures).toBe(0);
  });

  it('regression: knows every private, loopback, link-local, CGNAT, reserved and mapped range', () => {
    const priv = [
      '0.0.0.0', '0.1.2.3', '10.1.2.3', '100.64.0.1', '100.127.255.254', '127.0.0.1', '127.255.255.255', '169.254.169.254',
      '172.16.0.1', '172.31.255.255', '192.0.0.8', '192.0.2.1', '192.88.99.1', '192.168.1.1', '198.18.0.1', '198.19.255.255',
      '198.51.100.1', '203.0.113.1', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
      '::', '::1', '::7f00:1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::FFFF:7F00:1', '0:0:0:0:0:ffff:7f00:1', '::ffff:a9fe:a9fe',
      '::ffff:0:0', '::ffff:10.0.0.1', '::ffff:c0a8:101', '64:ff9b::7f00:1', '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b::a00:1',
      '64:ff9b:1::1', '2002:7f00:1::', '2002:a9fe:a9fe::1', '2002:c0a8:101::', '100::1', '2001::1', '2001:db8::1',
      'fc00::1', 'fd00::1', 'fe80::1', 'fe80::1%eth0', 'febf::1', 'fec0::1', 'ff02::1', '[::1]', 'localhost', '', undefined,
    ];
    const pub = ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '192.0.1.1', '198.20.0.1', '223.255.255.255', '::ffff:8.8.8.8', '::ffff:808:808', '64:ff9b::808:808', '2002:808:808::', '2606:4700:4700::1111', '2a00:1450:4001::1'];
    for (const ip of priv) expect(isPrivateAddress(ip), String(ip)).toBe(true);
    for (const ip of pub) expect(isPrivateAddress(ip), ip).toBe(false);
  });
});

describe('the guarded agent', () => {
  // Tests have no public address to fetch from: a block list without loopback IPv4 plays "public".
  const onlyV4Loopback = (ip: string | undefined) => !(ip === '127.0.0.1' || ip === '::ffff:127.0.0.1');

  it('connects to an allowed address, by literal and by name; a name with any blocked answer is refused', async () => {
    const img = await imageServer();
    const agent = guardedAgent(false, onlyV4Loopback);
    try {
      const res = await request(`http://127.0.0.1:${img.port}/cat.png`, { dispatcher: agent });
      expect(Buffer.from(await res.body.arrayBuffer()).equals(PNG)).toBe(true);
      await expect(request(`http://[::1]:${img.port}/`, { dispatcher: agent })).rejects.toMatchObject({ code: 'EPRIVATE' });
      // a name: refused when any of its answers is blocked (localhost's ::1, where it has one)
      const answers = (await lookup('localhost', { all: true })).map((a) => a.address);
      const named = await request(`http://localhost:${img.port}/cat.png`, { dispatcher: agent }).then((r) => r.body.dump().then(() => 'fetched'), (e: { code?: string }) => e.code);
      expect(named).toBe(answers.some(onlyV4Loopback) ? 'EPRIVATE' : 'fetched');
      expect(img.seen).toHaveLength(named === 'fetched' ? 2 : 1);
    } finally {
      await agent.close();
      await img.close();
    }
  });

  it('checks the address actually connected to, and sends nothing there when it is blocked', async () => {
    const img = await imageServer();
    // allowed when the URL is looked at, blocked once connected: the remote-address check must catch it
    let calls = 0;
    const agent = guardedAgent(false, () => ++calls > 1);
    try {
      await expect(request(`http://127.0.0.1:${img.port}/cat.png`, { dispatcher: agent })).rejects.toMatchObject({ code: 'EPRIVATE' });
      expect(calls).toBe(2);
      expect(img.seen).toHaveLength(0);
    } finally {
      await agent.close();
      await img.close();
    }
  });
});

describe('grok-web refuses broken images as the client\'s mistake', () => {
  /** A second message whose third part is the image: the error must name exactly that part. */
  const secondMessage = (url: string) => ({
    model: 'grok-3',
    messages: [
      { role: 'user', content: 'hello' },
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }, { type: 'image_url', image_url: { url } }] },
    ],
  });

  it.each([
    ['data:image/png;base64,%%%%', 'base64'],
    ['data:image/png;base64,QUJD%%%%%%%%', 'base64'],
    ['data:text/html,<b>hi</b>', 'text/html, not an image'],
    ['data:,hello', 'text/plain, not an image'],
    ['data:image/png;base64,', 'no data'],
    ['data:image/png,', 'no data'],
    ['data:image/png;base64', 'without a comma'],
  ])('regression: %s is a 400 naming the message and part, nothing uploaded', async (url, says) => {
    await start();
    const res = await ask(secondMessage(url));
    expect(res.status).toBe(400);
    expect(res.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'messages[1].content[2].image_url.url' });
    expect(res.error!.message).toContain('messages[1].content[2].image_url.url');
    expect(res.error!.message).toContain(says);
    expect(uploads()).toHaveLength(0);
    expect(chats()).toHaveLength(0);
  });

  it('regression: a linked image of 0 bytes, or one that is not an image, is a 400 and is not uploaded', async () => {
    const empty = await imageServer(Buffer.alloc(0));
    const html = await imageServer(Buffer.from('<html></html>'), 'text/html');
    try {
      await start({ imageInput: { allowPrivate: true } });
      let res = await ask(secondMessage(`http://127.0.0.1:${empty.port}/empty.png`));
      expect(res.status).toBe(400);
      expect(res.error).toMatchObject({ param: 'messages[1].content[2].image_url.url' });
      expect(res.error!.message).toContain('is empty');
      res = await ask(secondMessage(`http://127.0.0.1:${html.port}/page`));
      expect(res.status).toBe(400);
      expect(res.error!.message).toContain('not an image (text/html)');
      expect(uploads()).toHaveLength(0);
    } finally {
      await empty.close();
      await html.close();
    }
  });

  it('regression: a malformed percent-escape (data:image/png,%zz) is a 400 request_invalid, never held against the account or the breaker', async () => {
    // The default retry (3 attempts) and breaker (open after 5 failures in a row): a client error
    // must not spend either.
    await start();
    for (let i = 0; i < 6; i++) {
      const res = await ask(withImage('data:image/png,%zz'));
      expect(res.status).toBe(400);
      expect(res.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'messages[0].content[1].image_url.url' });
      expect(res.error!.message).toContain('percent-escape');
    }
    const handle = sb!.app.switchboard.providers.get('grok')!;
    expect(handle.policies.openBreakers()).toEqual({});
    expect(account()).toMatchObject({ failures: 0, consecutiveFailures: 0, skipRequests: 0, enabled: true });
    expect(account().lastError).toBeUndefined();
    expect(uploads()).toHaveLength(0);
    // and the account still serves at once
    expect((await ask({ model: 'grok-3', messages: [{ role: 'user', content: 'still here?' }] })).status).toBe(200);
  });
});
