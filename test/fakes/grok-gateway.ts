/**
 * The WebSocket chat gateway of the fake Grok web upstream: `GET /ws/mgw/?uid=<uuid>` upgraded on
 * the fake's `url` host (test/fakes/grok-web.ts wires it in; see its header for scripts and
 * options). Since August 2026 grok.com's web app chats over this socket instead of the NDJSON
 * `conversations/new` route. The fake follows the reference's description of it:
 *
 * Handshake (answered with a plain HTTP response, no upgrade, when a check fails):
 * - `cf_clearance` when the fake has `cfClearance` (403 challenge page, as on the HTTP routes);
 * - the path is exactly `/ws/mgw/` (404 otherwise);
 * - the `sso` cookie names an account (401 UNAUTHENTICATED_ERROR otherwise); then the scripts
 *   without a `mode` answer (the mode is only known from the first frame);
 * - `sso-rw` equals `sso` (401); `uid` is the only query parameter and a canonical lowercase UUID
 *   (400, code 3); the `x-userid` COOKIE equals `uid` and `uid` is the account's `userId` (401,
 *   code 16, without the invalid-credentials marker: the account itself is fine).
 * Header deviations (Origin, User-Agent, and Authorization / DPoP / x-statsig-id /
 * x-xai-request-id / Referer, which the client must not send; `x-userid` as a header; cookies
 * other than sso, sso-rw, x-userid and the four Cloudflare ones) are recorded in the turn's
 * `violations`, not refused.
 *
 * One turn per socket: the client sends `session.create`; the fake answers `session.created`
 * (echoing its `event_id` as `client_event_id`) and `conversation.attached` (same id); the client
 * sends `conversation.item.create` and `response.create`; only when both are in does the fake
 * stream `response.chunk` frames and end with `response.done`. The client closes; the fake never
 * closes first on success, nor after an `error` or `session.ended` (it records who closed). Client
 * `ping` events are counted and otherwise ignored, wherever they come; binary frames are ignored.
 * Every server frame carries the top-level `session_id` once there is one.
 *
 * Checked and recorded as violations: `session.create`'s `event_id` (`evt_…`), `x_grok.use_chunk`
 * and `protocol_capabilities` (`conversation_attached`), and for a new conversation
 * `is_temporary: true`, `disable_memory: true`, `keep_context: false` (a continuation instead:
 * `conversation_id` = the `session_id`, `load_existing: true`, `needs_history: false`); a
 * `session.model` that is not fast|auto|expert|heavy is also answered with an `error` event (code 3).
 * The turn frames: sent only after both session frames, the session's `session_id`, `evt_` ids, a
 * user message whose `x_grok.input_chunks` hold one `text` chunk, last, after one `mention` chunk per
 * file, `file_attachment_ids` (item and event level) equal to the mentioned ids and absent without
 * files, at most 8 files, `client_message_id`, `parent_response_id` only on a continuation and equal
 * to its last `response.done` id, a bare `response.create` (no keys but `type` and `event_id`), and
 * nothing after the turn.
 *
 * The answer: `grokReply(text, fileIds)` cut by `splitGrokTokens` into `response.chunk` frames on
 * CHANNEL_ASSISTANT_RESPONSE. `expert` and `heavy` first send `grokThinking(text)` on
 * CHANNEL_ANALYSIS (heavy then GROK_HEAVY_REASONING on CHANNEL_REASONING). Image requests
 * (`isImageRequest` on the text, with `x_grok.enable_image_generation`; `image_generation_count`
 * images, default 2, 1-4) add `response.grok.output` `card_attachment` frames after the text,
 * progress 50 for each image then 100, the `imageUrl` a relative `users/<userId>/generated/<uuid>/image.jpg`
 * served by the assets host (`gatewayStyle` varies the spelling). Then one GROK_FOLLOWUP_TEXT chunk
 * on CHANNEL_SUGGESTED_FOLLOWUPS (to be dropped) and `response.done`
 * `{"response":{"id":"resp-<uuid>","status":"completed"}}`. Every file id must be an upload of the
 * account (its `fileMetadataId`; the old route's id) else an `error` event, code 3. Each answered
 * turn costs 1 query of the mode's window (as the HTTP v2 dialect); with none left the turn gets
 * the usage-limit `error` event (code 8, USAGE_LIMIT_MESSAGE). A continuation (`session_id` on
 * `session.create`) must name a session of the same account, else an `error` event, code 5.
 *
 * Scripts (`on: 'gateway'` or `any`). At the upgrade, those without a `mode` of the kinds
 * `unauthorized` (401), `expired` / `blocked` (their status, a marker body), `cloudflare` (403
 * challenge page, `cf-mitigated: challenge`), `rate-limited` (429, `Retry-After: <waitSeconds>`
 * when set), `server-error` (`status`), `forbidden` (403 JSON) answer as on the HTTP routes;
 * `reset` destroys the socket unanswered (turn status 0); `hang` upgrades and then sends nothing.
 * The mode is only known from `session.create`, so every other script is taken then:
 * - handshake kinds with a `mode` answer in band as the first frame: an `error` event with their
 *   body's `{code, message}` (an HTML page: the status and its title); `reset` terminates the
 *   socket, `hang` goes silent;
 * - failure kinds end the turn after `afterTokens` answer chunks (default 0; thinking chunks come
 *   along when it is not 0) and cost nothing: `anti-bot` (`error`, code 7), `usage-limit` and
 *   `quota-exhausted` (code 8, USAGE_LIMIT_MESSAGE; the latter also zeroes the window, as over
 *   HTTP), `region` (code 9), `in-band-error` (`where: 'top'`: an `error` event `{code, message}`,
 *   default 8 'Too many requests'; `'response'`: a `response.grok.output` `stream_error`),
 *   `session-ended` (`session.ended` instead of `response.done`), `done-failed` (`response.done`
 *   with status `failed`). `beforeSession: true` sends the failure in place of `session.created`;
 *   `body` replaces the failure frame whole (a string is sent as is);
 * - `extras`: before the answer a web_search `tool_usage_card` (`tool_usage_card_id`, `args.query`)
 *   and its `tool_result` (`tool_call_id`, `web_search.webpages` from GROK_WEB_RESULTS), an
 *   x_search card (`id`, `query`) and its `tool_result` (`tool_usage_card_id`, `x_post.posts` from
 *   GROK_X_RESULTS, `userhandle` + `postId`); after it a `render_citation` chunk (GROK_WEB_RESULTS[0])
 *   and a `response.search.result` event (GROK_WEB_RESULTS[1]);
 * - `moderated`: the first `images` (default 1) images come back `moderated: true` (and unserved);
 * - `slow`: `firstByteMs` before `session.created`, `delayMs` after each frame (else `chunkDelayMs`);
 * - `cut`: terminate the TCP socket (no close frame) after `afterFrames` server frames, counting
 *   the two session frames (default 3); `stall`: stop sending after `afterFrames`, socket left open.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  ANTI_BOT_ERROR,
  GROK_MODES,
  GROK_WEB_RESULTS,
  GROK_X_RESULTS,
  REGION_MESSAGE,
  UNAUTHENTICATED_ERROR,
  USAGE_LIMIT_MESSAGE,
  grokReply,
  grokThinking,
  isImageRequest,
  parseCookies,
  splitGrokTokens,
  type FakeGrokAccount,
  type GrokAnswer,
  type GrokImage,
  type GrokQuota,
  type GrokRecordedRequest,
  type GrokScript,
  type GrokScriptKind,
  type GrokUpload,
} from './grok-web.js';

/** The gateway's path, trailing slash included. */
export const GROK_GATEWAY_PATH = '/ws/mgw/';

