/**
 * The Grok web fake's WebSocket chat gateway (`/ws/mgw/`), `/api/auth/session`, `/rest/rate-limits`
 * with the gateway-era body and upload v2, driven by a raw `ws` client against the reference's
 * description of grok.com's gateway protocol. No Switchboard involved.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  ANTI_BOT_ERROR,
  FORBIDDEN_ERROR,
  GROK_CHANNELS,
  GROK_FOLLOWUP_TEXT,
  GROK_HEAVY_REASONING,
  GROK_SSO,
  GROK_WEB_RESULTS,
  GROK_X_RESULTS,
  REGION_MESSAGE,
  TOO_MANY_REQUESTS_ERROR,
  UNAUTHENTICATED_ERROR,
  USAGE_LIMIT_MESSAGE,
  grokGatewayUrl,
  grokReply,
  grokThinking,
  startFakeGrok,
  type FakeGrok,
  type GrokGatewayTurn,
} from './fakes/grok-web.js';

let grok: FakeGrok;
beforeAll(async () => {
  grok = await startFakeGrok();
});
afterAll(() => grok?.close());
beforeEach(() => {
  grok.clear();
  grok.setGatewayStyle({});
});

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0.0.0 Safari/537.36';
const uidOf = (sso: string) => grok.accounts.find((a) => a.sso === sso)!.userId;
/** The reference's complete handshake header list for an account. */
const wsHeaders = (sso: string, extra: Record<string, string> = {}) => ({
  origin: grok.url,
  'user-agent': UA,
  'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8',
  'cache-control': 'no-cache',
  pragma: 'no-cache',
  cookie: `sso=${sso}; sso-rw=${sso}; x-userid=${uidOf(sso)}`,
  ...extra,
});

type Frame = Record<string, any>;
interface Conn {
  ws: WebSocket;
  frames: Frame[];
  /** The next frame (waits), or throws after `ms`. */
  next(ms?: number): Promise<Frame>;
  /** Frames up to and including the first whose event type is one of `types`. */
  until(...types: string[]): Promise<Frame[]>;
  send(f: unknown): void;
  /** Close (as the client) and wait for the fake to see it. */
  close(): Promise<void>;
  closed: Promise<number>;
}
type Dialed = { open: Conn } | { status: number; headers: Record<string, string | string[] | undefined>; body: string } | { error: Error };

