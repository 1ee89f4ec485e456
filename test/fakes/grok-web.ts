/**
 * A fake Grok web upstream (grok.com + assets.grok.com) on loopback HTTP, built to the protocol
 * reference of grok.com's web API. Two servers: `url` plays `https://grok.com`, `assetsUrl` plays
 * `https://assets.grok.com` (a second port, so asset paths join exactly as on the real hosts). Every
 * request to either is recorded in `requests`.
 *
 * Routes on `url` (reference §1): `POST /rest/app-chat/conversations/new` and
 * `POST /rest/app-chat/conversations/{id}/responses` (NDJSON streams, §4), `POST /rest/rate-limits`
 * (quota, §7), `POST /rest/app-chat/upload-file` (§1), `GET /rest/assets`,
 * `DELETE /rest/assets-metadata/{assetId}`. On `assetsUrl`: `GET /{path}` for generated images
 * (`users/{userId}/generated/{uuid}/image.jpg`) and uploads (`users/{userId}/{fileId}/content`),
 * served only with the owning account's `sso` cookie (403 otherwise, 404 when unknown or deleted).
 *
 * Gateway era (since August 2026 grok.com chats over a WebSocket; its reference is a separate
 * document): also on `url`, the WebSocket chat `GET /ws/mgw/?uid=<uuid>` (test/fakes/grok-gateway.ts:
 * handshake checks, event sequence, frames; one turn per socket, each recorded in `gatewayTurns`,
 * the upgrade also in `requests` as endpoint `gateway`), `GET /api/auth/session` (200
 * `{"status":"authenticated","user":{"id":<userId>,"email"},"session":{"userId":<userId>}}`, 401
 * `{"status":"unauthenticated"}` without a known `sso`), `POST /http/upload-file-v2/direct`
 * (multipart part `file` with filename and type, optional `file_source`; 200
 * `{"uploadId":"u-…","terminalError":null,"fileMetadata":{"fileMetadataId":"fm-…","fileId":"f-…",
 * "fileUri":"users/<userId>/<fileId>/content"}}`; the attachment id is `fileMetadataId`; 413 over
 * 32 MiB; a type outside images/PDF/Office/text gets 200 with a `terminalError` string and
 * `fileMetadata: null`; 400 for a body that is not multipart), and `POST /rest/rate-limits` with the
 * bare `{"modelName": mode}` body (statsig optional; every grok.com request records it as `statsig`).
 *
 * Usage:
 * ```ts
 * const grok = await startFakeGrok();                    // accounts GROK_SSO.basic / .super / .heavy
 * // provider config: baseUrl grok.url, assetsBase grok.assetsUrl, credentials GROK_SSO.*
 * grok.script(GROK_SSO.basic, { kind: 'rate-limited' });              // HTTP 429 code 8, until cleared
 * grok.script(GROK_SSO.super, { kind: 'in-band-error', code: 8, afterTokens: 2, count: 1 });
 * grok.script('*', { kind: 'cloudflare', on: 'any', count: 1 });      // 403 challenge page, any account
 * grok.setQuota(GROK_SSO.super, 'expert', 0, 3600);                   // next expert call: 429; rate-limits says 0
 * grok.accountsSeen();                                               // sso of each conversation request / gateway upgrade
 * grok.clear();                                                      // scripts, quotas, `requests`, `gatewayTurns` reset
 *
 * // The gateway (uid: the account's `userId`, as /api/auth/session reports it):
 * const uid = grok.accounts[1].userId;
 * new WebSocket(grokGatewayUrl(grok.url, uid), { headers: { origin: grok.url, 'user-agent': UA,
 *   cookie: `sso=${GROK_SSO.super}; sso-rw=${GROK_SSO.super}; x-userid=${uid}` } });
 * grok.script(GROK_SSO.basic, { on: 'gateway', kind: 'rate-limited', waitSeconds: 60 }); // handshake 429, Retry-After: 60
 * grok.script(GROK_SSO.super, { on: 'gateway', kind: 'anti-bot', mode: 'expert', count: 1 }); // in-band error event
 * grok.gatewayTurns.at(-1)!.violations;                              // [] when the client followed the reference
 * ```
 *
 * Scripts (`script(sso | '*', s)`) are asked in the order added; the first whose account, `on`
 * (`chat` default: both conversation routes; `quota`, `upload` (both upload routes), `session`,
 * `gateway`, `any`) and `mode` (modeId or v1 modelName; gateway: `session.model`) match answers, `count` times (default: until cleared or removed by the returned
 * function). They act after the cookie check (an unknown or missing `sso` is always 401) and before
 * the statsig check and body validation. Kinds:
 * - `rate-limited`: HTTP 429 `{"error":{"code":8,"message":"Too many requests",...}}`, quota untouched.
 * - `quota-exhausted`: sets the request's mode quota to 0 (`waitSeconds` -> `waitTimeSeconds`) and
 *   answers the same 429; later calls stay 429 naturally until `setQuota`/`clear`.
 * - `usage-limit`: in-band `{"error":{code (default 8), message: USAGE_LIMIT_MESSAGE}}` on a 200.
 * - `unauthorized`: 401 with the invalid-credentials body. `expired`: `status` (400|401|403, default
 *   403) whose body carries `marker` (one of CREDENTIAL_MARKERS, default `blocked-user`).
 * - `forbidden`: 403 with no credential or Cloudflare marker. `cloudflare`: 403 challenge HTML with
 *   `cf-mitigated: challenge`. `server-error`: `status` 500|502|503|504 (502/504 as Cloudflare HTML).
 * - `anti-bot`: the code-7 line in band on a 200 (or on HTTP `status`). `region`: in-band
 *   REGION_MESSAGE (code 9 unless `code`). `in-band-error`: `{code, message}` at top level or under
 *   `result.response.error` (`where`), after `afterTokens` answer tokens (default none), on `status`.
 * - Successful variants: `extras` (tool usage card, raw function result, web and X search results, an
 *   inline-citation card with its `<grok:render>` token and an `<xaiArtifact>` token: everything a
 *   provider must filter), `moderated` (image requests: the first `images` (default 1) images come
 *   back `moderated: true`), `slow` (`firstByteMs` before headers, `delayMs` between frames).
 * - Transport: `cut` (reset after `afterFrames` frames), `stall` (stop writing after `afterFrames`),
 *   `hang` (never answer), `reset` (destroy the socket before answering).
 * Any error kind takes `body` to replace its body (a string is sent verbatim).
 * - `blocked`: 403 with the `blocked-user` marker; on `session`: `{"status":"blocked"}` on `status`
 *   (default 200). On `session`, `unauthorized` answers 401 `{"status":"unauthenticated"}`.
 * - Gateway only: `session-ended`, `done-failed`. The gateway takes handshake kinds without a `mode`
 *   at the upgrade and everything else after `session.create`; see test/fakes/grok-gateway.ts.
 *
 * Conversations (reference §3/§4): the reply is `grokReply(message, fileAttachments)`, cut by
 * `splitGrokTokens` into `messageTag: "final"` token frames. Order: conversation (new only),
 * userResponse, thinking tokens (thinking models: `isThinking: true`, first `header` then `summary`,
 * `rolloutId` `Grok`; heavy also `Agent 2`), answer tokens, image frames then one `<grok:render>`
 * token per image card (image requests), an `isSoftStop: true` token, `modelResponse`,
 * `finalMetadata`, `title` (new only). Thinking models: v2 `modeId` expert/heavy; v1 `isReasoning`,
 * a `modelMode` with THINKING/EXPERT/HEAVY, or a `modelName` containing `thinking`. Image requests:
 * `enableImageGeneration` not false and a message line starting `Drawing:` / `Draw ` / `Generate an
 * image`; `imageGenerationCount` images (default 2, 1-4), as `cardAttachment` frames (v2 dialect) or
 * `streamingImageGenerationResponse` frames (v1), progress 50 then 100 (`imageFrames` overrides).
 * Each success costs quota units from the mode's window (v2: `modeId`, 1 unit; v1: `modelName`, 4
 * for MODEL_MODE_EXPERT, else 1); too few left -> 429. `x-statsig-id` is checked on conversation
 * routes (default: base64 of at least 32 bytes, like the reference's static value); a bad one gets
 * the reference's code-7 line in band (`antiBotStatus` to send it on another status).
 */
