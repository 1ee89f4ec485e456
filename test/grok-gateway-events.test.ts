/**
 * The grok.com gateway's frames as the provider reads and writes them, one function at a time:
 * the turn's client events, the cookie, the user id lookup, and every server event spelling the
 * web app accepts translated into chunks. The whole turn over a real socket is grok-gateway.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ChatChunk } from '../core/index.js';
import { gatewayCookie } from '../plugins/grok-web/client.js';
import { gatewayFailure, gatewayFrame } from '../plugins/grok-web/gateway-events.js';
import { sessionCreate, turnEvents } from '../plugins/grok-web/gateway.js';
import { DEFAULT_MODELS, gatewayMode, tierOf } from '../plugins/grok-web/models.js';
import { GrokInBandError, GrokTranslator, type TranslateOptions } from '../plugins/grok-web/translate.js';
import { UserIds, cookieUserId, sessionUserId } from '../plugins/grok-web/user-id.js';
import { inferTier } from '../plugins/grok-web/quota.js';
import { isSignedStatsig, siteVerification } from '../plugins/grok-web/statsig.js';

const UID = '497f19f8-49d4-458a-bee4-43ec3dcaf8ca';
const ev = (event: Record<string, unknown>) => ({ session_id: 's1', event });
const text = (t: string, channel?: string) => ev({ type: 'response.chunk', chunk: { text: channel === undefined ? { text: t } : { text: t, channel } } });

function translate(frames: unknown[], opts: Partial<TranslateOptions> = {}) {
  const t = new GrokTranslator({ id: 'c1', created: 1, model: 'grok-chat-fast' }, { thinking: 'reasoning_content', filteredTags: ['grok:render'], showSearchSources: true, ...opts });
  const out: ChatChunk[] = [];
  const steps = frames.map((f) => gatewayFrame(t, f, out));
  const content = out.map((c) => c.choices[0].delta.content ?? '').join('');
  const reasoning = out.map((c) => (c.choices[0].delta as { reasoning_content?: string }).reasoning_content ?? '').join('');
  return { t, out, steps, content, reasoning };
}

describe('the client events of a turn', () => {
  it('session.create names the mode and makes a temporary conversation without memory', () => {
    const e = sessionCreate('expert', { message: 'x', files: [], imageCount: 2, temporary: true }).event as { type: string; event_id: string; session: { model: string; x_grok: Record<string, unknown> } };
    expect(e.type).toBe('session.create');
    expect(e.event_id).toMatch(/^evt_init_[0-9a-f-]{36}$/);
    expect(e.session.model).toBe('expert');
    expect(e.session.x_grok).toMatchObject({ is_temporary: true, disable_memory: true, keep_context: false, use_chunk: true, image_generation_count: 2 });
    expect(e.session.x_grok.protocol_capabilities).toEqual(['conversation_attached', 'custom_methods_v1']);
  });

  it('the message carries one mention per file before the text, the ids at both levels, and response.create follows with the same stamp', () => {
    const [item, create] = turnEvents('s1', 'hello', ['fm1', 'fm2']) as [{ session_id: string; event: Record<string, any> }, { event: Record<string, any> }];
    expect(item.session_id).toBe('s1');
    expect(item.event.type).toBe('conversation.item.create');
    expect(item.event.item.x_grok.input_chunks).toEqual([
      { mention: { target: { file_mention: { file_id: 'fm1' } } } },
      { mention: { target: { file_mention: { file_id: 'fm2' } } } },
      { text: { text: 'hello' } },
    ]);
    expect(item.event.file_attachment_ids).toEqual(['fm1', 'fm2']);
    expect(item.event.item.file_attachment_ids).toEqual(['fm1', 'fm2']);
    expect(create.event.type).toBe('response.create');
    expect(create.event.event_id.replace('evt_resp_', '')).toBe(item.event.event_id.replace('evt_msg_', ''));
    expect(JSON.stringify(create)).not.toContain('castle');
    const [plain] = turnEvents('s1', 'hi', []) as unknown as [{ event: Record<string, any> }];
    expect(plain.event).not.toHaveProperty('file_attachment_ids');
  });

  it('each catalogue entry asks for one of the four modes', () => {
    for (const m of DEFAULT_MODELS) expect(['fast', 'auto', 'expert', 'heavy']).toContain(gatewayMode(m));
    expect(gatewayMode({ id: 'grok-3', dialect: 'v1', modelName: 'grok-3', cost: 1, tier: 'basic' })).toBe('fast');
    expect(gatewayMode({ id: 'grok-4-heavy', dialect: 'v1', modelName: 'grok-4-heavy', modelMode: 'MODEL_MODE_HEAVY', cost: 1, tier: 'super', reasoning: true })).toBe('heavy');
    expect(gatewayMode({ id: 'x', dialect: 'v2', modeId: 'expert', cost: 1, tier: 'super' })).toBe('expert');
  });

  it("over the gateway a model needs at least its mode's tier: a v1 thinking model is played by expert (super)", () => {
    const byId = new Map(DEFAULT_MODELS.map((m) => [m.id, m]));
    expect(['grok-chat-fast', 'grok-chat-auto', 'grok-chat-expert', 'grok-chat-heavy'].map((id) => tierOf(byId.get(id)!, true))).toEqual(['basic', 'super', 'super', 'heavy']);
    expect(tierOf(byId.get('grok-3')!, true)).toBe('basic');
    expect(tierOf(byId.get('grok-4-expert')!, true)).toBe('super');
    expect(tierOf(byId.get('grok-4-expert')!, false)).toBe('basic');
  });
});

describe('the cookie and the user id', () => {
  it('the gateway cookie has sso, sso-rw, Cloudflare cookies and x-userid, and nothing else a pasted cookie held', () => {
    expect(gatewayCookie('sso=A; sso-rw=A', UID)).toBe(`sso=A; sso-rw=A; x-userid=${UID}`);
    expect(gatewayCookie('sso=A', UID)).toBe(`sso=A; sso-rw=A; x-userid=${UID}`);
    expect(gatewayCookie(`_ga=1; sso=A; sso-rw=A; cf_clearance=C; __cf_bm=B; _cfuvid=U; cf_chl_rc=R; x-userid=old; i18nextLng=en`, UID)).toBe(
      `sso=A; sso-rw=A; cf_clearance=C; __cf_bm=B; _cfuvid=U; cf_chl_rc=R; x-userid=${UID}`,
    );
  });

  it('a pasted cookie with x-userid gives the uid without a lookup; the session answer gives it from any of its places', () => {
    expect(cookieUserId(`sso=A; x-userid=${UID.toUpperCase()}`)).toBe(UID);
    expect(cookieUserId('sso=A; x-userid=not-a-uuid')).toBeUndefined();
    expect(sessionUserId({ session: { userId: UID } })).toBe(UID);
    expect(sessionUserId({ user: { id: 'nope', sub: UID } })).toBe(UID);
    expect(sessionUserId({ userId: UID.toUpperCase() })).toBe(UID);
  });

  it('an unauthenticated or blocked session is a 401 (a dead account); one without an id is malformed', () => {
    for (const status of ['unauthenticated', 'blocked']) expect(() => sessionUserId({ status })).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => sessionUserId({ user: {} })).toThrow(expect.objectContaining({ malformed: true }));
  });
});

describe('server events', () => {
  it('answer text by channel (empty is the answer), thinking from ANALYSIS and REASONING, any other channel dropped', () => {
    const r = translate([text('Let me think', 'CHANNEL_ANALYSIS'), text(' more', 'channel_reasoning'), text('Hel', 'CHANNEL_ASSISTANT_RESPONSE'), text('lo'), text('Try asking', 'CHANNEL_SUGGESTED_FOLLOWUPS'), ev({ type: 'response.done', response: { id: 'r1', status: 'completed' } })]);
    expect(r.reasoning).toBe('Let me think more');
    expect(r.content).toBe('Hello');
    expect(r.steps).toEqual(['more', 'more', 'more', 'more', 'more', 'done']);
  });

  it('thinking inline or hidden, per the thinking option', () => {
    const frames = [text('hmm', 'CHANNEL_ANALYSIS'), text('Hi')];
    expect(translate(frames, { thinking: 'inline' }).content).toBe('<think>\nhmm\n</think>\nHi');
    const hidden = translate(frames, { thinking: 'hide' });
    expect(hidden.content).toBe('Hi');
    expect(hidden.reasoning).toBe('');
  });

  it('output_text.delta is answer text; output_text.done only stands in when no text arrived', () => {
    expect(translate([ev({ type: 'response.output_text.delta', delta: 'Hi' })]).content).toBe('Hi');
    const r = translate([ev({ type: 'response.output_text.done', text: 'Whole' })]);
    r.out.push(...r.t.finish());
    expect(r.out.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('Whole');
  });

  it('search results, X posts and citations become sources, in every spelling', () => {
    const r = translate([
      ev({ type: 'response.chunk', chunk: { tool_usage_card: { tool_usage_card_id: 'tc1', web_search: { args: { query: 'q' } } } } }),
      ev({ type: 'response.chunk', chunk: { tool_result: { tool_call_id: 'tc1', web_search: { webpages: [{ url: 'https://example.com/a', title: 'A' }] } } } }),
      ev({ type: 'response.chunk', chunk: { tool_result: { id: 'tc2', x_post: { posts: [{ userhandle: 'xai', text: 'hi', post_id: '19' }, { username: 'grok', postId: '20' }] } } } }),
      ev({ type: 'response.chunk', chunk: { render_citation: { id: 'c1', kind: 'CITATION_KIND_WEB_PAGE', url: 'https://example.com/c', citation_id: 0 } } }),
      ev({ type: 'response.search.result', result: { url: 'https://example.com/b', title: 'B' } }),
      ev({ type: 'response.search.result', result: { url: 'javascript:alert(1)', title: 'no' } }),
    ]);
    expect([...r.t.sources.keys()]).toEqual(['https://example.com/a', 'https://x.com/xai/status/19', 'https://x.com/grok/status/20', 'https://example.com/c', 'https://example.com/b']);
    expect(r.content).toBe(''); // tool cards are plumbing, not the answer
  });

  it('finished image cards in every spelling become images; previews and moderated ones do not', () => {
    const card = (c: unknown) => ev({ type: 'response.grok.output', output: { card_attachment: c } });
    const r = translate([
      card({ jsonData: { id: 'a', image_chunk: { progress: 50, imageUrl: 'users/u/generated/1/image.jpg' } } }),
      card({ jsonData: { id: 'a', image_chunk: { progress: 100, imageUrl: 'users/u/generated/1/image.jpg', moderated: false } } }),
      card([{ jsonData: JSON.stringify({ imageChunk: { progress: 100, image_url: 'users/u/generated/2/image.jpg' } }) }]),
      card({ image_chunk: { progress: 100, imageUrl: 'users/u/generated/3/image.jpg' } }),
      card({ jsonData: { image_chunk: { progress: 100, imageUrl: 'users/u/generated/4/image.jpg', moderated: true } } }),
      card({ jsonData: '{not json' }),
    ]);
    expect(r.t.images).toEqual(['users/u/generated/1/image.jpg', 'users/u/generated/2/image.jpg', 'users/u/generated/3/image.jpg']);
  });

  it('an error event, a stream_error, a response.done that did not complete and an early session.ended all throw', () => {
    expect(() => translate([ev({ type: 'error', error: { code: 7, message: 'Request rejected by anti-bot rules.' } })])).toThrow(expect.objectContaining({ code: 7, name: 'GrokInBandError' }));
    expect(() => translate([ev({ type: 'response.grok.output', output: { stream_error: { code: 8, message: 'something failed' } } })])).toThrow(GrokInBandError);
    expect(() => translate([ev({ type: 'response.done', response: { id: 'r', status: 'failed' } })])).toThrow(/status "failed"/);
    expect(() => translate([ev({ type: 'session.ended' })])).toThrow(expect.objectContaining({ code: 'ECONNRESET' }));
    expect(gatewayFailure(ev({ type: 'ping' }))).toBeUndefined();
  });

  it('frames that are not events, and event types it does not know, are skipped', () => {
    const r = translate([null, 'text', { event: 'x' }, ev({ type: 'response.created' }), ev({ type: 'conversation.item.done' })]);
    expect(r.out).toEqual([]);
    expect(r.steps.every((s) => s === 'more')).toBe(true);
  });
});

describe("an account's tier from its windows", () => {
  const w = (entries: [string, number][]) => new Map(entries.map(([mode, total]) => [mode, { remaining: total, total, windowSeconds: 7200, fetchedAt: 0 }]));
  it('totals only one tier has name it; a heavy window means heavy; disagreeing signals give the lower tier; none, nothing', () => {
    expect(inferTier(w([['auto', 20]]))).toBe('basic');
    expect(inferTier(w([['auto', 7], ['fast', 30]]))).toBe('basic');
    expect(inferTier(w([['auto', 50], ['fast', 140]]))).toBe('super');
    expect(inferTier(w([['auto', 150], ['fast', 400], ['heavy', 20]]))).toBe('heavy');
    expect(inferTier(w([['heavy', 0], ['auto', 50]]))).toBe('super');
    expect(inferTier(w([['auto', 150], ['fast', 140]]))).toBe('super');
    expect(inferTier(w([['auto', 33], ['expert', 50]]))).toBeUndefined();
    expect(inferTier(undefined)).toBeUndefined();
  });
});

describe('statsig values and the page meta', () => {
  it('a signed value is base64 (standard or URL-safe, padded or not) of exactly 70 bytes', () => {
    const b = Buffer.alloc(70, 0xfb);
    expect(isSignedStatsig(b.toString('base64'))).toBe(true);
    expect(isSignedStatsig(b.toString('base64url'))).toBe(true);
    expect(isSignedStatsig(Buffer.alloc(71).toString('base64'))).toBe(false); // the old static value's length
    expect(isSignedStatsig('not base64!')).toBe(false);
    expect(isSignedStatsig(undefined)).toBe(false);
  });

  it("the site-verification meta is read whatever the attribute order, quotes or the name's dashes", () => {
    expect(siteVerification('<head><meta name="grok-site-verification" content="abc"></head>')).toBe('abc');
    expect(siteVerification("<meta content='xyz' name='grok_site_verification' />")).toBe('xyz');
    expect(siteVerification('<meta name="description" content="no">')).toBeUndefined();
  });
});

describe('the user ids kept per account', () => {
  it('one lookup per account shared by concurrent turns; forgotten after a 401, and a failed lookup is not kept', async () => {
    const asked: string[] = [];
    let fail = false;
    const ids = new UserIds(async (secret) => {
      asked.push(secret);
      await new Promise((r) => setTimeout(r, 5));
      if (fail) throw new Error('session lookup failed');
      return UID;
    });
    expect(await Promise.all([ids.get('a', 'sso=a'), ids.get('a', 'sso=a')])).toEqual([UID, UID]);
    expect(await ids.get('a', 'sso=a')).toBe(UID);
    expect(asked).toEqual(['a']);
    ids.forget('a'); // what a 401 at the handshake does
    await ids.get('a', 'sso=a');
    expect(asked).toEqual(['a', 'a']);
    fail = true;
    await expect(ids.get('b', 'sso=b')).rejects.toThrow('session lookup failed');
    fail = false;
    expect(await ids.get('b', 'sso=b')).toBe(UID);
    expect(asked).toEqual(['a', 'a', 'b', 'b']);
    expect(await ids.get('c', `sso=c; x-userid=${UID}`)).toBe(UID); // the cookie's own: no lookup
    expect(asked).toHaveLength(4);
  });
});