/** The text channels the fake uses. A client shows only `answer`, reads `analysis`/`reasoning` as thinking, drops the rest. */
export const GROK_CHANNELS = {
  answer: 'CHANNEL_ASSISTANT_RESPONSE',
  analysis: 'CHANNEL_ANALYSIS',
  reasoning: 'CHANNEL_REASONING',
  followups: 'CHANNEL_SUGGESTED_FOLLOWUPS',
} as const;

/** Heavy's one `CHANNEL_REASONING` piece, after the `grokThinking` pieces. */
export const GROK_HEAVY_REASONING = '\n- Agent 2 checked the draft';
/** The text of the `CHANNEL_SUGGESTED_FOLLOWUPS` chunk every answer carries (a client must drop it). */
export const GROK_FOLLOWUP_TEXT = 'Tell me more';

/** The gateway URL of a base URL (`https` -> `wss`, `http` -> `ws`) for a uid. */
export function grokGatewayUrl(baseUrl: string, uid: string): string {
  const u = new URL(GROK_GATEWAY_PATH, baseUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.search = `?uid=${uid}`;
  return u.toString();
}

/** Spelling variants of the gateway's image frames, all of which the reference says a client accepts. */
export interface GrokGatewayStyle {
  /** Send `conversation.attached` before `session.created`. */
  attachedFirst?: boolean;
  /** `card_attachment.jsonData` as an `object` (default), a JSON `string`, or `inline` (image_chunk directly on card_attachment). */
  jsonData?: 'object' | 'string' | 'inline';
  /** Default `image_chunk`. */
  imageChunkKey?: 'image_chunk' | 'imageChunk';
  /** Default `imageUrl`. */
  imageUrlKey?: 'imageUrl' | 'image_url';
  /** `card_attachment` as a one-element array instead of an object. */
  cardArray?: boolean;
}

/** A client frame as the gateway recorded it (parsed JSON object; keys beyond these kept as sent). */
export interface GrokGatewayClientFrame {
  session_id?: string;
  event?: { type?: string; event_id?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** One WebSocket connection to `/ws/mgw/` (refused handshakes included), as the fake saw it. */
export interface GrokGatewayTurn {
  /** The `sso` cookie ('' without one). */
  account: string;
  /** The `uid` query parameter ('' without one). */
  uid: string;
  cookies: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** `session.create`'s `session.model`, once it arrived. */
  mode?: string;
  /** The client's JSON text frames, parsed, in arrival order, pings included. */
  events: GrokGatewayClientFrame[];
  /** How many `ping` events arrived. */
  pings: number;
  /** Deviations from the reference's handshake and frames; [] when the client conforms. */
  violations: string[];
  /** The session (= conversation) id the fake assigned or continued. */
  sessionId?: string;
  /** `session.create` carried a top-level `session_id` (a continuation). */
  continued?: boolean;
  /** The user text (the `text` input chunk) and attached file ids (mention chunks), once the turn arrived. */
  text?: string;
  fileIds?: string[];
  /** The `response.done` id sent (completed or failed). */
  responseId?: string;
  /** The handshake's status: 101 when upgraded, 0 for a `reset` script. */
  status: number;
  /** The script kinds that acted on this turn (a handshake one and/or an in-band one). */
  scripts: GrokScriptKind[];
  /** Every frame the fake sent, in order (parsed; a string `body` script as sent). */
  sent: unknown[];
  openedAt: number;
  closedAt?: number;
  /** Who ended the connection: `server` for a refused handshake, `reset`, `cut` or the fake's `close()`; else `client`. */
  closedBy?: 'client' | 'server';
  /** The close code seen (1005: none given, 1006: no close frame). */
  closeCode?: number;
}

/** What the gateway needs from the fake that hosts it (grok-web.ts). Not for tests. */
export interface GrokGatewayHost {
  /** The Origin a client must send. */
  origin(): string;
  style(): GrokGatewayStyle;
  chunkDelayMs: number;
  turns: GrokGatewayTurn[];
  requests: GrokRecordedRequest[];
  byToken(sso: string): FakeGrokAccount | undefined;
  quotaOf(sso: string, mode: string): GrokQuota;
  takeScript(sso: string, mode: string | undefined, accept: (s: GrokScript) => boolean): GrokScript | undefined;
  /** The HTTP answer of a script's error kind (undefined for the others). */
  errorAnswer(s: GrokScript): GrokAnswer | undefined;
  /** The Cloudflare challenge answer when clearance is required and missing, else undefined. */
  clearance(req: http.IncomingMessage, cookies: Record<string, string>): GrokAnswer | undefined;
  findUpload(sso: string, id: string): GrokUpload | undefined;
  /** Make (and, unless moderated, serve) a generated image of an account. */
  newImage(account: FakeGrokAccount, moderated: boolean): GrokImage;
}

/** Kinds that refuse the upgrade itself (or break it); with a `mode` they act in band instead. */
const HANDSHAKE_KINDS = new Set<GrokScriptKind>(['unauthorized', 'expired', 'blocked', 'cloudflare', 'rate-limited', 'server-error', 'forbidden', 'reset', 'hang']);
/** Kinds that end the turn with a failure frame instead of the answer. */
const FAILURE_KINDS = new Set<GrokScriptKind>(['anti-bot', 'usage-limit', 'region', 'quota-exhausted', 'in-band-error', 'session-ended', 'done-failed']);
const CLOUDFLARE_COOKIES = /^(cf_clearance|__cf_bm|_cfuvid|cf_chl_.*)$/;
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The reference's read limit and per-frame cap. */
const MAX_FRAME = 16 * 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const grpcError = (code: number, message: string) => ({ error: { code, message, details: [] as unknown[] } });

type Frame = Record<string, any>;
interface Session { owner: string; lastResponseId?: string }

/** Client frames (pings already taken out) handed to the turn one at a time; undefined once closed. */
class Inbox {
  private queue: Frame[] = [];
  private waiting: ((f: Frame | undefined) => void)[] = [];
  private closed = false;
  push(f: Frame): void {
    const w = this.waiting.shift();
    if (w) w(f);
    else this.queue.push(f);
  }
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(undefined);
  }
  next(): Promise<Frame | undefined> {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.waiting.push(r));
  }
}

/** Serve the gateway on a server's `upgrade` event. `close()` ends every open socket (as the server). */
export function attachGrokGateway(server: http.Server, host: GrokGatewayHost): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_FRAME });
  const sessions = new Map<string, Session>();
  const live = new Set<() => void>();

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {}); // a client that drops mid-handshake is not the fake's failure
    upgrade(req, socket, head);
  });

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const cookies = parseCookies(req.headers.cookie);
    const rec: GrokRecordedRequest = {
      host: 'grok', method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams),
      headers: req.headers, body: undefined, cookies, account: cookies.sso ?? '', at: Date.now(),
    };
    host.requests.push(rec);
    socket.once('close', () => {
      rec.closedAt = Date.now();
    });
    const isGateway = url.pathname === GROK_GATEWAY_PATH && rec.method === 'GET';
    const turn: GrokGatewayTurn | undefined = isGateway
      ? { account: rec.account, uid: url.searchParams.get('uid') ?? '', cookies, headers: req.headers, events: [], pings: 0, violations: handshakeViolations(req, url, cookies, host.origin()), status: 0, scripts: [], sent: [], openedAt: rec.at }
      : undefined;
    if (turn) {
      rec.endpoint = 'gateway';
      host.turns.push(turn);
      socket.once('close', () => {
        turn.closedAt ??= Date.now();
      });
    }
    const refuse = (a: GrokAnswer) => {
      rec.status = a.status;
      if (turn) Object.assign(turn, { status: a.status, closedBy: 'server' });
      writeRefusal(socket, a);
    };

    const challenge = host.clearance(req, cookies);
    if (challenge) return refuse(challenge);
    if (!turn) return refuse({ status: 404, body: grpcError(5, 'Not Found') });
    const account = host.byToken(rec.account);
    if (!account) return refuse({ status: 401, body: UNAUTHENTICATED_ERROR });

    const s = host.takeScript(account.sso, undefined, (x) => HANDSHAKE_KINDS.has(x.kind) && !x.mode);
    if (s) turn.scripts.push(s.kind);
    if (s?.kind === 'reset') {
      turn.closedBy = 'server';
      socket.destroy();
      return;
    }
    if (s && s.kind !== 'hang') {
      const a = host.errorAnswer(s)!;
      const wait: Record<string, string> = s.kind === 'rate-limited' && s.waitSeconds !== undefined ? { 'retry-after': String(s.waitSeconds) } : {};
      return refuse({ ...a, headers: { ...a.headers, ...wait } });
    }

    if (cookies['sso-rw'] !== account.sso) return refuse({ status: 401, body: grpcError(16, 'sso-rw does not match sso') });
    const keys = [...url.searchParams.keys()];
    if (!LOWER_UUID.test(turn.uid) || keys.length !== 1) return refuse({ status: 400, body: grpcError(3, 'uid must be the only query parameter, a lowercase UUID') });
    if (cookies['x-userid'] !== turn.uid || turn.uid !== account.userId) {
      return refuse({ status: 401, body: grpcError(16, 'x-userid cookie and uid must name the session user') });
    }

    wss.handleUpgrade(req, socket, head, (ws) => {
      rec.status = turn.status = 101;
      void converse(ws, turn, account, s?.kind === 'hang').catch(() => ws.terminate());
    });
  }

  async function converse(ws: WebSocket, turn: GrokGatewayTurn, account: FakeGrokAccount, hang: boolean): Promise<void> {
    const inbox = new Inbox();
    let serverClosing = false;
    const shut = () => {
      serverClosing = true;
      ws.terminate();
    };
    live.add(shut);
    let answered = false; // frames after the turn are recorded as violations
    let attached = false; // the turn frames may only come once session.created and conversation.attached are out
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return;
      let f: unknown;
      try {
        f = JSON.parse(data.toString());
      } catch {
        turn.violations.push('a text frame that is not JSON');
        return;
      }
      if (!f || typeof f !== 'object' || Array.isArray(f)) {
        turn.violations.push('a frame that is not a JSON object');
        return;
      }
      turn.events.push(f as Frame);
      if ((f as Frame).event?.type === 'ping') {
        turn.pings++;
        return;
      }
      const type = String((f as Frame).event?.type);
      if (answered) turn.violations.push(`${type} after the turn (one turn per socket)`);
      else {
        if (!attached && (type === 'conversation.item.create' || type === 'response.create')) turn.violations.push(`${type} before session.created and conversation.attached`);
        inbox.push(f as Frame);
      }
    });
    ws.on('close', (code: number) => {
      live.delete(shut);
      turn.closedAt = Date.now();
      turn.closedBy = serverClosing ? 'server' : 'client';
      turn.closeCode = code;
      inbox.close();
    });
    ws.on('error', () => {});
    if (hang) return; // accepted, and then nothing

    const v = (m: string) => turn.violations.push(m);
    const style = host.style();
    let sessionId: string | undefined;
    let script: GrokScript | undefined;
    let sentCount = 0;
    let stopped = false;
    /** Send one frame, honouring delays and `cut`/`stall` (counted over every frame of the socket); false once stopped. */
    const emit = async (frame: unknown): Promise<boolean> => {
      if (stopped || ws.readyState !== WebSocket.OPEN) return false;
      const stopAt = script?.kind === 'cut' || script?.kind === 'stall' ? (script.afterFrames ?? 3) : Infinity;
      if (sentCount >= stopAt) {
        stopped = true;
        if (script!.kind === 'cut') {
          await sleep(20); // let the frames already written arrive before the reset
          shut();
        }
        return false;
      }
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      turn.sent.push(frame);
      sentCount++;
      const delay = script?.kind === 'slow' ? (script.delayMs ?? host.chunkDelayMs) : host.chunkDelayMs;
      if (delay) await sleep(delay);
      return true;
    };
    const ev = (event: Record<string, unknown>) => (sessionId ? { session_id: sessionId, event } : { event });
    const errorEvent = (code: number, message: string) => ev({ type: 'error', error: { code, message } });

    // 1. session.create
    const create = await inbox.next();
    if (!create) return;
    const ce = create.event ?? {};
    if (ce.type !== 'session.create') {
      v(`first frame is ${String(ce.type)}, not session.create`);
      await emit(errorEvent(3, 'expected session.create'));
      return;
    }
    const cs = ce.session ?? {};
    const xg = cs.x_grok ?? {};
    if (typeof ce.event_id !== 'string' || !ce.event_id.startsWith('evt_')) v('session.create event_id does not start with evt_');
    if (xg.use_chunk !== true) v('session.create x_grok.use_chunk is not true');
    if (!Array.isArray(xg.protocol_capabilities) || !xg.protocol_capabilities.includes('conversation_attached')) v('session.create x_grok.protocol_capabilities lacks conversation_attached');
    const continued = typeof create.session_id === 'string' && create.session_id !== '';
    turn.continued = continued;
    if (continued) {
      if (xg.conversation_id !== create.session_id) v('continuation: x_grok.conversation_id is not the session_id');
      if (xg.load_existing !== true) v('continuation: x_grok.load_existing is not true');
      if (xg.needs_history !== false) v('continuation: x_grok.needs_history is not false');
    } else {
      if (xg.is_temporary !== true) v('new conversation: x_grok.is_temporary is not true');
      if (xg.disable_memory !== true) v('new conversation: x_grok.disable_memory is not true');
      if (xg.keep_context !== false) v('new conversation: x_grok.keep_context is not false');
    }
    if (!(GROK_MODES as readonly string[]).includes(cs.model)) {
      v(`session.model ${JSON.stringify(cs.model)} is not a mode`);
      await emit(errorEvent(3, `Unknown model: ${String(cs.model)}`));
      return;
    }
    const mode: string = cs.model;
    turn.mode = mode;

    // Scripts that need the mode: in-band kinds, and handshake kinds filtered by mode.
    script = host.takeScript(account.sso, mode, (x) => !HANDSHAKE_KINDS.has(x.kind) || Boolean(x.mode));
    if (script) turn.scripts.push(script.kind);
    if (script?.kind === 'slow' && script.firstByteMs) await sleep(script.firstByteMs);
    if (script && HANDSHAKE_KINDS.has(script.kind)) {
      // The socket is already open: the refusal arrives as the first frame (or the socket breaks).
      if (script.kind === 'reset') shut();
      else if (script.kind !== 'hang') await emit(script.body !== undefined ? script.body : errorEvent(...inBandOf(host.errorAnswer(script)!)));
      return;
    }

    let session: Session | undefined;
    if (continued) {
      session = sessions.get(create.session_id);
      if (!session || session.owner !== account.sso) {
        await emit(errorEvent(5, 'Conversation not found'));
        return;
      }
      sessionId = create.session_id as string;
    } else {
      sessionId = randomUUID();
      session = { owner: account.sso };
      sessions.set(sessionId, session);
    }
    turn.sessionId = sessionId;
    if (script && FAILURE_KINDS.has(script.kind) && script.beforeSession) {
      await emit(failureFrame(script, ev, undefined));
      return;
    }

    // 2. session.created + conversation.attached
    const createdFrame = ev({ type: 'session.created', client_event_id: ce.event_id });
    const attachedFrame = ev({ type: 'conversation.attached', conversation: { id: sessionId } });
    const [one, two] = style.attachedFirst ? [attachedFrame, createdFrame] : [createdFrame, attachedFrame];
    if (!(await emit(one))) return;
    attached = true; // set before the send: the client can only answer after it (and a delay may follow the send)
    if (!(await emit(two))) return;

    // 3. conversation.item.create and response.create, both, before anything streams
    let item: Frame | undefined;
    let respond: Frame | undefined;
    while (!item || !respond) {
      const f = await inbox.next();
      if (!f) return;
      const type = f.event?.type;
      if (f.session_id !== sessionId) v(`${String(type)} session_id is not the session's id`);
      if (typeof f.event?.event_id !== 'string' || !f.event.event_id.startsWith('evt_')) v(`${String(type)} event_id does not start with evt_`);
      if (type === 'conversation.item.create' && !item) item = f;
      else if (type === 'response.create' && !respond) {
        if (!item) v('response.create before conversation.item.create');
        respond = f;
        const extra = Object.keys(f.event).filter((k) => k !== 'type' && k !== 'event_id');
        if (extra.length) v(`response.create carries ${extra.join(', ')}`);
      } else v(`unexpected ${String(type)} during the turn`);
    }
    answered = true;
    const { text, fileIds } = readItem(item, continued ? session.lastResponseId : undefined, v);
    turn.text = text;
    turn.fileIds = fileIds;

    // 4. the answer (or its failure)
    const missing = fileIds.find((id) => !host.findUpload(account.sso, id));
    if (missing) {
      await emit(errorEvent(3, `File not found: ${missing}`));
      return;
    }
    const w = host.quotaOf(account.sso, mode);
    if (script?.kind === 'quota-exhausted') {
      w.remainingQueries = 0;
      if (script.waitSeconds !== undefined) w.waitTimeSeconds = script.waitSeconds;
    }
    const responseId = `resp-${randomUUID()}`;
    const heavy = mode === 'heavy';
    const thinking = heavy || mode === 'expert';
    const chunk = (c: Record<string, unknown>) => ev({ type: 'response.chunk', chunk: c });
    const piece = (t: string, channel: string) => chunk({ text: { text: t, channel } });
    const opening = thinking ? [...grokThinking(text).map((t) => piece(t, GROK_CHANNELS.analysis)), ...(heavy ? [piece(GROK_HEAVY_REASONING, GROK_CHANNELS.reasoning)] : [])] : [];
    const answer = splitGrokTokens(grokReply(text, fileIds)).map((t) => piece(t, GROK_CHANNELS.answer));

    const failure = script && FAILURE_KINDS.has(script.kind) ? script : w.remainingQueries < 1 ? ({ kind: 'usage-limit' } as GrokScript) : undefined;
    if (failure) {
      const n = failure.afterTokens ?? 0;
      const frames = n ? [...opening, ...answer.slice(0, n)] : [];
      if (failure.kind === 'done-failed') turn.responseId = responseId;
      for (const f of [...frames, failureFrame(failure, ev, responseId)]) if (!(await emit(f))) return;
      return;
    }

    w.remainingQueries -= 1; // an answered turn costs one query of the mode's window, as on the HTTP v2 dialect
    const extras = script?.kind === 'extras';
    const frames: unknown[] = [...opening];
    if (extras) frames.push(...toolChunks(chunk, text));
    frames.push(...answer);
    const xgImages = isImageRequest({ message: text, enableImageGeneration: xg.enable_image_generation });
    if (xgImages) {
      const n = Math.min(4, Math.max(1, typeof xg.image_generation_count === 'number' ? Math.floor(xg.image_generation_count) : 2));
      const moderated = script?.kind === 'moderated' ? (script.images ?? 1) : 0;
      const made = Array.from({ length: n }, (_, i) => ({ img: host.newImage(account, i < moderated), cardId: randomUUID() }));
      for (const progress of [50, 100]) {
        for (const { img, cardId } of made) frames.push(ev({ type: 'response.grok.output', output: { card_attachment: imageCard(style, cardId, img, progress) } }));
      }
    }
    if (extras) {
      frames.push(chunk({ render_citation: { id: 'citation-1', kind: 'CITATION_KIND_WEB_PAGE', url: GROK_WEB_RESULTS[0].url, citation_id: 0 } }));
      frames.push(ev({ type: 'response.search.result', result: { url: GROK_WEB_RESULTS[1].url, title: GROK_WEB_RESULTS[1].title } }));
    }
    frames.push(piece(GROK_FOLLOWUP_TEXT, GROK_CHANNELS.followups));
    frames.push(ev({ type: 'response.done', response: { id: responseId, status: 'completed' } }));
    turn.responseId = responseId;
    session.lastResponseId = responseId;
    for (const f of frames) if (!(await emit(f))) return;
    // The client closes now; the fake waits.
  }

  return {
    close: () => {
      for (const shut of [...live]) shut();
      wss.close();
    },
  };
}