import http from 'node:http';
import { onJsonBody } from './json-body.js';
import { randomUUID } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { attachGrokGateway, type GrokGatewayStyle, type GrokGatewayTurn } from './grok-gateway.js';
import { multipartBoundary, parseMultipart } from './multipart.js';

export {
  GROK_CHANNELS, GROK_FOLLOWUP_TEXT, GROK_GATEWAY_PATH, GROK_HEAVY_REASONING, grokGatewayUrl,
  type GrokGatewayClientFrame, type GrokGatewayStyle, type GrokGatewayTurn,
} from './grok-gateway.js';

export type GrokTier = 'basic' | 'super' | 'heavy';

export interface FakeGrokAccount {
  /** The `sso` cookie value (a JWT on the real service). */
  sso: string;
  tier: GrokTier;
  /** The user id in asset paths (`users/{userId}/...`), `/api/auth/session` and the gateway's `uid`. */
  userId: string;
  /** What `/api/auth/session` reports (default `<tier>-<last 4 of userId>@fake.grok.test`). */
  email?: string;
}

/** A quota window as `POST /rest/rate-limits` reports it. */
export interface GrokQuota {
  windowSizeSeconds: number;
  remainingQueries: number;
  totalQueries: number;
  /** Unverified on the real service (reference §7); sent only when set. */
  waitTimeSeconds?: number;
}

export type GrokScriptKind =
  | 'rate-limited' | 'quota-exhausted' | 'usage-limit' | 'unauthorized' | 'expired' | 'forbidden'
  | 'cloudflare' | 'anti-bot' | 'region' | 'in-band-error' | 'server-error'
  | 'extras' | 'moderated' | 'slow' | 'cut' | 'stall' | 'hang' | 'reset'
  | 'blocked' | 'session-ended' | 'done-failed';

/** A scripted behaviour for one account (or `'*'`). See the file header for each kind. */
export interface GrokScript {
  kind: GrokScriptKind;
  /**
   * Which routes it applies to (default `chat`: the two HTTP conversation routes). `gateway`: the
   * WebSocket chat; `session`: `/api/auth/session`; `upload`: both upload routes. Stream-only kinds
   * apply to conversations and the gateway only.
   */
  on?: 'chat' | 'quota' | 'upload' | 'session' | 'gateway' | 'any';
  /** Only requests for this mode (`modeId`, or the v1 `modelName`; quota: the queried `modelName`; gateway: `session.model`). */
  mode?: string;
  /** How many requests get it; default until cleared. */
  count?: number;
  /** In-band / error code (`in-band-error` default 8, `usage-limit` 8, `region` 9). */
  code?: number;
  message?: string;
  /** HTTP status: `expired` (400|401|403), `server-error` (500|502|503|504), in-band kinds (default 200). */
  status?: number;
  /** `in-band-error`: `top` (`{"error":...}`, default) or `response` (`result.response.error`). */
  where?: 'top' | 'response';
  /** `in-band-error`: answer tokens sent before the error (default 0: the error line alone). */
  afterTokens?: number;
  /** `cut` / `stall`: frames written first (default 3). */
  afterFrames?: number;
  /** `quota-exhausted`: `waitTimeSeconds` reported afterwards. */
  waitSeconds?: number;
  /** `expired`: the marker its body carries. */
  marker?: (typeof CREDENTIAL_MARKERS)[number];
  /** `moderated`: how many images come back moderated (default 1). */
  images?: number;
  /** `slow`: delay before the headers, ms. */
  firstByteMs?: number;
  /** `slow`: delay between frames, ms. */
  delayMs?: number;
  /** Replace the error body (a string is sent as is). Gateway in-band kinds: the whole frame. */
  body?: unknown;
  /** Gateway failure kinds: send the failure frame in place of `session.created` (the first frame). */
  beforeSession?: boolean;
}

/** Stream variants the reference says a provider must accept (§4). */
export interface GrokStreamStyle {
  /** `data: {...}` lines separated by blank lines, ended by `data: [DONE]`. */
  sse?: boolean;
  /** `modelResponse` directly under `result` instead of `result.response`. */
  modelResponseAtTop?: boolean;
  /** Write each line in two pieces, so a frame straddles reads. */
  splitLines?: boolean;
}

export interface FakeGrokOptions {
  /** Accounts (a bare string is a basic account). Default DEFAULT_GROK_ACCOUNTS. */
  accounts?: readonly (FakeGrokAccount | string)[];
  /** Per-tier quota windows, merged over DEFAULT_GROK_QUOTAS. */
  quotas?: Partial<Record<GrokTier, Record<string, QuotaSpec>>>;
  /** Delay between stream frames, ms (default 0). */
  chunkDelayMs?: number;
  /** `x-statsig-id` check on conversation routes: `require` (default), `ignore`, or a validator. */
  statsig?: 'require' | 'ignore' | ((value: string) => boolean);
  /** Status of the anti-bot answer (default 200: the code-7 line in band). */
  antiBotStatus?: number;
  /** When set, every grok.com route needs `cf_clearance=<this>` in the cookie, else the challenge page. */
  cfClearance?: string;
  /** With `cfClearance`: the User-Agent the clearance was issued to (reference §2). */
  clearanceUserAgent?: string;
  /** Image frame shape: `auto` (default: cards for v2, streamingImageGenerationResponse for v1). */
  imageFrames?: 'auto' | 'card' | 'streaming' | 'both';
  /** Where the page with the site-verification meta is: `index` (default: `/index` and `/`) or `root` (`/index` is a 404). */
  pageAt?: 'index' | 'root';
  /** The id key of the upload answer (`fileMetadataId` default, or `fileId`). */
  uploadIdKey?: 'fileMetadataId' | 'fileId';
  style?: GrokStreamStyle;
  /** Spelling variants of the gateway's frames. */
  gatewayStyle?: GrokGatewayStyle;
  /** The Origin the gateway expects on the upgrade (default: the fake's own `url`). */
  gatewayOrigin?: string;
}

export interface GrokRecordedRequest {
  host: 'grok' | 'assets';
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body; undefined when absent or not a JSON object. */
  body: Record<string, unknown> | undefined;
  cookies: Record<string, string>;
  /** The `sso` cookie ('' without one). */
  account: string;
  endpoint?: 'conversation' | 'continue' | 'quota' | 'upload' | 'upload-v2' | 'session' | 'gateway' | 'page' | 'assets-list' | 'asset-delete' | 'asset';
  /** Conversations: the body's dialect and quota key (`modeId` or v1 `modelName`). */
  dialect?: 'v1' | 'v2';
  mode?: string;
  status?: number;
  /** The `x-statsig-id` header, when sent (optional on rate-limits since the gateway switch). */
  statsig?: string;
  at: number;
  closedAt?: number;
}