function dial(sso: string | undefined, opts: { uid?: string; headers?: Record<string, string>; path?: string } = {}): Promise<Dialed> {
  const uid = opts.uid ?? (sso ? uidOf(sso) : randomUUID());
  const url = opts.path ? `${grok.url.replace('http', 'ws')}${opts.path}` : grokGatewayUrl(grok.url, uid);
  const ws = new WebSocket(url, { headers: opts.headers ?? (sso ? wsHeaders(sso) : {}), perMessageDeflate: false });
  const frames: Frame[] = [];
  let read = 0;
  let wake: (() => void) | undefined;
  ws.on('message', (d, binary) => {
    if (!binary) frames.push(JSON.parse(d.toString()) as Frame);
    wake?.();
  });
  const closed = new Promise<number>((r) => ws.on('close', (code) => {
    r(code);
    wake?.();
  }));
  const next = async (ms = 2000): Promise<Frame> => {
    const deadline = Date.now() + ms;
    while (read >= frames.length) {
      if (ws.readyState === WebSocket.CLOSED) throw new Error('closed');
      if (Date.now() > deadline) throw new Error('no frame');
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 20);
      });
    }
    return frames[read++];
  };
  const conn: Conn = {
    ws, frames, next, closed,
    until: async (...types) => {
      const out: Frame[] = [];
      for (;;) {
        const f = await next();
        out.push(f);
        if (types.includes(f.event?.type)) return out;
      }
    },
    send: (f) => ws.send(typeof f === 'string' ? f : JSON.stringify(f)),
    close: async () => {
      ws.close();
      await closed;
      await waitFor(() => grok.gatewayTurns.at(-1)?.closedAt !== undefined);
    },
  };
  return new Promise((resolve) => {
    ws.on('open', () => resolve({ open: conn }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    ws.on('error', (error) => resolve({ error }));
  });
}

async function open(sso = GROK_SSO.super, opts?: Parameters<typeof dial>[1]): Promise<Conn> {
  const d = await dial(sso, opts);
  if (!('open' in d)) throw new Error(`not upgraded: ${JSON.stringify(d)}`);
  return d.open;
}
async function refused(sso: string | undefined, opts?: Parameters<typeof dial>[1]) {
  const d = await dial(sso, opts);
  if (!('status' in d)) throw new Error(`expected a refusal: ${'open' in d ? 'upgraded' : d.error.message}`);
  return d;
}
async function waitFor(ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The reference's `session.create` for a new conversation (or a continuation of `sessionId`). */
const sessionCreate = (model: string, sessionId?: string) => {
  const common = { protocol_capabilities: ['conversation_attached', 'custom_methods_v1'], use_chunk: true, enable_side_by_side: true, force_side_by_side: false, enable_image_generation: true, image_generation_count: 2, disable_text_follow_ups: false, disable_artifact: true, force_concise: false };
  const x_grok = sessionId ? { ...common, conversation_id: sessionId, load_existing: true, needs_history: false } : { ...common, keep_context: false, is_temporary: true, disable_memory: true };
  return { ...(sessionId ? { session_id: sessionId } : {}), event: { type: 'session.create', event_id: `evt_init_${randomUUID()}`, session: { model, x_grok } } };
};
const turnFrames = (sessionId: string, text: string, files: string[] = [], parent?: string) => {
  const ts = Date.now();
  const input_chunks = [...files.map((file_id) => ({ mention: { target: { file_mention: { file_id } } } })), { text: { text } }];
  const ids = files.length ? { file_attachment_ids: files } : {};
  return [
    { session_id: sessionId, event: { type: 'conversation.item.create', event_id: `evt_msg_${ts}`, item: { type: 'message', role: 'user', x_grok: { client_message_id: randomUUID(), input_chunks }, ...ids }, ...ids, ...(parent ? { parent_response_id: parent } : {}) } },
    { session_id: sessionId, event: { type: 'response.create', event_id: `evt_resp_${ts}` } },
  ];
};
const ping = () => ({ event: { type: 'ping', event_id: `evt_hb_${Date.now()}` } });

/** session.create, the two session frames, then the turn; the frames up to the end of the turn. */
async function chat(c: Conn, model: string, text: string, opts: { files?: string[]; end?: string[] } = {}) {
  const create = sessionCreate(model);
  c.send(create);
  const [created, attached] = [await c.next(), await c.next()];
  const sessionId: string = created.session_id;
  for (const f of turnFrames(sessionId, text, opts.files)) c.send(f);
  const frames = await c.until(...(opts.end ?? ['response.done', 'error', 'session.ended']));
  return { create, created, attached, sessionId, frames };
}
const textOf = (frames: Frame[], channel: string = GROK_CHANNELS.answer) =>
  frames.filter((f) => f.event?.type === 'response.chunk' && f.event.chunk?.text?.channel === channel).map((f) => f.event.chunk.text.text as string);
const lastTurn = (): GrokGatewayTurn => grok.gatewayTurns.at(-1)!;

describe('fake Grok gateway: handshake', () => {
  it('refuses without sso (401), an unknown sso, a mismatched sso-rw, a wrong or missing x-userid cookie, a bad uid, another path', async () => {
    const none = await refused(undefined, { headers: { origin: grok.url, 'user-agent': UA } });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toEqual(UNAUTHENTICATED_ERROR);
    expect((await refused(undefined, { headers: wsHeaders(GROK_SSO.super, { cookie: 'sso=nobody; sso-rw=nobody' }) })).status).toBe(401);

    const sso = GROK_SSO.super;
    const uid = uidOf(sso);
    const cookie = (c: string) => ({ headers: wsHeaders(sso, { cookie: c }) });
    expect((await refused(sso, cookie(`sso=${sso}; sso-rw=other; x-userid=${uid}`))).status).toBe(401);
    expect((await refused(sso, cookie(`sso=${sso}; sso-rw=${sso}`))).status).toBe(401);
    expect((await refused(sso, cookie(`sso=${sso}; sso-rw=${sso}; x-userid=${uidOf(GROK_SSO.basic)}`))).status).toBe(401);
    // uid and x-userid agree, but name another account's user
    const other = uidOf(GROK_SSO.basic);
    expect((await refused(sso, { uid: other, headers: wsHeaders(sso, { cookie: `sso=${sso}; sso-rw=${sso}; x-userid=${other}` }) })).status).toBe(401);
    // x-userid as a header instead of a cookie is not enough
    expect((await refused(sso, { headers: wsHeaders(sso, { cookie: `sso=${sso}; sso-rw=${sso}`, 'x-userid': uid }) })).status).toBe(401);
    const upper = await refused(sso, { uid: uid.toUpperCase(), headers: wsHeaders(sso, { cookie: `sso=${sso}; sso-rw=${sso}; x-userid=${uid.toUpperCase()}` }) });
    expect(upper.status).toBe(400);
    expect(JSON.parse(upper.body).error.code).toBe(3);
    expect((await refused(sso, { path: `/ws/mgw?uid=${uid}` })).status).toBe(404);

    const turns = grok.gatewayTurns;
    expect(turns.map((t) => t.status)).toEqual([401, 401, 401, 401, 401, 401, 401, 400]);
    expect(turns[0]).toMatchObject({ account: '', uid: expect.any(String), events: [], closedBy: 'server' });
    expect(grok.requests.filter((r) => r.endpoint === 'gateway').length).toBe(8);
    expect(grok.requests.at(-1)).toMatchObject({ path: '/ws/mgw', status: 404 });
  });

  it('answers each handshake script with its status, body and headers; reset breaks the socket, hang accepts and stays silent', async () => {
    const sso = GROK_SSO.super;
    const once = (s: Parameters<FakeGrok['script']>[1]) => grok.script(sso, { on: 'gateway', count: 1, ...s });

    once({ kind: 'unauthorized' });
    let r = await refused(sso);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toEqual(UNAUTHENTICATED_ERROR);

    once({ kind: 'expired' });
    r = await refused(sso);
    expect(r.status).toBe(403);
    expect(r.body).toContain('blocked-user');

    once({ kind: 'cloudflare' });
    r = await refused(sso);
    expect(r.status).toBe(403);
    expect(r.headers['cf-mitigated']).toBe('challenge');
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('Just a moment...');

    once({ kind: 'rate-limited', waitSeconds: 120 });
    r = await refused(sso);
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('120');
    expect(JSON.parse(r.body)).toEqual(TOO_MANY_REQUESTS_ERROR);
    once({ kind: 'rate-limited' });
    expect((await refused(sso)).headers['retry-after']).toBeUndefined();

    once({ kind: 'server-error', status: 503 });
    expect((await refused(sso)).status).toBe(503);
    once({ kind: 'server-error', status: 502 });
    r = await refused(sso);
    expect(r.status).toBe(502);
    expect(r.body).toContain('502 Bad Gateway');

    once({ kind: 'forbidden' });
    r = await refused(sso);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toEqual(FORBIDDEN_ERROR);

    once({ kind: 'reset' });
    const reset = await dial(sso);
    expect('error' in reset).toBe(true);
    expect(lastTurn().status).toBe(0);

    once({ kind: 'hang' });
    const c = await open(sso);
    c.send(sessionCreate('fast'));
    await expect(c.next(150)).rejects.toThrow('no frame');
    await c.close();
    expect(lastTurn()).toMatchObject({ status: 101, scripts: ['hang'], closedBy: 'client' });

    // All counted down: the next handshake upgrades.
    const ok = await open(sso);
    await ok.close();
    expect(lastTurn().status).toBe(101);
  });

  it('applies a mode-filtered handshake script in band, as the first frame after session.create', async () => {
    grok.script(GROK_SSO.super, { on: 'gateway', kind: 'rate-limited', mode: 'expert', count: 1 });
    const fast = await open();
    expect((await chat(fast, 'fast', 'hi')).frames.at(-1)!.event.type).toBe('response.done');
    await fast.close();

    const c = await open();
    c.send(sessionCreate('expert'));
    const first = await c.next();
    expect(first.event).toEqual({ type: 'error', error: { code: 8, message: 'Too many requests' } });
    await c.close();
    expect(lastTurn()).toMatchObject({ mode: 'expert', scripts: ['rate-limited'] });
  });

  it('records header deviations without refusing: authorization, dpop, x-statsig-id, referer, a foreign origin, a stray cookie', async () => {
    const sso = GROK_SSO.super;
    const good = await open(sso);
    await chat(good, 'fast', 'ok');
    await good.close();
    expect(lastTurn().violations).toEqual([]);

    const c = await open(sso, {
      headers: wsHeaders(sso, {
        authorization: 'Bearer x', dpop: 'y', 'x-statsig-id': 'z', referer: `${grok.url}/`, origin: 'https://example.com',
        cookie: `sso=${sso}; sso-rw=${sso}; x-userid=${uidOf(sso)}; cf_clearance=abc; theme=dark`,
      }),
    });
    await chat(c, 'fast', 'ok');
    await c.close();
    expect(lastTurn().violations).toEqual([
      `origin is https://example.com, not ${grok.url}`,
      'authorization header sent', 'dpop header sent', 'x-statsig-id header sent', 'referer header sent',
      'unexpected cookie theme',
    ]);
  });

  it('enforces cfClearance at the upgrade like the HTTP routes', async () => {
    const cf = await startFakeGrok({ cfClearance: 'clear-1' });
    try {
      const sso = GROK_SSO.super;
      const uid = cf.accounts.find((a) => a.sso === sso)!.userId;
      const dialCf = (cookie: string) => new Promise<number>((resolve) => {
        const ws = new WebSocket(grokGatewayUrl(cf.url, uid), { headers: { origin: cf.url, 'user-agent': UA, cookie } });
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      });
      expect(await dialCf(`sso=${sso}; sso-rw=${sso}; x-userid=${uid}`)).toBe(403);
      expect(await dialCf(`sso=${sso}; sso-rw=${sso}; cf_clearance=clear-1; x-userid=${uid}`)).toBe(101);
      expect(cf.gatewayTurns.map((t) => t.status)).toEqual([403, 101]);
    } finally {
      await cf.close();
    }
  });
});

describe('fake Grok gateway: the turn', () => {
  it('echoes session.created and conversation.attached, streams nothing before both turn frames, ignores pings, answers grokReply', async () => {
    const c = await open(GROK_SSO.super);
    c.send(ping());
    const create = sessionCreate('fast');
    c.send(create);
    const created = await c.next();
    const attached = await c.next();
    expect(created.event).toEqual({ type: 'session.created', client_event_id: create.event.event_id });
    const sessionId: string = created.session_id;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(attached).toEqual({ session_id: sessionId, event: { type: 'conversation.attached', conversation: { id: sessionId } } });

    const [item, respond] = turnFrames(sessionId, 'hello over the socket');
    c.send(item);
    c.send(ping());
    await expect(c.next(150)).rejects.toThrow('no frame');
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.send(respond);
    const frames = await c.until('response.done');
    c.send(ping());

    expect(frames.every((f) => f.session_id === sessionId)).toBe(true);
    expect(textOf(frames).join('')).toBe(grokReply('hello over the socket'));
    expect(textOf(frames).length).toBeGreaterThan(1);
    expect(textOf(frames, GROK_CHANNELS.followups)).toEqual([GROK_FOLLOWUP_TEXT]);
    expect(textOf(frames, GROK_CHANNELS.analysis)).toEqual([]);
    const done = frames.at(-1)!;
    expect(done.event).toEqual({ type: 'response.done', response: { id: expect.stringMatching(/^resp-[0-9a-f-]{36}$/), status: 'completed' } });

    // The fake never closes first after response.done.
    await new Promise((r) => setTimeout(r, 50));
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await c.close();
    const t = lastTurn();
    expect(t).toMatchObject({
      account: GROK_SSO.super, uid: uidOf(GROK_SSO.super), mode: 'fast', status: 101, pings: 3, violations: [],
      sessionId, responseId: done.event.response.id, text: 'hello over the socket', fileIds: [], closedBy: 'client', continued: false,
    });
    expect(t.events.map((e) => e.event?.type)).toEqual(['ping', 'session.create', 'conversation.item.create', 'ping', 'response.create', 'ping']);
    expect(t.sent.length).toBe(frames.length + 2);
    expect(t.cookies['x-userid']).toBe(uidOf(GROK_SSO.super));
    expect(grok.accountsSeen()).toEqual([GROK_SSO.super]);
  });

  it('sends conversation.attached first with gatewayStyle.attachedFirst', async () => {
    grok.setGatewayStyle({ attachedFirst: true });
    const c = await open();
    const { created, attached, frames } = await chat(c, 'fast', 'x');
    expect(created.event.type).toBe('conversation.attached');
    expect(attached.event.type).toBe('session.created');
    expect(frames.at(-1)!.event.type).toBe('response.done');
    await c.close();
  });

  it('records turn frames sent before the session frames, and a second turn on one socket, as violations', async () => {
    grok.script(GROK_SSO.super, { on: 'gateway', kind: 'slow', firstByteMs: 100, count: 1 });
    const c = await open();
    c.send(sessionCreate('fast'));
    const early = randomUUID();
    for (const f of turnFrames(early, 'too early')) c.send(f);
    await c.until('response.done');
    for (const f of turnFrames(lastTurn().sessionId!, 'again')) c.send(f);
    await c.close();
    expect(lastTurn().violations).toEqual([
      'conversation.item.create before session.created and conversation.attached',
      'response.create before session.created and conversation.attached',
      "conversation.item.create session_id is not the session's id",
      "response.create session_id is not the session's id",
      'conversation.item.create after the turn (one turn per socket)',
      'response.create after the turn (one turn per socket)',
    ]);
  });

  it('records session.create deviations (not temporary, memory on, no evt_ id)', async () => {
    const c = await open();
    const create = sessionCreate('auto');
    Object.assign(create.event.session.x_grok, { is_temporary: false, disable_memory: false, keep_context: true });
    create.event.event_id = 'init-1';
    c.send(create);
    expect((await c.next()).event.client_event_id).toBe('init-1');
    await c.close();
    expect(lastTurn().violations).toEqual([
      'session.create event_id does not start with evt_',
      'new conversation: x_grok.is_temporary is not true',
      'new conversation: x_grok.disable_memory is not true',
      'new conversation: x_grok.keep_context is not false',
    ]);

    const bad = await open();
    bad.send(sessionCreate('grok-4'));
    expect((await bad.next()).event).toEqual({ type: 'error', error: { code: 3, message: 'Unknown model: grok-4' } });
    await bad.close();
    expect(lastTurn().violations).toEqual(['session.model "grok-4" is not a mode']);
  });

  it('thinks first on CHANNEL_ANALYSIS in expert mode; heavy adds one CHANNEL_REASONING piece', async () => {
    const c = await open(GROK_SSO.super);
    const { frames } = await chat(c, 'expert', 'why?');
    await c.close();
    expect(textOf(frames, GROK_CHANNELS.analysis)).toEqual(grokThinking('why?'));
    expect(textOf(frames, GROK_CHANNELS.reasoning)).toEqual([]);
    const firstAnswer = frames.findIndex((f) => f.event.chunk?.text?.channel === GROK_CHANNELS.answer);
    const lastThought = frames.findLastIndex((f) => f.event.chunk?.text?.channel === GROK_CHANNELS.analysis);
    expect(lastThought).toBeLessThan(firstAnswer);
    expect(textOf(frames).join('')).toBe(grokReply('why?'));

    const h = await open(GROK_SSO.heavy);
    const heavy = (await chat(h, 'heavy', 'deep')).frames;
    await h.close();
    expect(textOf(heavy, GROK_CHANNELS.analysis)).toEqual(grokThinking('deep'));
    expect(textOf(heavy, GROK_CHANNELS.reasoning)).toEqual([GROK_HEAVY_REASONING]);
  });

  it('sends the extras: tool cards with results (both spellings), a render_citation, a response.search.result', async () => {
    grok.script(GROK_SSO.super, { on: 'gateway', kind: 'extras', count: 1 });
    const c = await open();
    const { frames } = await chat(c, 'fast', 'grok news');
    await c.close();
    const chunks = frames.filter((f) => f.event.type === 'response.chunk').map((f) => f.event.chunk);
    expect(chunks.filter((k) => k.tool_usage_card)).toEqual([
      { tool_usage_card: { tool_usage_card_id: 'tool-web-1', web_search: { args: { query: 'grok news' } } } },
      { tool_usage_card: { id: 'tool-x-1', x_search: { query: `from:${GROK_X_RESULTS[0].username}` } } },
    ]);
    const results = chunks.filter((k) => k.tool_result).map((k) => k.tool_result);
    expect(results[0]).toEqual({ tool_call_id: 'tool-web-1', web_search: { webpages: GROK_WEB_RESULTS.map((r) => ({ url: r.url, title: r.title, snippet: r.preview })) } });
    expect(results[1]).toEqual({ tool_usage_card_id: 'tool-x-1', x_post: { posts: [{ userhandle: GROK_X_RESULTS[0].username, name: GROK_X_RESULTS[0].username, text: GROK_X_RESULTS[0].text, postId: GROK_X_RESULTS[0].postId }] } });
    expect(chunks.find((k) => k.render_citation)).toEqual({ render_citation: { id: 'citation-1', kind: 'CITATION_KIND_WEB_PAGE', url: GROK_WEB_RESULTS[0].url, citation_id: 0 } });
    expect(frames.find((f) => f.event.type === 'response.search.result')!.event.result).toEqual({ url: GROK_WEB_RESULTS[1].url, title: GROK_WEB_RESULTS[1].title });
    expect(textOf(frames).join('')).toBe(grokReply('grok news'));
  });

  it('draws: image cards at 50 then 100, served by the assets host; spelling variants; moderated images', async () => {
    const sso = GROK_SSO.basic;
    const c = await open(sso);
    const { frames } = await chat(c, 'fast', 'Drawing: a red cat');
    await c.close();
    const cards = frames.filter((f) => f.event.type === 'response.grok.output').map((f) => f.event.output.card_attachment);
    expect(cards.length).toBe(4);
    expect(cards.map((k) => k.jsonData.image_chunk.progress)).toEqual([50, 50, 100, 100]);
    const path: string = cards[2].jsonData.image_chunk.imageUrl;
    expect(path).toMatch(new RegExp(`^users/${uidOf(sso)}/generated/[0-9a-f-]{36}/image\\.jpg$`));
    expect(textOf(frames).join('')).toBe(grokReply('Drawing: a red cat'));
    const res = await fetch(`${grok.assetsUrl}/${path}`, { headers: { cookie: `sso=${sso}; sso-rw=${sso}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).equals(grok.imageBytes(cards[2].jsonData.image_chunk.imageUuid)!)).toBe(true);
    expect((await fetch(`${grok.assetsUrl}/${path}`, { headers: { cookie: `sso=${GROK_SSO.super}` } })).status).toBe(403);

    grok.setGatewayStyle({ jsonData: 'string', imageChunkKey: 'imageChunk', imageUrlKey: 'image_url', cardArray: true });
    grok.script(sso, { on: 'gateway', kind: 'moderated', images: 1, count: 1 });
    const m = await open(sso);
    const variant = (await chat(m, 'fast', 'Drawing: a blue dog')).frames;
    await m.close();
    const got = variant.filter((f) => f.event.type === 'response.grok.output').map((f) => f.event.output.card_attachment);
    expect(got.every((k) => Array.isArray(k) && k.length === 1 && typeof k[0].jsonData === 'string')).toBe(true);
    const final = got.map((k) => JSON.parse(k[0].jsonData).imageChunk).filter((x) => x.progress === 100);
    expect(final.map((x) => x.moderated)).toEqual([true, false]);
    expect((await fetch(`${grok.assetsUrl}/${final[0].image_url}`, { headers: { cookie: `sso=${sso}` } })).status).toBe(404);
    expect((await fetch(`${grok.assetsUrl}/${final[1].image_url}`, { headers: { cookie: `sso=${sso}` } })).status).toBe(200);

    grok.setGatewayStyle({ jsonData: 'inline' });
    const i = await open(sso);
    const inline = (await chat(i, 'fast', 'Drawing: a fox')).frames.find((f) => f.event.type === 'response.grok.output')!;
    await i.close();
    expect(inline.event.output.card_attachment.image_chunk.progress).toBe(50);
  });
});

describe('fake Grok gateway: failures', () => {
  const scripted = async (s: Parameters<FakeGrok['script']>[1], text = 'one two three four', end?: string[]) => {
    grok.script(GROK_SSO.super, { on: 'gateway', count: 1, ...s });
    const c = await open();
    const out = await chat(c, 'fast', text, { end });
    // The fake leaves the socket open after a failure too; the client closes.
    await new Promise((r) => setTimeout(r, 20));
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await c.close();
    expect(lastTurn().closedBy).toBe('client');
    return out.frames;
  };

  it('sends each in-band failure kind, after afterTokens answer chunks when asked', async () => {
    expect((await scripted({ kind: 'anti-bot' })).map((f) => f.event)).toEqual([{ type: 'error', error: { code: 7, message: ANTI_BOT_ERROR.error.message } }]);
    expect((await scripted({ kind: 'usage-limit' })).map((f) => f.event)).toEqual([{ type: 'error', error: { code: 8, message: USAGE_LIMIT_MESSAGE } }]);

    const top = await scripted({ kind: 'in-band-error', code: 13, message: 'boom', afterTokens: 2 });
    expect(textOf(top)).toEqual(['Grok', ' heard:']);
    expect(top.at(-1)!.event).toEqual({ type: 'error', error: { code: 13, message: 'boom' } });

    const stream = await scripted({ kind: 'in-band-error', where: 'response', code: 8, message: 'something failed' }, 'x', ['response.grok.output']);
    expect(stream.map((f) => f.event)).toEqual([{ type: 'response.grok.output', output: { stream_error: { code: 8, message: 'something failed' } } }]);

    const ended = await scripted({ kind: 'session-ended', afterTokens: 1 });
    expect(ended.map((f) => f.event.type)).toEqual(['response.chunk', 'session.ended']);

    const failed = await scripted({ kind: 'done-failed' }, 'x', ['response.done']);
    expect(failed.at(-1)!.event).toEqual({ type: 'response.done', response: { id: expect.stringMatching(/^resp-/), status: 'failed' } });

    expect((await scripted({ kind: 'region' }, 'x')).map((f) => f.event)).toEqual([{ type: 'error', error: { code: 9, message: REGION_MESSAGE } }]);

    // Failures cost nothing; quota-exhausted empties the window (the usage-limit event, then and after).
    expect(grok.quota(GROK_SSO.super, 'fast').remainingQueries).toBe(140);
    expect((await scripted({ kind: 'quota-exhausted', waitSeconds: 600 }, 'x')).at(-1)!.event.error.message).toBe(USAGE_LIMIT_MESSAGE);
    expect(grok.quota(GROK_SSO.super, 'fast')).toMatchObject({ remainingQueries: 0, waitTimeSeconds: 600 });
  });

  it('sends a failure in place of session.created with beforeSession', async () => {
    grok.script(GROK_SSO.super, { on: 'gateway', kind: 'anti-bot', beforeSession: true, count: 1 });
    const c = await open();
    c.send(sessionCreate('fast'));
    expect((await c.next()).event).toEqual({ type: 'error', error: { code: 7, message: ANTI_BOT_ERROR.error.message } });
    await c.close();
  });

  it('cut terminates the TCP socket after afterFrames frames; stall stops sending and keeps it open', async () => {
    grok.script(GROK_SSO.super, { on: 'gateway', kind: 'cut', afterFrames: 4, count: 1 });
    const c = await open();
    c.send(sessionCreate('fast'));
    await c.next();
    await c.next();
    for (const f of turnFrames(lastTurn().sessionId!, 'a b c d e')) c.send(f);
    const code = await c.closed;
    expect(code).toBe(1006); // no close frame
    expect(c.frames.length).toBe(4);
    await waitFor(() => lastTurn().closedAt !== undefined);
    expect(lastTurn()).toMatchObject({ closedBy: 'server', closeCode: 1006 });

    grok.script(GROK_SSO.super, { on: 'gateway', kind: 'stall', afterFrames: 3, count: 1 });
    const s = await open();
    s.send(sessionCreate('fast'));
    await s.next();
    await s.next();
    for (const f of turnFrames(lastTurn().sessionId!, 'a b c d e')) s.send(f);
    await s.next();
    await expect(s.next(150)).rejects.toThrow('no frame');
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    await s.close();
    expect(lastTurn().closedBy).toBe('client');
  });

  it('spends one query of the mode per answered turn; with none left, the usage-limit error event', async () => {
    const sso = GROK_SSO.super;
    grok.setQuota(sso, 'auto', 1);
    const a = await open(sso);
    expect((await chat(a, 'auto', 'first')).frames.at(-1)!.event.type).toBe('response.done');
    await a.close();
    expect(grok.quota(sso, 'auto').remainingQueries).toBe(0);

    const b = await open(sso);
    const { frames } = await chat(b, 'auto', 'second');
    await b.close();
    expect(frames.map((f) => f.event)).toEqual([{ type: 'error', error: { code: 8, message: USAGE_LIMIT_MESSAGE } }]);
    const limits = await fetch(`${grok.url}/rest/rate-limits`, { method: 'POST', headers: { cookie: `sso=${sso}; sso-rw=${sso}`, 'content-type': 'application/json' }, body: JSON.stringify({ modelName: 'auto' }) });
    expect(await limits.json()).toMatchObject({ remainingQueries: 0, totalQueries: 50 });

    // A basic account has no heavy window at all.
    const h = await open(GROK_SSO.basic);
    expect((await chat(h, 'heavy', 'x')).frames.at(-1)!.event.error.message).toBe(USAGE_LIMIT_MESSAGE);
    await h.close();
  });

  it('answers an unknown attachment with an error event', async () => {
    const c = await open();
    const { frames } = await chat(c, 'fast', 'see', { files: ['fm-nope'] });
    await c.close();
    expect(frames.map((f) => f.event)).toEqual([{ type: 'error', error: { code: 3, message: 'File not found: fm-nope' } }]);
  });
});

describe('fake Grok gateway: continuations', () => {
  it('continues a session with session_id + conversation_id + load_existing and parent_response_id', async () => {
    const c = await open();
    const first = await chat(c, 'fast', 'first');
    await c.close();
    const parent: string = first.frames.at(-1)!.event.response.id;

    const d = await open();
    d.send(sessionCreate('expert', first.sessionId));
    const created = await d.next();
    await d.next();
    expect(created.session_id).toBe(first.sessionId);
    for (const f of turnFrames(first.sessionId, 'second', [], parent)) d.send(f);
    const frames = await d.until('response.done');
    await d.close();
    expect(textOf(frames).join('')).toBe(grokReply('second'));
    expect(lastTurn()).toMatchObject({ continued: true, sessionId: first.sessionId, violations: [] });

    const other = await open(GROK_SSO.basic);
    other.send(sessionCreate('fast', first.sessionId));
    expect((await other.next()).event).toEqual({ type: 'error', error: { code: 5, message: 'Conversation not found' } });
    await other.close();
  });
});

describe('fake Grok REST routes of the gateway era', () => {
  const cookie = (sso: string) => ({ cookie: `sso=${sso}; sso-rw=${sso}` });

  it('GET /api/auth/session names the account; 401 without sso; scripts answer 401, blocked, a challenge', async () => {
    const res = await fetch(`${grok.url}/api/auth/session`, { headers: cookie(GROK_SSO.super) });
    expect(res.status).toBe(200);
    const uid = uidOf(GROK_SSO.super);
    expect(await res.json()).toEqual({ status: 'authenticated', user: { id: uid, email: expect.stringContaining('@') }, session: { userId: uid } });

    const none = await fetch(`${grok.url}/api/auth/session`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ status: 'unauthenticated' });

    grok.script(GROK_SSO.super, { on: 'session', kind: 'unauthorized', count: 1 });
    grok.script(GROK_SSO.super, { on: 'session', kind: 'blocked', count: 1 });
    grok.script(GROK_SSO.super, { on: 'session', kind: 'cloudflare', count: 1 });
    const a = await fetch(`${grok.url}/api/auth/session`, { headers: cookie(GROK_SSO.super) });
    expect([a.status, await a.json()]).toEqual([401, { status: 'unauthenticated' }]);
    const b = await fetch(`${grok.url}/api/auth/session`, { headers: cookie(GROK_SSO.super) });
    expect([b.status, await b.json()]).toEqual([200, { status: 'blocked' }]);
    const c = await fetch(`${grok.url}/api/auth/session`, { headers: cookie(GROK_SSO.super) });
    expect(c.status).toBe(403);
    expect(c.headers.get('cf-mitigated')).toBe('challenge');
    expect(grok.requests.filter((r) => r.endpoint === 'session').map((r) => r.status)).toEqual([200, 401, 401, 200, 403]);
  });

  it('POST /rest/rate-limits takes {"modelName": mode} alone, statsig optional, totals per tier', async () => {
    const limits = async (sso: string, modelName: string, statsig?: string) => {
      const res = await fetch(`${grok.url}/rest/rate-limits`, {
        method: 'POST', headers: { ...cookie(sso), 'content-type': 'application/json', ...(statsig ? { 'x-statsig-id': statsig } : {}) }, body: JSON.stringify({ modelName }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, number>;
    };
    for (const mode of ['fast', 'auto', 'expert', 'heavy']) {
      expect(Object.keys(await limits(GROK_SSO.heavy, mode))).toEqual(expect.arrayContaining(['windowSizeSeconds', 'remainingQueries', 'totalQueries']));
    }
    expect((await limits(GROK_SSO.basic, 'auto')).totalQueries).toBe(20);
    expect((await limits(GROK_SSO.super, 'auto')).totalQueries).toBe(50);
    expect((await limits(GROK_SSO.heavy, 'auto')).totalQueries).toBe(150);
    expect((await limits(GROK_SSO.super, 'fast')).totalQueries).toBe(140);
    expect((await limits(GROK_SSO.heavy, 'fast', 'c2lnbmVk')).totalQueries).toBe(400);
    expect((await limits(GROK_SSO.heavy, 'heavy')).totalQueries).toBeGreaterThan(0);
    const quota = grok.requests.filter((r) => r.endpoint === 'quota');
    expect(quota.at(-2)!.statsig).toBe('c2lnbmVk');
    expect(quota.at(-1)!.statsig).toBeUndefined();

    const fast = await startFakeGrok({ quotas: { basic: { fast: { total: 30, windowSizeSeconds: 72000 } } } });
    try {
      const res = await fetch(`${fast.url}/rest/rate-limits`, { method: 'POST', headers: cookie(GROK_SSO.basic), body: JSON.stringify({ modelName: 'fast' }) });
      expect(((await res.json()) as Record<string, number>).totalQueries).toBe(30);
    } finally {
      await fast.close();
    }
  });

  it('POST /http/upload-file-v2/direct: multipart in, fileMetadata out, bytes on the assets host, attachable over the gateway', async () => {
    const sso = GROK_SSO.super;
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 13, 10, 45, 45]);
    const upload = (blob: Blob, name = 'pic.png', extra: Record<string, string> = {}, who = sso) => {
      const form = new FormData();
      form.append('file', blob, name);
      for (const [k, v] of Object.entries(extra)) form.append(k, v);
      return fetch(`${grok.url}/http/upload-file-v2/direct`, { method: 'POST', headers: cookie(who), body: form });
    };
    const res = await upload(new Blob([bytes], { type: 'image/png' }), 'pic.png', { file_source: 'IMAGINE_SELF_UPLOAD_FILE_SOURCE' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { uploadId: string; terminalError: unknown; fileMetadata: { fileMetadataId: string; fileId: string; fileUri: string } };
    expect(body).toEqual({
      uploadId: expect.stringMatching(/^u-/), terminalError: null,
      fileMetadata: { fileMetadataId: expect.stringMatching(/^fm-/), fileId: expect.stringMatching(/^f-/), fileUri: `users/${uidOf(sso)}/${body.fileMetadata.fileId}/content` },
    });
    expect(grok.uploads.at(-1)).toMatchObject({ fileName: 'pic.png', mimeType: 'image/png', fileSource: 'IMAGINE_SELF_UPLOAD_FILE_SOURCE', fileMetadataId: body.fileMetadata.fileMetadataId });
    expect(grok.requests.at(-1)).toMatchObject({ endpoint: 'upload-v2', status: 200 });
    const served = await fetch(`${grok.assetsUrl}/${body.fileMetadata.fileUri}`, { headers: cookie(sso) });
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
    expect(grok.imageBytes(body.fileMetadata.fileMetadataId)!.equals(bytes)).toBe(true);

    const id = body.fileMetadata.fileMetadataId;
    const c = await open(sso);
    const { frames } = await chat(c, 'fast', 'Describe the file', { files: [id] });
    await c.close();
    expect(textOf(frames).join('')).toBe(grokReply('Describe the file', [id]));
    expect(lastTurn()).toMatchObject({ fileIds: [id], violations: [] });
    // Another account cannot attach it.
    const o = await open(GROK_SSO.heavy);
    expect((await chat(o, 'fast', 'x', { files: [id] })).frames.at(-1)!.event.type).toBe('error');
    await o.close();

    const rejected = await upload(new Blob([bytes], { type: 'application/x-msdownload' }), 'a.exe');
    expect(await rejected.json()).toMatchObject({ terminalError: expect.stringContaining('Unsupported'), fileMetadata: null });
    const big = await upload(new Blob([Buffer.alloc(32 * 1024 * 1024 + 1)], { type: 'text/plain' }), 'big.txt');
    expect(big.status).toBe(413);
    const noForm = await fetch(`${grok.url}/http/upload-file-v2/direct`, { method: 'POST', headers: { ...cookie(sso), 'content-type': 'application/json' }, body: '{}' });
    expect(noForm.status).toBe(400);
    expect((await upload(new Blob([bytes], { type: 'image/png' }), 'p.png', {}, 'nobody')).status).toBe(401);
    grok.script(sso, { on: 'upload', kind: 'forbidden', count: 1 });
    expect((await upload(new Blob([bytes], { type: 'image/png' }))).status).toBe(403);
  });
});
