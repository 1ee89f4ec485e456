/** The Grok web fake speaks the protocol of grok.com's web API, as its reference describes it. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ANTI_BOT_ERROR,
  checkGrokHeaders,
  GROK_SSO,
  GROK_STATIC_STATSIG,
  grokReply,
  grokThinking,
  startFakeGrok,
  TOO_MANY_REQUESTS_ERROR,
  UNAUTHENTICATED_ERROR,
  type FakeGrok,
} from './fakes/grok-web.js';

let grok: FakeGrok;
beforeAll(async () => {
  grok = await startFakeGrok();
});
afterAll(() => grok?.close());
beforeEach(() => grok.clear());

/** The reference's §2 headers for an account. */
function headers(sso: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    cookie: `sso=${sso}; sso-rw=${sso}`,
    'content-type': 'application/json',
    accept: '*/*',
    origin: 'https://grok.com',
    referer: 'https://grok.com/',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'x-xai-request-id': randomUUID(),
    'x-statsig-id': GROK_STATIC_STATSIG,
    ...extra,
  };
}

const v2Body = (message: string, modeId: string, extra: object = {}) => ({
  message, modeId, fileAttachments: [], imageAttachments: [], temporary: true, disableMemory: true, disableSearch: false,
  enableImageGeneration: true, enableImageStreaming: true, imageGenerationCount: 2, returnImageBytes: false,
  returnRawGrokInXaiRequest: false, forceConcise: false, enableSideBySide: true, sendFinalMetadata: true,
  disableTextFollowUps: false, isAsyncChat: false, responseMetadata: {}, toolOverrides: {}, ...extra,
});

const post = (path: string, body: unknown, sso = GROK_SSO.super, extra?: Record<string, string>) =>
  fetch(`${grok.url}${path}`, { method: 'POST', headers: headers(sso, extra), body: JSON.stringify(body) });
const chat = (body: object, sso?: string, extra?: Record<string, string>) => post('/rest/app-chat/conversations/new', body, sso, extra);
const quota = async (mode: string, sso = GROK_SSO.super) =>
  (await (await post('/rest/rate-limits', { requestKind: 'DEFAULT', modelName: mode }, sso)).json()) as Record<string, number>;

type Frame = { result?: Record<string, any>; error?: Record<string, unknown> };
const ndjson = async (res: Response): Promise<Frame[]> =>
  (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Frame);
const resp = (f: Frame) => f.result?.response as Record<string, any> | undefined;
/** A compact label per frame, to compare orders. */
const kind = (f: Frame): string => {
  const r = resp(f);
  if (f.error) return 'error';
  if (f.result?.conversation) return 'conversation';
  if (f.result?.title) return 'title';
  if (!r) return 'other';
  if (r.userResponse) return 'userResponse';
  if (r.modelResponse) return 'modelResponse';
  if (r.finalMetadata) return 'finalMetadata';
  if (r.cardAttachment) return 'card';
  if (r.isSoftStop) return 'softStop';
  if (typeof r.token === 'string') return r.isThinking ? 'thinking' : 'token';
  return 'other';
};
const squash = (kinds: string[]) => kinds.filter((k, i) => k !== kinds[i - 1]);