export interface GrokUpload {
  /** The file id of the asset path; for the old route also the attachment id. */
  fileId: string;
  /** Upload v2: the attachment id (`fileMetadata.fileMetadataId`). */
  fileMetadataId?: string;
  /** Upload v2: the `uploadId`. */
  uploadId?: string;
  /** Upload v2: the `file_source` form field, when sent. */
  fileSource?: string;
  account: string;
  fileName: string;
  mimeType: string;
  bytes: Buffer;
  fileUri: string;
}

export interface GrokImage {
  uuid: string;
  account: string;
  /** Path on the assets host, as the stream reports it (`users/{userId}/generated/{uuid}/image.jpg`). */
  path: string;
  bytes: Buffer;
  moderated: boolean;
}

export interface FakeGrok {
  /** `http://127.0.0.1:<port>` playing https://grok.com, no trailing slash. */
  url: string;
  /** `http://127.0.0.1:<port2>` playing https://assets.grok.com, no trailing slash. */
  assetsUrl: string;
  accounts: FakeGrokAccount[];
  requests: GrokRecordedRequest[];
  uploads: GrokUpload[];
  images: GrokImage[];
  /** Every WebSocket connection to the gateway path, refused handshakes included, in order. */
  gatewayTurns: GrokGatewayTurn[];
  /** Script a behaviour for an account (`'*'`: any). Returns a remover. */
  script(sso: string, script: GrokScript): () => void;
  /** Set a mode's remaining queries (and `waitTimeSeconds`, or more of the window). */
  setQuota(sso: string, mode: string, remaining: number, wait?: number | Partial<GrokQuota>): void;
  /** The current quota window of an account's mode. */
  quota(sso: string, mode: string): GrokQuota;
  addAccount(account: FakeGrokAccount | string): FakeGrokAccount;
  setStyle(style: GrokStreamStyle): void;
  setGatewayStyle(style: GrokGatewayStyle): void;
  /** Drop scripts, restore default quotas, empty `requests` and `gatewayTurns` (uploads and images stay). */
  clear(): void;
  /** The `sso` of each conversation request and gateway upgrade, in arrival order ('' when none). */
  accountsSeen(): string[];
  /** The bytes of a generated image (by uuid) or an upload (by file id or file metadata id). */
  imageBytes(id: string): Buffer | undefined;
  close(): Promise<void>;
}

export interface QuotaSpec {
  total: number;
  windowSizeSeconds: number;
}

/** A JWT-shaped fake `sso` token (deterministic). */
export function fakeSsoToken(name: string): string {
  const b64 = (x: string) => Buffer.from(x).toString('base64url');
  return `${b64('{"alg":"HS256","typ":"JWT"}')}.${b64(JSON.stringify({ session_id: `fake-${name}-session` }))}.${b64(`sig-${name}`.padEnd(32, '.'))}`;
}

export const GROK_SSO = { basic: fakeSsoToken('basic'), super: fakeSsoToken('super'), heavy: fakeSsoToken('heavy') } as const;

export const DEFAULT_GROK_ACCOUNTS: readonly FakeGrokAccount[] = [
  { sso: GROK_SSO.basic, tier: 'basic', userId: '00000000-0000-4000-8000-00000000b001' },
  { sso: GROK_SSO.super, tier: 'super', userId: '00000000-0000-4000-8000-00000000c002' },
  { sso: GROK_SSO.heavy, tier: 'heavy', userId: '00000000-0000-4000-8000-00000000d003' },
];

const q = (total: number, windowSizeSeconds: number): QuotaSpec => ({ total, windowSizeSeconds });
/**
 * Quota windows per tier (reference §7). Keys are modeIds or v1 modelNames; `v1` is the fallback for
 * any other v1 modelName. Basic: the v1-era 80 per 20 h, auto 20 (the tier-inference threshold).
 * Note: the gateway-era reference infers basic from a `fast` total of 30 (super 140, heavy 400);
 * basic `fast` stays 80 because test/fake-grok-web.test.ts asserts it. Pass
 * `quotas: { basic: { fast: { total: 30, windowSizeSeconds: 72000 } } }` for the newer figure.
 */
export const DEFAULT_GROK_QUOTAS: Record<GrokTier, Record<string, QuotaSpec>> = {
  basic: { auto: q(20, 72000), fast: q(80, 72000), expert: q(20, 72000), heavy: q(0, 72000), 'grok-4-heavy': q(0, 72000), v1: q(80, 72000) },
  super: { auto: q(50, 7200), fast: q(140, 7200), expert: q(50, 7200), heavy: q(0, 7200), 'grok-4-heavy': q(20, 7200), v1: q(140, 7200) },
  heavy: { auto: q(150, 7200), fast: q(400, 7200), expert: q(150, 7200), heavy: q(20, 7200), 'grok-4-heavy': q(20, 7200), v1: q(400, 7200) },
};

export const GROK_MODES = ['auto', 'fast', 'expert', 'heavy'] as const;
/** The rollouts of heavy (multi-agent) thinking. */
export const GROK_HEAVY_ROLLOUTS = ['Grok', 'Agent 2'] as const;
/** The reference's default static `x-statsig-id`. */
export const GROK_STATIC_STATSIG = 'ZTpUeXBlRXJyb3I6IENhbm5vdCByZWFkIHByb3BlcnRpZXMgb2YgdW5kZWZpbmVkIChyZWFkaW5nICdjaGlsZE5vZGVzJyk=';

/** The site-verification meta content of the fake's page (what a statsig signer signs with). */
export const GROK_SITE_VERIFICATION = 'fake-site-verification-4f1c9a';

/** The reference's credential-invalid markers (§7). */
export const CREDENTIAL_MARKERS = [
  'invalid-credentials', 'bad-credentials', 'failed to look up session id', 'blocked-user', 'email-domain-rejected',
  'session not found', 'account suspended', 'token revoked', 'token expired',
] as const;

const grpc = (code: number, message: string) => ({ error: { code, message, details: [] as unknown[] } });
/** The anti-bot line, keys in the reference example's order. */
export const ANTI_BOT_ERROR = { error: { message: 'Request rejected by anti-bot rules.', code: 7, details: [] as unknown[] } };
export const TOO_MANY_REQUESTS_ERROR = grpc(8, 'Too many requests');
export const UNAUTHENTICATED_ERROR = grpc(16, 'Failed to look up session ID. [WKE=unauthenticated:invalid-credentials]');
export const FORBIDDEN_ERROR = grpc(403, 'Forbidden');
export const USAGE_LIMIT_MESSAGE = "You've reached your usage limit for this model. Please wait for your usage quota to reset.";
export const REGION_MESSAGE = 'This service is not available in your region';

export const GROK_WEB_RESULTS = [
  { url: 'https://example.com/grok-fake-1', title: 'Fake result one', preview: 'The first fake search result.' },
  { url: 'https://example.org/grok-fake-2', title: 'Fake result two', preview: 'The second fake search result.' },
];
export const GROK_X_RESULTS = [{ username: 'fakeuser', postId: '1800000000000000001', text: 'A fake post about the query.' }];

/** The answer to a conversation: predictable from the request's `message` and `fileAttachments`. */
export function grokReply(message: string, fileAttachments: readonly string[] = []): string {
  return `Grok heard: ${message}${fileAttachments.length ? ` [files: ${fileAttachments.join(', ')}]` : ''}`;
}

/** The thinking tokens of a thinking model (per rollout), header first. */
export function grokThinking(message: string): string[] {
  return ['Thinking about your request', `\n- Reading ${message.length} characters`, '\n- Drafting the echo'];
}