/** Deviations of the upgrade request from the reference's handshake (recorded, never refused). */
function handshakeViolations(req: http.IncomingMessage, url: URL, cookies: Record<string, string>, origin: string): string[] {
  const h = req.headers;
  const out: string[] = [];
  if (h.origin !== origin) out.push(`origin is ${String(h.origin)}, not ${origin}`);
  if (!h['user-agent']) out.push('no user-agent');
  for (const name of ['authorization', 'dpop', 'x-statsig-id', 'x-xai-request-id', 'referer', 'x-userid']) {
    if (h[name] !== undefined) out.push(`${name} header sent`);
  }
  for (const name of Object.keys(cookies)) {
    if (!['sso', 'sso-rw', 'x-userid'].includes(name) && !CLOUDFLARE_COOKIES.test(name)) out.push(`unexpected cookie ${name}`);
  }
  if (url.search && [...url.searchParams.keys()].some((k) => k !== 'uid')) out.push(`query has more than uid: ${url.search}`);
  return out;
}

/** The user text and attached file ids of a `conversation.item.create`, checking its shape. */
function readItem(f: Frame, parentResponseId: string | undefined, v: (m: string) => void): { text: string; fileIds: string[] } {
  const e = f.event ?? {};
  const item = e.item ?? {};
  if (item.type !== 'message' || item.role !== 'user') v('item is not a user message');
  if (typeof item.x_grok?.client_message_id !== 'string') v('item has no x_grok.client_message_id');
  const chunks: Frame[] = Array.isArray(item.x_grok?.input_chunks) ? item.x_grok.input_chunks : [];
  if (!chunks.length) v('item has no x_grok.input_chunks');
  const texts = chunks.filter((c) => typeof c?.text?.text === 'string');
  if (texts.length !== 1) v(`input_chunks has ${texts.length} text chunks, not 1`);
  else if (chunks.at(-1) !== texts[0]) v('the text chunk is not the last input chunk');
  const fileIds: string[] = [];
  for (const c of chunks) {
    if (texts.includes(c)) continue;
    const id = c?.mention?.target?.file_mention?.file_id;
    if (typeof id === 'string' && id) fileIds.push(id);
    else v(`input chunk ${JSON.stringify(c)} is neither text nor a file mention`);
  }
  const same = (a: unknown) => Array.isArray(a) && a.length === fileIds.length && a.every((x, i) => x === fileIds[i]);
  if (fileIds.length) {
    if (!same(item.file_attachment_ids)) v('item.file_attachment_ids differs from the mention chunks');
    if (!same(e.file_attachment_ids)) v('event file_attachment_ids differs from the mention chunks');
    if (fileIds.length > 8) v(`${fileIds.length} attachments (at most 8)`);
  } else if (item.file_attachment_ids !== undefined || e.file_attachment_ids !== undefined) {
    v('file_attachment_ids sent without attachments');
  }
  if (parentResponseId === undefined) {
    if (e.parent_response_id !== undefined) v('parent_response_id on a new conversation');
  } else if (e.parent_response_id !== parentResponseId) {
    v(`parent_response_id is ${String(e.parent_response_id)}, not the last response ${parentResponseId}`);
  }
  return { text: texts.length ? String(texts[0].text.text) : '', fileIds };
}