describe('fake Grok web', () => {
  it('streams a plain (fast) answer in the reference order and decrements the mode quota', async () => {
    const before = await quota('fast');
    expect(before).toMatchObject({ windowSizeSeconds: 7200, remainingQueries: 140, totalQueries: 140 });

    const res = await chat(v2Body('hello there', 'fast'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const frames = await ndjson(res);
    expect(squash(frames.map(kind))).toEqual(['conversation', 'userResponse', 'token', 'softStop', 'modelResponse', 'finalMetadata', 'title']);
    expect(frames[0].result!.conversation).toMatchObject({ title: 'New conversation', temporary: true });
    const tokens = frames.filter((f) => kind(f) === 'token').map(resp);
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.every((t) => t!.messageTag === 'final' && t!.isSoftStop === false && t!.responseId)).toBe(true);
    expect(tokens.map((t) => t!.token).join('')).toBe(grokReply('hello there'));
    const model = resp(frames.find((f) => kind(f) === 'modelResponse')!)!.modelResponse;
    expect(model).toMatchObject({ message: grokReply('hello there'), sender: 'ASSISTANT', generatedImageUrls: [], streamErrors: [] });
    expect(model.parentResponseId).toBe(resp(frames[1])!.userResponse.responseId);

    expect((await quota('fast')).remainingQueries).toBe(139);
    expect((await quota('expert')).remainingQueries).toBe(50);
    expect(grok.accountsSeen()).toEqual([GROK_SSO.super]);
    expect(checkGrokHeaders(grok.requests[1])).toEqual([]);
  });

  it('sends thinking tokens first for a thinking model (v2 expert and v1 isReasoning)', async () => {
    const frames = await ndjson(await chat(v2Body('why?', 'expert')));
    expect(squash(frames.map(kind))).toEqual(['conversation', 'userResponse', 'thinking', 'token', 'softStop', 'modelResponse', 'finalMetadata', 'title']);
    const thinking = frames.filter((f) => kind(f) === 'thinking').map(resp);
    expect(thinking.map((t) => t!.token)).toEqual(grokThinking('why?'));
    expect(thinking[0]).toMatchObject({ messageTag: 'header', rolloutId: 'Grok', isThinking: true });

    const v1 = await ndjson(await chat({ message: 'hi', modelName: 'grok-3', modelMode: 'MODEL_MODE_GROK_3_THINKING', isReasoning: true, webpageUrls: [] }));
    expect(squash(v1.map(kind)).slice(0, 4)).toEqual(['conversation', 'userResponse', 'thinking', 'token']);
  });

  it('answers 429 with the code-8 body when scripted and when the quota runs out', async () => {
    grok.script(GROK_SSO.basic, { kind: 'rate-limited', count: 1 });
    const limited = await chat(v2Body('a', 'fast'), GROK_SSO.basic);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual(TOO_MANY_REQUESTS_ERROR);
    expect((await quota('fast', GROK_SSO.basic)).remainingQueries).toBe(80);

    grok.setQuota(GROK_SSO.basic, 'auto', 1, 3600);
    expect((await chat(v2Body('b', 'auto'), GROK_SSO.basic)).status).toBe(200);
    const out = await chat(v2Body('c', 'auto'), GROK_SSO.basic);
    expect(out.status).toBe(429);
    expect(await out.json()).toEqual(TOO_MANY_REQUESTS_ERROR);
    expect(await quota('auto', GROK_SSO.basic)).toMatchObject({ remainingQueries: 0, totalQueries: 20, waitTimeSeconds: 3600 });
  });

  it('sends in-band errors: a scripted code 8 after tokens, code 7 for a missing statsig, 401 for an unknown cookie', async () => {
    grok.script(GROK_SSO.super, { kind: 'in-band-error', code: 8, afterTokens: 2, count: 1 });
    const frames = await ndjson(await chat(v2Body('one two three four', 'fast')));
    expect(frames.map(kind)).toEqual(['conversation', 'userResponse', 'token', 'token', 'error']);
    expect(frames[4].error).toMatchObject({ code: 8 });

    const bot = await chat(v2Body('x', 'fast'), GROK_SSO.super, { 'x-statsig-id': '' });
    expect(bot.status).toBe(200);
    expect(await ndjson(bot)).toEqual([ANTI_BOT_ERROR]);

    const nobody = await chat(v2Body('x', 'fast'), 'not-an-account');
    expect(nobody.status).toBe(401);
    expect(await nobody.json()).toEqual(UNAUTHENTICATED_ERROR);
  });

  it('generates images served by the assets host only with the owner cookie', async () => {
    const frames = await ndjson(await chat(v2Body('Drawing: a red cat', 'fast'), GROK_SSO.basic));
    const cards = frames.filter((f) => kind(f) === 'card').map((f) => JSON.parse(resp(f)!.cardAttachment.jsonData));
    const done = cards.filter((c) => c.image_chunk.progress === 100);
    expect(cards.length).toBe(4);
    expect(done.length).toBe(2);
    const path: string = done[0].image_chunk.imageUrl;
    expect(path).toMatch(/^users\/[^/]+\/generated\/[^/]+\/image\.jpg$/);
    const model = resp(frames.find((f) => kind(f) === 'modelResponse')!)!.modelResponse;
    expect(model.generatedImageUrls).toEqual(done.map((c) => c.image_chunk.imageUrl));

    expect((await fetch(`${grok.assetsUrl}/${path}`)).status).toBe(403);
    expect((await fetch(`${grok.assetsUrl}/${path}`, { headers: { cookie: `sso=${GROK_SSO.super}` } })).status).toBe(403);
    const ok = await fetch(`${grok.assetsUrl}/${path}`, { headers: { cookie: `sso=${GROK_SSO.basic}; sso-rw=${GROK_SSO.basic}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await ok.arrayBuffer());
    expect(bytes.equals(grok.imageBytes(done[0].image_chunk.imageUuid)!)).toBe(true);
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });

  it('uploads a file, returns its id, and accepts it as an attachment of the same account only', async () => {
    const content = Buffer.from('fake png bytes');
    const res = await post('/rest/app-chat/upload-file', { fileName: 'a.png', fileMimeType: 'image/png', content: content.toString('base64') });
    expect(res.status).toBe(200);
    const up = (await res.json()) as { fileMetadataId: string; fileUri: string };
    expect(up.fileMetadataId).toMatch(/^[0-9a-f-]{36}$/);
    expect(up.fileUri).toContain(up.fileMetadataId);
    expect(grok.uploads.at(-1)!.bytes.equals(content)).toBe(true);

    const frames = await ndjson(await chat(v2Body('see', 'fast', { fileAttachments: [up.fileMetadataId] })));
    const text = frames.filter((f) => kind(f) === 'token').map((f) => resp(f)!.token).join('');
    expect(text).toBe(grokReply('see', [up.fileMetadataId]));
    expect((await chat(v2Body('see', 'fast', { fileAttachments: [up.fileMetadataId] }), GROK_SSO.heavy)).status).toBe(400);
  });

  it('answers the Cloudflare challenge page when scripted', async () => {
    grok.script('*', { kind: 'cloudflare', count: 1 });
    const res = await chat(v2Body('x', 'fast'));
    expect(res.status).toBe(403);
    expect(res.headers.get('cf-mitigated')).toBe('challenge');
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('Just a moment...');
    expect((await chat(v2Body('x', 'fast'))).status).toBe(200);
  });
});