/** How text is cut into token frames: words with their leading whitespace; joins back exactly. */
export function splitGrokTokens(text: string): string[] {
  const pieces: string[] = [...(text.match(/\s*\S+/g) ?? [])];
  const rest = text.slice(pieces.join('').length);
  if (rest) pieces.push(rest);
  return pieces.length ? pieces : [''];
}

/** Whether a conversation body asks for images (the fake's rule; Grok itself decides). */
export function isImageRequest(body: Record<string, unknown>): boolean {
  return body.enableImageGeneration !== false && /(^|\n)\s*(\[user\]:\s*)?(drawing:|draw\s|generate an? image)/i.test(String(body.message ?? ''));
}

/** A tiny valid baseline JPEG (8x8 grey) whose COM segment carries `label`, so each image differs. */
export function fakeJpeg(label: string): Buffer {
  const seg = (marker: number, payload: Buffer) =>
    Buffer.concat([Buffer.from([0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  const oneCodeTable = (cls: number) => Buffer.from([cls, 1, ...new Array<number>(15).fill(0), 0]);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    seg(0xe0, Buffer.from([0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0])),
    seg(0xfe, Buffer.from(`fake grok image ${label}`, 'utf8')),
    seg(0xdb, Buffer.from([0, ...new Array<number>(64).fill(1)])),
    seg(0xc0, Buffer.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0])),
    seg(0xc4, oneCodeTable(0x00)),
    seg(0xc4, oneCodeTable(0x10)),
    seg(0xda, Buffer.from([1, 1, 0x00, 0, 63, 0])),
    Buffer.from([0x3f, 0xff, 0xd9]),
  ]);
}

/** Cloudflare's managed-challenge page ("Just a moment..."). */
export function cloudflareChallengeHtml(ray: string): string {
  return `<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow"><meta name="viewport" content="width=device-width,initial-scale=1"></head><body><div class="main-wrapper" role="main"><div class="main-content"><h1 class="zone-name-title h1">grok.com</h1><div id="cf-challenge-running" class="h2">Verifying you are human. This may take a few seconds.</div><noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to continue</span></div></noscript></div></div><script>(function(){window._cf_chl_opt={cvId:'3',cZone:'grok.com',cType:'managed',cRay:'${ray}'};var cpo=document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=${ray}';document.getElementsByTagName('head')[0].appendChild(cpo);}());</script><div class="footer" role="contentinfo"><div class="footer-inner"><div class="text-center">Ray ID: <code>${ray}</code></div><div class="text-center">Performance &amp; security by <a rel="noopener noreferrer" href="https://www.cloudflare.com?utm_source=challenge&amp;utm_campaign=m" target="_blank">Cloudflare</a></div></div></div></body></html>`;
}

/**
 * Deviations of a recorded grok.com request from the reference's headers (§2); [] when it conforms.
 * `origin` is what Origin/Referer should name (the reference: `https://grok.com`).
 */
export function checkGrokHeaders(r: GrokRecordedRequest, origin = 'https://grok.com'): string[] {
  const h = r.headers;
  const out: string[] = [];
  if (r.method === 'POST' && !String(h['content-type'] ?? '').startsWith('application/json')) out.push('content-type is not application/json');
  if (!h.accept) out.push('no accept');
  if (h.origin !== origin) out.push(`origin is ${String(h.origin)}`);
  if (h.referer !== `${origin}/`) out.push(`referer is ${String(h.referer)}`);
  if (!h['user-agent']) out.push('no user-agent');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(String(h['x-xai-request-id'] ?? ''))) out.push('x-xai-request-id is not a uuid v4');
  if (!h['x-statsig-id']) out.push('no x-statsig-id');
  if (!r.cookies.sso) out.push('no sso cookie');
  if (!r.cookies['sso-rw']) out.push('no sso-rw cookie');
  return out;
}

/** Parse a Cookie header (`a=b; c=d`); the first occurrence of a name wins. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (!(name in out)) out[name] = part.slice(i + 1).trim();
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const STREAM_ONLY = new Set<GrokScriptKind>(['quota-exhausted', 'usage-limit', 'anti-bot', 'region', 'in-band-error', 'extras', 'moderated', 'cut', 'stall', 'session-ended', 'done-failed']);
/** Kinds only the WebSocket gateway has (the HTTP stream ends at EOF). */
const GATEWAY_ONLY = new Set<GrokScriptKind>(['session-ended', 'done-failed']);
/** Upload v2's limit per file (reference: chat attachments, 32 MiB each). */
const UPLOAD_V2_MAX_BYTES = 32 * 1024 * 1024;
/** The MIME types upload v2 accepts (images, PDF, Office, text, CSV, Markdown, HTML, XML); others get a `terminalError`. */
const UPLOAD_V2_TYPES = /^(image\/(jpeg|png|webp|gif)|application\/pdf|text\/.+|application\/(msword|xml|vnd\.ms-.+|vnd\.openxmlformats-officedocument\..+))$/i;
const CONTINUE_PATH = /^\/rest\/app-chat\/conversations\/([^/]+)\/responses$/;
const DELETE_PATH = /^\/rest\/assets-metadata\/([^/]+)$/;

/** A plain HTTP answer: status, body (a string is sent as is, else as JSON), extra headers. */
export type GrokAnswer = { status: number; body: unknown; headers?: Record<string, string> };
type Answer = GrokAnswer;
interface Script { sso: string; left: number; s: GrokScript }
interface Asset { id: string; owner: string; path: string; mime: string; name: string; bytes: Buffer; createTime: string; deleted?: boolean }
interface Plan {
  rec: GrokRecordedRequest;
  account: FakeGrokAccount;
  body: Record<string, unknown>;
  message: string;
  files: string[];
  conversationId?: string;
  script?: GrokScript;
}