/** The frame that ends a turn for a failure kind (`body` replaces it whole; a string is sent as is). */
function failureFrame(s: GrokScript, ev: (e: Record<string, unknown>) => unknown, responseId: string | undefined): unknown {
  if (s.body !== undefined) return s.body;
  const error = (code: number, message: string) => ev({ type: 'error', error: { code, message } });
  switch (s.kind) {
    case 'anti-bot': return error(s.code ?? ANTI_BOT_ERROR.error.code, s.message ?? ANTI_BOT_ERROR.error.message);
    case 'region': return error(s.code ?? 9, s.message ?? REGION_MESSAGE);
    case 'usage-limit':
    case 'quota-exhausted': return error(s.code ?? 8, s.message ?? USAGE_LIMIT_MESSAGE);
    case 'session-ended': return ev({ type: 'session.ended' });
    case 'done-failed': return ev({ type: 'response.done', response: { id: responseId ?? `resp-${randomUUID()}`, status: 'failed' } });
    default: {
      const code = s.code ?? 8;
      const message = s.message ?? 'Too many requests';
      return s.where === 'response' ? ev({ type: 'response.grok.output', output: { stream_error: { code, message } } }) : error(code, message);
    }
  }
}

/** `{code, message}` of an HTTP error answer, for sending it in band (an HTML page: its title). */
function inBandOf(a: GrokAnswer): [number, string] {
  const e = (a.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (e && typeof e.code === 'number' && typeof e.message === 'string') return [e.code, e.message];
  const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  return [a.status, /<title>([^<]*)<\/title>/i.exec(text)?.[1] ?? text.slice(0, 200)];
}

/** The web search and X search tool cards with their results, spelled both ways the reference allows. */
function toolChunks(chunk: (c: Record<string, unknown>) => unknown, text: string): unknown[] {
  const query = text.slice(0, 60);
  return [
    chunk({ tool_usage_card: { tool_usage_card_id: 'tool-web-1', web_search: { args: { query } } } }),
    chunk({ tool_result: { tool_call_id: 'tool-web-1', web_search: { webpages: GROK_WEB_RESULTS.map((r) => ({ url: r.url, title: r.title, snippet: r.preview })) } } }),
    chunk({ tool_usage_card: { id: 'tool-x-1', x_search: { query: `from:${GROK_X_RESULTS[0].username}` } } }),
    chunk({ tool_result: { tool_usage_card_id: 'tool-x-1', x_post: { posts: GROK_X_RESULTS.map((p) => ({ userhandle: p.username, name: p.username, text: p.text, postId: p.postId })) } } }),
  ];
}

/** A `card_attachment` for an image at a progress, in the configured spelling. */
function imageCard(style: GrokGatewayStyle, cardId: string, img: GrokImage, progress: number): unknown {
  const imageChunk = { imageUuid: img.uuid, [style.imageUrlKey ?? 'imageUrl']: img.path, progress, moderated: progress === 100 && img.moderated };
  const chunkKey = style.imageChunkKey ?? 'image_chunk';
  const data = { id: cardId, type: 'render_file', cardType: 'generated_image_card', [chunkKey]: imageChunk };
  const card = style.jsonData === 'inline' ? data : { jsonData: style.jsonData === 'string' ? JSON.stringify(data) : data };
  return style.cardArray ? [card] : card;
}

/** A plain HTTP answer on a socket that will not be upgraded. */
function writeRefusal(socket: Duplex, a: GrokAnswer): void {
  const text = typeof a.body === 'string' ? a.body : JSON.stringify(a.body);
  const headers: Record<string, string | number> = {
    'content-type': typeof a.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    ...a.headers,
    'content-length': Buffer.byteLength(text),
    connection: 'close',
  };
  const head = Object.entries(headers).map(([k, val]) => `${k}: ${val}`).join('\r\n');
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${a.status} ${http.STATUS_CODES[a.status] ?? ''}\r\n${head}\r\n\r\n${text}`);
}