export async function startFakeGrok(options: FakeGrokOptions = {}): Promise<FakeGrok> {
  const accounts: FakeGrokAccount[] = [];
  const requests: GrokRecordedRequest[] = [];
  const uploads: GrokUpload[] = [];
  const images: GrokImage[] = [];
  const assets = new Map<string, Asset>(); // by path
  const conversations = new Map<string, string>(); // conversationId -> owner sso
  const quotas = new Map<string, GrokQuota>();
  const sockets = new Set<Socket>();
  let scripts: Script[] = [];
  let style: GrokStreamStyle = { ...options.style };
  let seq = 0;

  const table = (tier: GrokTier) => ({ ...DEFAULT_GROK_QUOTAS[tier], ...options.quotas?.[tier] });
  const byToken = (sso: string) => accounts.find((a) => a.sso === sso);

  function quotaOf(sso: string, mode: string): GrokQuota {
    const key = `${sso}\u0000${mode}`;
    let w = quotas.get(key);
    if (!w) {
      const t = table(byToken(sso)?.tier ?? 'basic');
      const spec = t[mode] ?? (mode.startsWith('grok-') ? t.v1 : undefined) ?? q(0, 7200);
      quotas.set(key, (w = { windowSizeSeconds: spec.windowSizeSeconds, remainingQueries: spec.total, totalQueries: spec.total }));
    }
    return w;
  }

  function addAccount(a: FakeGrokAccount | string): FakeGrokAccount {
    const acc = typeof a === 'string' ? { sso: a, tier: 'basic' as const, userId: randomUUID() } : { ...a };
    accounts.push(acc);
    return acc;
  }
  for (const a of options.accounts ?? DEFAULT_GROK_ACCOUNTS) addAccount(a);

  function send(rec: GrokRecordedRequest, res: http.ServerResponse, a: Answer): void {
    const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
    rec.status = a.status;
    const type = typeof a.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
    res.writeHead(a.status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...a.headers });
    res.end(text);
  }

  function cloudflare(): Answer {
    const ray = `${(++seq * 2654435761 >>> 0).toString(16).padStart(8, '0')}${'a1b2c3d4'}-SJC`;
    return {
      status: 403,
      body: cloudflareChallengeHtml(ray),
      headers: {
        'content-type': 'text/html; charset=UTF-8', 'cf-mitigated': 'challenge', server: 'cloudflare', 'cf-ray': ray,
        'cache-control': 'private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0',
        'referrer-policy': 'same-origin', 'x-frame-options': 'SAMEORIGIN',
      },
    };
  }

  /** The plain HTTP answer of an error kind; undefined for kinds that stream or break transport. */
  function errorAnswer(s: GrokScript): Answer | undefined {
    const withBody = (a: Answer): Answer => (s.body === undefined ? a : { ...a, body: s.body, headers: typeof s.body === 'string' ? { ...a.headers, 'content-type': 'text/plain; charset=utf-8' } : a.headers });
    switch (s.kind) {
      case 'rate-limited': return withBody({ status: 429, body: TOO_MANY_REQUESTS_ERROR });
      case 'unauthorized': return withBody({ status: 401, body: UNAUTHENTICATED_ERROR });
      case 'expired': {
        const marker = s.marker ?? 'blocked-user';
        return withBody({ status: s.status ?? 403, body: grpc(16, `Access denied: ${marker}. [WKE=unauthenticated:${marker}]`) });
      }
      case 'forbidden': return withBody({ status: 403, body: FORBIDDEN_ERROR });
      case 'blocked': return withBody({ status: s.status ?? 403, body: grpc(16, 'Access denied: blocked-user. [WKE=unauthenticated:blocked-user]') });
      case 'cloudflare': return cloudflare();
      case 'server-error': {
        const status = s.status ?? 503;
        if (status === 502 || status === 504) {
          const title = status === 502 ? '502 Bad Gateway' : '504 Gateway Time-out';
          return withBody({ status, body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`, headers: { 'content-type': 'text/html', server: 'cloudflare' } });
        }
        return withBody({ status, body: status === 500 ? grpc(13, 'Internal error') : grpc(14, 'The service is currently unavailable.') });
      }
      default: return undefined;
    }
  }

  type Group = 'chat' | 'quota' | 'upload' | 'session' | 'gateway';
  function takeScript(sso: string, group: Group, mode: string | undefined, accept: (s: GrokScript) => boolean = () => true): GrokScript | undefined {
    const x = scripts.find(({ sso: who, s }) =>
      (who === '*' || who === sso) &&
      ((s.on ?? 'chat') === group || s.on === 'any') &&
      (group === 'chat' || group === 'gateway' || !STREAM_ONLY.has(s.kind)) &&
      (group === 'gateway' || !GATEWAY_ONLY.has(s.kind)) &&
      (!s.mode || s.mode === mode) &&
      accept(s));
    if (!x) return undefined;
    if (--x.left <= 0) scripts = scripts.filter((y) => y !== x);
    return x.s;
  }

  /** Answer a script that preempts the route; true when it did. */
  async function preempt(rec: GrokRecordedRequest, req: http.IncomingMessage, res: http.ServerResponse, s: GrokScript | undefined): Promise<boolean> {
    if (!s) return false;
    if (s.kind === 'hang') return true;
    if (s.kind === 'reset') {
      req.socket.destroy();
      return true;
    }
    if (s.kind === 'slow' && s.firstByteMs) await sleep(s.firstByteMs);
    const a = errorAnswer(s);
    if (a) send(rec, res, a);
    return Boolean(a);
  }

  /** The challenge page when `cfClearance` is set and the request lacks it (or comes from another User-Agent). */
  function clearance(req: http.IncomingMessage, cookies: Record<string, string>): Answer | undefined {
    if (!options.cfClearance) return undefined;
    const ok = cookies.cf_clearance === options.cfClearance && (options.clearanceUserAgent === undefined || req.headers['user-agent'] === options.clearanceUserAgent);
    return ok ? undefined : cloudflare();
  }

  async function route(rec: GrokRecordedRequest, req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer): Promise<void> {
    const { method, path } = rec;
    const cont = CONTINUE_PATH.exec(path);
    const del = DELETE_PATH.exec(path);
    if (method === 'POST' && path === '/rest/app-chat/conversations/new') rec.endpoint = 'conversation';
    else if (method === 'POST' && cont) rec.endpoint = 'continue';
    else if (method === 'POST' && path === '/rest/rate-limits') rec.endpoint = 'quota';
    else if (method === 'POST' && path === '/rest/app-chat/upload-file') rec.endpoint = 'upload';
    else if (method === 'POST' && path === '/http/upload-file-v2/direct') rec.endpoint = 'upload-v2';
    else if (method === 'GET' && path === '/api/auth/session') rec.endpoint = 'session';
    else if (method === 'GET' && (path === '/index' || path === '/')) rec.endpoint = 'page';
    else if (method === 'GET' && path === '/rest/assets') rec.endpoint = 'assets-list';
    else if (method === 'DELETE' && del) rec.endpoint = 'asset-delete';

    const challenge = clearance(req, rec.cookies);
    if (challenge) return send(rec, res, challenge);
    if (!rec.endpoint) return send(rec, res, { status: 404, body: grpc(5, 'Not Found') });
    const account = byToken(rec.account);
    if (rec.endpoint === 'session') return session(rec, req, res, account);
    // The page a statsig signer signs with: its site-verification meta (only on `/`, `/index` is a 404, with `pageAt: 'root'`).
    if (rec.endpoint === 'page') {
      if (options.pageAt === 'root' && path === '/index') return send(rec, res, { status: 404, body: '<html><body>Not found</body></html>' });
      return send(rec, res, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!DOCTYPE html><html><head><meta name="grok-site-verification" content="${GROK_SITE_VERIFICATION}"/><title>Grok</title></head><body></body></html>` });
    }
    if (!account) return send(rec, res, { status: 401, body: UNAUTHENTICATED_ERROR });

    switch (rec.endpoint) {
      case 'conversation':
      case 'continue': return conversation(rec, req, res, account, cont?.[1]);
      case 'quota': {
        const mode = typeof rec.body?.modelName === 'string' ? rec.body.modelName : undefined;
        if (await preempt(rec, req, res, takeScript(account.sso, 'quota', mode))) return;
        if (!mode) return send(rec, res, { status: 400, body: grpc(3, 'modelName is required') });
        const w = quotaOf(account.sso, mode);
        return send(rec, res, { status: 200, body: { windowSizeSeconds: w.windowSizeSeconds, remainingQueries: w.remainingQueries, totalQueries: w.totalQueries, lowEffortRateLimits: null, highEffortRateLimits: null, ...(w.waitTimeSeconds !== undefined ? { waitTimeSeconds: w.waitTimeSeconds } : {}) } });
      }
      case 'upload': {
        if (await preempt(rec, req, res, takeScript(account.sso, 'upload', undefined))) return;
        return upload(rec, res, account);
      }
      case 'upload-v2': {
        if (await preempt(rec, req, res, takeScript(account.sso, 'upload', undefined))) return;
        return uploadV2(rec, req, res, account, bytes);
      }
      case 'assets-list': {
        const list = [...assets.values()].filter((a) => a.owner === account.sso && !a.deleted);
        return send(rec, res, { status: 200, body: { assets: list.map((a) => ({ assetId: a.id, mimeType: a.mime, name: a.name, key: a.path, createTime: a.createTime, sizeBytes: a.bytes.length })), nextPageToken: '' } });
      }
      case 'asset-delete': {
        const a = [...assets.values()].find((x) => x.id === del![1] && x.owner === account.sso && !x.deleted);
        if (!a) return send(rec, res, { status: 404, body: grpc(5, 'Asset not found') });
        a.deleted = true;
        return send(rec, res, { status: 200, body: {} });
      }
      default: return send(rec, res, { status: 404, body: grpc(5, 'Not Found') });
    }
  }

  /** `GET /api/auth/session`: who the cookies belong to (the uid the gateway wants). */
  async function session(rec: GrokRecordedRequest, req: http.IncomingMessage, res: http.ServerResponse, account: FakeGrokAccount | undefined): Promise<void> {
    const unauthenticated: Answer = { status: 401, body: { status: 'unauthenticated' } };
    if (!account) return send(rec, res, unauthenticated);
    const s = takeScript(account.sso, 'session', undefined);
    if (s?.kind === 'unauthorized') return send(rec, res, { ...unauthenticated, body: s.body ?? unauthenticated.body });
    if (s?.kind === 'blocked') return send(rec, res, { status: s.status ?? 200, body: s.body ?? { status: 'blocked' } });
    if (await preempt(rec, req, res, s)) return;
    const email = account.email ?? `${account.tier}-${account.userId.slice(-4)}@fake.grok.test`;
    send(rec, res, { status: 200, body: { status: 'authenticated', user: { id: account.userId, email }, session: { userId: account.userId } } });
  }

  /** `POST /http/upload-file-v2/direct`: one multipart `file` part (plus optional fields such as `file_source`). */
  function uploadV2(rec: GrokRecordedRequest, req: http.IncomingMessage, res: http.ServerResponse, account: FakeGrokAccount, bytes: Buffer): void {
    const boundary = multipartBoundary(req.headers['content-type']);
    const parts = boundary ? parseMultipart(bytes, boundary) : undefined;
    if (!parts) return send(rec, res, { status: 400, body: grpc(3, 'Expected a multipart/form-data body') });
    const file = parts.find((p) => p.name === 'file');
    if (!file || !file.filename || !file.contentType) return send(rec, res, { status: 400, body: grpc(3, 'A file part with a filename and a content type is required') });
    if (file.bytes.length > UPLOAD_V2_MAX_BYTES) return send(rec, res, { status: 413, body: grpc(3, `File larger than ${UPLOAD_V2_MAX_BYTES} bytes`) });
    const uploadId = `u-${randomUUID()}`;
    const mimeType = file.contentType.split(';')[0].trim();
    if (!UPLOAD_V2_TYPES.test(mimeType)) {
      return send(rec, res, { status: 200, body: { uploadId, terminalError: `Unsupported file type: ${mimeType}`, fileMetadata: null } });
    }
    const fileId = `f-${randomUUID()}`;
    const fileMetadataId = `fm-${randomUUID()}`;
    const fileUri = `users/${account.userId}/${fileId}/content`;
    const fileSource = parts.find((p) => p.name === 'file_source')?.bytes.toString('utf8');
    const copy = Buffer.from(file.bytes); // the part is a view of the whole body
    uploads.push({ fileId, fileMetadataId, uploadId, ...(fileSource !== undefined ? { fileSource } : {}), account: account.sso, fileName: file.filename, mimeType, bytes: copy, fileUri });
    assets.set(fileUri, { id: fileId, owner: account.sso, path: fileUri, mime: mimeType, name: file.filename, bytes: copy, createTime: new Date().toISOString() });
    send(rec, res, { status: 200, body: { uploadId, terminalError: null, fileMetadata: { fileMetadataId, fileId, fileUri } } });
  }

  /** A generated image of an account, recorded in `images` and (unless moderated) served by the assets host. */
  function newImage(account: FakeGrokAccount, moderated: boolean): GrokImage {
    const uuid = randomUUID();
    const img: GrokImage = { uuid, account: account.sso, path: `users/${account.userId}/generated/${uuid}/image.jpg`, bytes: fakeJpeg(uuid), moderated };
    images.push(img);
    if (!moderated) assets.set(img.path, { id: uuid, owner: account.sso, path: img.path, mime: 'image/jpeg', name: 'image.jpg', bytes: img.bytes, createTime: new Date().toISOString() });
    return img;
  }

  function upload(rec: GrokRecordedRequest, res: http.ServerResponse, account: FakeGrokAccount): void {
    const b = rec.body;
    const content = typeof b?.content === 'string' ? b.content.replace(/\s+/g, '') : '';
    if (!b || typeof b.fileName !== 'string' || !b.fileName || typeof b.fileMimeType !== 'string' || !b.fileMimeType) {
      return send(rec, res, { status: 400, body: grpc(3, 'fileName and fileMimeType are required') });
    }
    if (!content || content.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(content)) {
      return send(rec, res, { status: 400, body: grpc(3, 'content must be non-empty base64') });
    }
    const fileId = randomUUID();
    const fileUri = `users/${account.userId}/${fileId}/content`;
    const bytes = Buffer.from(content, 'base64');
    const createTime = new Date().toISOString();
    uploads.push({ fileId, account: account.sso, fileName: b.fileName, mimeType: b.fileMimeType, bytes, fileUri });
    assets.set(fileUri, { id: fileId, owner: account.sso, path: fileUri, mime: b.fileMimeType, name: b.fileName, bytes, createTime });
    send(rec, res, { status: 200, body: { [options.uploadIdKey ?? 'fileMetadataId']: fileId, fileMimeType: b.fileMimeType, fileName: b.fileName, fileUri, parsedFileUri: '', createTime } });
  }

  async function conversation(rec: GrokRecordedRequest, req: http.IncomingMessage, res: http.ServerResponse, account: FakeGrokAccount, continueId?: string): Promise<void> {
    const b = rec.body ?? {};
    const v2 = typeof b.modeId === 'string';
    rec.dialect = v2 ? 'v2' : typeof b.modelName === 'string' ? 'v1' : undefined;
    rec.mode = v2 ? (b.modeId as string) : typeof b.modelName === 'string' ? b.modelName : undefined;
    const s = takeScript(account.sso, 'chat', rec.mode);
    if (await preempt(rec, req, res, s)) return;

    const statsig = String(req.headers['x-statsig-id'] ?? '');
    const check = options.statsig ?? 'require';
    const statsigOk = check === 'ignore' || (typeof check === 'function' ? check(statsig) : validStatsig(statsig));
    if (!statsigOk) return inBand(rec, res, ANTI_BOT_ERROR, options.antiBotStatus ?? 200);
    if (s?.kind === 'anti-bot') return inBand(rec, res, s.body ?? ANTI_BOT_ERROR, s.status ?? 200);

    if (!rec.body) return send(rec, res, { status: 400, body: grpc(3, 'Request body must be a JSON object') });
    if (typeof b.message !== 'string') return send(rec, res, { status: 400, body: grpc(3, 'message is required') });
    if (v2 && !(GROK_MODES as readonly string[]).includes(rec.mode!)) return send(rec, res, { status: 400, body: grpc(3, `Unknown modeId: ${rec.mode}`) });
    if (!v2 && (!rec.mode || typeof b.modelMode !== 'string' || !b.modelMode.startsWith('MODEL_MODE_'))) {
      return send(rec, res, { status: 400, body: grpc(3, 'modeId, or modelName and modelMode, are required') });
    }
    const files = Array.isArray(b.fileAttachments) ? b.fileAttachments.map(String) : [];
    const missing = files.find((id) => !uploads.some((u) => u.fileId === id && u.account === account.sso));
    if (missing) return send(rec, res, { status: 400, body: grpc(3, `File not found: ${missing}`) });
    if (continueId !== undefined && conversations.get(continueId) !== account.sso) {
      return send(rec, res, { status: 404, body: grpc(5, 'Conversation not found') });
    }

    if (s?.kind === 'region') return inBand(rec, res, s.body ?? grpc(s.code ?? 9, s.message ?? REGION_MESSAGE), s.status ?? 200);
    if (s?.kind === 'usage-limit') return inBand(rec, res, s.body ?? grpc(s.code ?? 8, s.message ?? USAGE_LIMIT_MESSAGE), s.status ?? 200);
    const w = quotaOf(account.sso, rec.mode!);
    if (s?.kind === 'quota-exhausted') {
      w.remainingQueries = 0;
      if (s.waitSeconds !== undefined) w.waitTimeSeconds = s.waitSeconds;
      return send(rec, res, { status: 429, body: s.body ?? TOO_MANY_REQUESTS_ERROR });
    }
    const cost = !v2 && b.modelMode === 'MODEL_MODE_EXPERT' ? 4 : 1;
    if (w.remainingQueries < cost) return send(rec, res, { status: 429, body: TOO_MANY_REQUESTS_ERROR });

    const plan: Plan = { rec, account, body: b, message: b.message, files, conversationId: continueId, script: s };
    if (s?.kind === 'in-band-error') {
      const err = s.body ?? grpc(s.code ?? 8, s.message ?? 'Too many requests');
      const line = s.where === 'response' ? { result: { response: { error: (err as { error?: unknown }).error ?? err } } } : err;
      if (!s.afterTokens) return stream(rec, res, [line], s.status ?? 200, s);
      // The opening frames (conversation, userResponse, thinking) and the first `afterTokens` answer tokens.
      const all = frames_(plan);
      const first = all.findIndex(isAnswerToken);
      return stream(rec, res, [...all.slice(0, first + s.afterTokens), line], s.status ?? 200, s);
    }
    w.remainingQueries -= cost;
    return stream(rec, res, frames_(plan), 200, s);
  }

  function inBand(rec: GrokRecordedRequest, res: http.ServerResponse, line: unknown, status: number): Promise<void> {
    return stream(rec, res, [line], status, undefined);
  }

  /** The frames of a successful answer, in the reference's order (§4). */
  function frames_(p: Plan): unknown[] {
    const { body, account } = p;
    const now = new Date().toISOString();
    const conversationId = p.conversationId ?? randomUUID();
    const userResponseId = randomUUID();
    const responseId = randomUUID();
    const r = (response: Record<string, unknown>) => ({ result: { response } });
    const tok = (token: string, isThinking: boolean, messageTag: string, rolloutId?: string, extra: Record<string, unknown> = {}) =>
      r({ token, isThinking, isSoftStop: false, responseId, messageTag, ...(rolloutId ? { rolloutId } : {}), ...extra });
    const out: unknown[] = [];
    const extras = p.script?.kind === 'extras';

    if (!p.conversationId) {
      conversations.set(conversationId, account.sso);
      out.push({ result: { conversation: { conversationId, title: 'New conversation', starred: false, createTime: now, modifyTime: now, systemPromptName: '', temporary: body.temporary === true, mediaTypes: [] } } });
    }
    out.push(r({
      userResponse: { responseId: userResponseId, message: p.message, sender: 'human', createTime: now, parentResponseId: typeof body.parentResponseId === 'string' ? body.parentResponseId : '', manual: false, partial: false, shared: false, query: '', queryType: '', webSearchResults: [], xpostIds: [], xposts: [], generatedImageUrls: [], imageAttachments: [], fileAttachments: p.files, cardAttachmentsJson: [], fileUris: [], fileAttachmentsMetadata: [], isControl: false, steps: [], mediaTypes: [] },
      isThinking: false, isSoftStop: false, responseId: userResponseId,
    }));

    const modelMode = String(body.modelMode ?? '');
    const heavy = body.modeId === 'heavy' || modelMode === 'MODEL_MODE_HEAVY';
    const thinking = heavy || body.modeId === 'expert' || body.isReasoning === true || /THINKING|EXPERT/.test(modelMode) || /thinking/i.test(String(body.modelName ?? ''));
    if (thinking) {
      for (const rollout of heavy ? GROK_HEAVY_ROLLOUTS : ['Grok']) {
        grokThinking(p.message).forEach((t, i) => out.push(tok(t, true, i === 0 ? 'header' : 'summary', rollout)));
      }
    }
    if (extras) {
      const query = p.message.slice(0, 60);
      const card = { toolUsageCardId: 'tool-card-1', webSearch: { args: { query } } };
      out.push(tok(`<xai:tool_usage_card><xai:tool_usage_card_id>tool-card-1</xai:tool_usage_card_id><xai:tool_name>web_search</xai:tool_name><xai:tool_args><![CDATA[${JSON.stringify({ query })}]]></xai:tool_args></xai:tool_usage_card>`, true, 'tool_usage_card', 'Grok', { toolUsageCardId: 'tool-card-1', toolUsageCard: card }));
      out.push(tok('', true, 'raw_function_result', 'Grok', { toolUsageCardId: 'tool-card-1', webSearchResults: { results: GROK_WEB_RESULTS } }));
      out.push(tok('', true, 'raw_function_result', 'Grok', { toolUsageCardId: 'tool-card-1', xSearchResults: { results: GROK_X_RESULTS } }));
    }

    let raw = '';
    for (const piece of splitGrokTokens(grokReply(p.message, p.files))) {
      out.push(tok(piece, false, 'final'));
      raw += piece;
    }

    const cardsJson: string[] = [];
    const generated: string[] = [];
    if (isImageRequest(body)) {
      const n = Math.min(4, Math.max(1, typeof body.imageGenerationCount === 'number' ? Math.floor(body.imageGenerationCount) : 2));
      const moderatedCount = p.script?.kind === 'moderated' ? (p.script.images ?? 1) : 0;
      const shape = options.imageFrames && options.imageFrames !== 'auto' ? options.imageFrames : body.modeId !== undefined ? 'card' : 'streaming';
      const made = Array.from({ length: n }, (_, i) => {
        const img = newImage(account, i < moderatedCount);
        if (!img.moderated) generated.push(img.path);
        return { img, cardId: randomUUID() };
      });
      for (const progress of [50, 100]) {
        made.forEach(({ img, cardId }, imageIndex) => {
          const moderated = progress === 100 && img.moderated;
          if (shape !== 'streaming') {
            const jsonData = JSON.stringify({ id: cardId, type: 'render_file', cardType: 'generated_image_card', image_chunk: { imageUuid: img.uuid, imageUrl: img.path, progress, moderated } });
            if (progress === 100) cardsJson.push(jsonData);
            out.push(r({ cardAttachment: { jsonData }, messageTag: 'final' }));
          }
          if (shape !== 'card') {
            out.push(r({ streamingImageGenerationResponse: { imageIndex, progress, imageUrl: img.path, moderated, assetId: img.uuid, isFinal: progress === 100 } }));
          }
        });
      }
      if (shape !== 'streaming') {
        for (const { cardId } of made) {
          const t = `<grok:render card_id="${cardId}" card_type="generated_image_card" type="render_generated_image"></grok:render>`;
          out.push(tok(t, false, 'final'));
          raw += t;
        }
      }
    }
    if (extras) {
      const jsonData = JSON.stringify({ id: 'citation-card-1', type: 'render_inline_citation', cardType: 'citation_card', url: GROK_WEB_RESULTS[0].url });
      cardsJson.push(jsonData);
      out.push(r({ cardAttachment: { jsonData }, messageTag: 'final' }));
      for (const t of [
        '<grok:render card_id="citation-card-1" card_type="citation_card" type="render_inline_citation"><argument name="citation_id">1</argument></grok:render>',
        '<xaiArtifact artifact_id="00000000-0000-4000-8000-0000000a0001" artifact_version_id="1" title="notes.md" contentType="text/markdown">fake artifact</xaiArtifact>',
      ]) {
        out.push(tok(t, false, 'final'));
        raw += t;
      }
    }

    out.push(r({ token: '', isThinking: false, isSoftStop: true, responseId, messageTag: 'final' }));
    const modelResponse = {
      responseId, message: raw, sender: 'ASSISTANT', createTime: now, parentResponseId: userResponseId, manual: false, partial: false,
      shared: false, query: '', queryType: '', webSearchResults: extras ? GROK_WEB_RESULTS : [], xpostIds: [], xposts: [],
      generatedImageUrls: generated, imageAttachments: [], fileAttachments: [], cardAttachmentsJson: cardsJson, fileUris: [],
      fileAttachmentsMetadata: [], isControl: false, steps: [], mediaTypes: [], streamErrors: [],
    };
    out.push(style.modelResponseAtTop ? { result: { modelResponse } } : r({ modelResponse }));
    out.push(r({ finalMetadata: { followUpSuggestions: ['Tell me more', 'Say it again'], feedbackLabels: [], toolsUsed: extras ? { webSearch: {} } : {}, disclaimer: '' } }));
    if (!p.conversationId) out.push({ result: { title: { newTitle: p.message.slice(0, 40) || 'New conversation' } } });
    return out;
  }

  async function stream(rec: GrokRecordedRequest, res: http.ServerResponse, frames: unknown[], status: number, s: GrokScript | undefined): Promise<void> {
    const delay = s?.kind === 'slow' ? (s.delayMs ?? options.chunkDelayMs ?? 0) : (options.chunkDelayMs ?? 0);
    const stopAt = s?.kind === 'cut' || s?.kind === 'stall' ? (s.afterFrames ?? 3) : Infinity;
    rec.status = status;
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    const lines = frames.map((f) => (style.sse ? `data: ${JSON.stringify(f)}\n\n` : `${JSON.stringify(f)}\n`));
    if (style.sse) lines.push('data: [DONE]\n\n');
    for (let i = 0; i < lines.length; i++) {
      if (res.destroyed) return;
      if (i === stopAt) {
        if (s?.kind === 'stall') return;
        await sleep(20); // let the written frames arrive before the reset
        res.socket?.destroy();
        return;
      }
      const line = lines[i];
      if (style.splitLines && line.length > 1) {
        const half = line.length >> 1;
        res.write(line.slice(0, half));
        await sleep(1);
        res.write(line.slice(half));
      } else {
        res.write(line);
      }
      if (delay) await sleep(delay);
    }
    res.end();
  }

  function serveAsset(rec: GrokRecordedRequest, res: http.ServerResponse): void {
    rec.endpoint = 'asset';
    const owner = byToken(rec.account);
    if (rec.method !== 'GET' && rec.method !== 'HEAD') return send(rec, res, { status: 405, body: 'Method Not Allowed' });
    if (!owner) return send(rec, res, { status: 403, body: 'Forbidden' });
    const a = assets.get(decodeURIComponent(rec.path.replace(/^\/+/, '')));
    if (!a || a.deleted) return send(rec, res, { status: 404, body: 'Not Found' });
    if (a.owner !== owner.sso) return send(rec, res, { status: 403, body: 'Forbidden' });
    rec.status = 200;
    res.writeHead(200, { 'content-type': a.mime, 'content-length': a.bytes.length, 'cache-control': 'private, max-age=31536000' });
    res.end(rec.method === 'HEAD' ? undefined : a.bytes);
  }

  function server(host: GrokRecordedRequest['host']): http.Server {
    const srv = http.createServer((req, res) => {
      onJsonBody(req, (body, _raw, bytes) => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const cookies = parseCookies(req.headers.cookie);
        const statsig = req.headers['x-statsig-id'];
        const rec: GrokRecordedRequest = { host, method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, cookies, account: cookies.sso ?? '', ...(typeof statsig === 'string' ? { statsig } : {}), at: Date.now() };
        requests.push(rec);
        res.on('close', () => {
          rec.closedAt = Date.now();
        });
        if (host === 'assets') return serveAsset(rec, res);
        void route(rec, req, res, bytes).catch(() => res.destroy());
      });
    });
    srv.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    return srv;
  }

  const main = server('grok');
  const assetsHost = server('assets');
  const listen = (srv: http.Server) => new Promise<string>((r) => srv.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`)));
  const url = await listen(main);
  const assetsUrl = await listen(assetsHost);

  // The WebSocket chat gateway shares the grok.com host (test/fakes/grok-gateway.ts).
  const gatewayTurns: GrokGatewayTurn[] = [];
  let gatewayStyle: GrokGatewayStyle = { ...options.gatewayStyle };
  const gateway = attachGrokGateway(main, {
    origin: () => options.gatewayOrigin ?? url,
    style: () => gatewayStyle,
    chunkDelayMs: options.chunkDelayMs ?? 0,
    turns: gatewayTurns,
    requests,
    byToken,
    quotaOf,
    takeScript: (sso, mode, accept) => takeScript(sso, 'gateway', mode, accept),
    errorAnswer,
    clearance,
    findUpload: (sso, id) => uploads.find((u) => u.account === sso && (u.fileMetadataId ?? u.fileId) === id),
    newImage,
  });

  return {
    url,
    assetsUrl,
    accounts,
    requests,
    uploads,
    images,
    gatewayTurns,
    script: (sso, s) => {
      const x: Script = { sso, left: s.count ?? Infinity, s };
      scripts.push(x);
      return () => {
        scripts = scripts.filter((y) => y !== x);
      };
    },
    setQuota: (sso, mode, remaining, wait) => {
      const w = quotaOf(sso, mode);
      w.remainingQueries = remaining;
      if (typeof wait === 'number') w.waitTimeSeconds = wait;
      else if (wait) Object.assign(w, wait);
    },
    quota: (sso, mode) => ({ ...quotaOf(sso, mode) }),
    addAccount,
    setStyle: (st) => {
      style = { ...st };
    },
    setGatewayStyle: (st) => {
      gatewayStyle = { ...st };
    },
    clear: () => {
      scripts = [];
      quotas.clear();
      requests.length = 0;
      gatewayTurns.length = 0;
    },
    accountsSeen: () => requests.filter((r) => r.endpoint === 'conversation' || r.endpoint === 'continue' || r.endpoint === 'gateway').map((r) => r.account),
    imageBytes: (id) => images.find((i) => i.uuid === id)?.bytes ?? uploads.find((u) => u.fileId === id || u.fileMetadataId === id)?.bytes,
    close: async () => {
      gateway.close();
      for (const s of sockets) s.destroy();
      await Promise.all([main, assetsHost].map((srv) => new Promise<void>((r) => srv.close(() => r()))));
    },
  };
}

/** An answer token frame (not thinking, tag `final`). */
function isAnswerToken(f: unknown): boolean {
  const resp = (f as { result?: { response?: Record<string, unknown> } }).result?.response;
  return typeof resp?.token === 'string' && resp.isThinking === false && resp.messageTag === 'final' && resp.isSoftStop === false;
}

/** The default `x-statsig-id` rule: standard base64 of at least 32 bytes (browser ids and the reference's value pass). */
function validStatsig(v: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0 && Buffer.from(v, 'base64').length >= 32;
}
