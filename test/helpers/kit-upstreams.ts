/**
 * The repo's own fake upstreams, adapted to the conformance kit's ScriptableUpstream: each maps
 * the kit's scenarios onto the behaviours its fake already scripts, so the kit runs against the
 * fakes that check each protocol closely rather than against a simpler copy of them.
 */
import type { Scenario, ScriptableUpstream, UpstreamCall } from '../../core/testing/index.js';
import { startFakeOpenAI, type Behaviour as OpenAIBehaviour } from '../fakes/openai-upstream.js';
import { startFakeGitHubModels } from '../fakes/github-models.js';
import { startFakeGrok, type GrokScript } from '../fakes/grok-web.js';
import { startFakeAnthropic, type Behaviour as AnthropicBehaviour } from '../fakes/anthropic-upstream.js';

/** A fake OpenAI-compatible upstream (test/fakes/openai-upstream.ts) as a ScriptableUpstream. */
export async function openaiUpstream(): Promise<ScriptableUpstream> {
  const up = await startFakeOpenAI();
  const toBehaviour = (s: Scenario): OpenAIBehaviour => {
    switch (s.kind) {
      case 'reply': {
        const tool = s.reply?.toolCalls?.[0];
        return tool ? { kind: 'tool-call', name: tool.name, args: tool.arguments } : { kind: 'ok', text: s.reply?.pieces.join('') };
      }
      // Its default reply has about ten pieces: 300 ms apart it outlasts the kit's one-second watch.
      case 'slow':
        return { kind: 'drip', delayMs: Math.max(s.delayMs, 300) };
      case 'status':
        return { kind: 'status', status: s.status, headers: s.headers, body: { error: { message: s.message ?? `fake ${s.status}`, type: 'invalid_request_error', param: null, code: null } } };
      case 'hang':
        return { kind: 'hang' };
      case 'cut':
        return { kind: 'cut-after', chunks: s.afterFrames };
    }
  };
  return {
    url: up.url,
    get calls(): UpstreamCall[] {
      return up.requests.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions');
    },
    next: (...s) => up.script(...s.map(toBehaviour)),
    reset: () => up.reset(),
    close: () => up.close(),
  };
}

/** The fake Anthropic API (test/fakes/anthropic-upstream.ts) as a ScriptableUpstream. */
export async function anthropicUpstream(): Promise<ScriptableUpstream> {
  const up = await startFakeAnthropic();
  const errorType = (status: number) =>
    ({ 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 429: 'rate_limit_error' })[status] ?? 'api_error';
  const toBehaviour = (s: Scenario): AnthropicBehaviour => {
    switch (s.kind) {
      case 'reply': {
        const tool = s.reply?.toolCalls?.[0];
        return tool ? { kind: 'ok', tool: { name: tool.name, input: JSON.parse(tool.arguments) } } : { kind: 'ok', text: s.reply?.pieces.join('') };
      }
      case 'slow':
        return { kind: 'ok', delayMs: Math.max(s.delayMs, 300) };
      case 'status':
        return { kind: 'error', status: s.status, type: errorType(s.status), message: s.message, headers: s.headers };
      case 'hang':
        return { kind: 'hang' };
      case 'cut':
        return { kind: 'cut-after', events: s.afterFrames };
    }
  };
  return {
    url: up.url,
    get calls(): UpstreamCall[] {
      return up.messages();
    },
    next: (...s) => up.script(...s.map(toBehaviour)),
    reset: () => up.reset(),
    close: () => up.close(),
  };
}

/**
 * The fake GitHub Models (test/fakes/github-models.ts) as a ScriptableUpstream, each scenario a
 * one-request script for any token. Its 429s always state the wait, as the real service's do, and
 * its answers are text: the suite declares those checks skipped.
 */
export async function githubUpstream(): Promise<ScriptableUpstream> {
  const gh = await startFakeGitHubModels();
  const play = (s: Scenario): void => {
    const once = { count: 1 };
    switch (s.kind) {
      case 'reply':
        return;
      case 'slow':
        return void gh.fail('*', { status: 'slow', delayMs: Math.max(s.delayMs, 300), ...once });
      case 'hang':
        return void gh.fail('*', { status: 'hang', ...once });
      case 'cut':
        return void gh.fail('*', { status: 'cut', afterEvents: s.afterFrames, ...once });
      case 'status':
        if (s.status === 429) return void gh.limit('*', { type: 'minute', waitSeconds: Number(s.headers?.['retry-after'] ?? 29), ...once });
        // Its 400 with a body of the reference: the content filter refusing the prompt.
        if (s.status === 400) return void gh.fail('*', { status: 'content_filter', ...once });
        return void gh.fail('*', { status: s.status as 401 | 403 | 500, ...once, ...(s.message && { body: { error: { code: 'scripted', message: s.message } } }) });
    }
  };
  const chat = () => gh.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/chat/completions'));
  return {
    url: gh.inferenceUrl,
    get calls(): UpstreamCall[] {
      return chat();
    },
    next: (...s) => s.forEach(play),
    reset: () => {
      gh.clear();
      gh.requests.length = 0;
    },
    close: () => gh.close(),
  };
}

/**
 * The fake grok.com (test/fakes/grok-web.ts) as a ScriptableUpstream, over its WebSocket chat
 * gateway: each scenario a one-turn script at the handshake (statuses, hang) or in the turn (slow,
 * cut); a call is one gateway turn, closed when its socket closed. Scripts apply to any account.
 */
export async function grokUpstream(): Promise<ScriptableUpstream & { assetsUrl: string }> {
  const grok = await startFakeGrok();
  const once = { on: 'gateway', count: 1 } as const;
  const status = (s: Extract<Scenario, { kind: 'status' }>): GrokScript => {
    const body = s.message ? { code: 3, message: s.message, details: [] } : undefined;
    const wait = s.headers?.['retry-after'];
    switch (s.status) {
      case 401:
        return { kind: 'unauthorized', body, ...once };
      case 403:
        return { kind: 'forbidden', body, ...once };
      case 429:
        return { kind: 'rate-limited', ...(wait !== undefined && { waitSeconds: Number(wait) }), body, ...once };
      // grok.com's other statuses come as its gRPC-style error bodies, as server-error plays them.
      default:
        return { kind: 'server-error', status: s.status, body, ...once };
    }
  };
  const toScript = (s: Scenario): GrokScript | undefined => {
    switch (s.kind) {
      case 'reply':
        return undefined;
      case 'slow':
        return { kind: 'slow', delayMs: Math.max(s.delayMs, 300), ...once };
      case 'hang':
        return { kind: 'hang', ...once };
      case 'cut':
        return { kind: 'cut', afterFrames: s.afterFrames, ...once };
      case 'status':
        return status(s);
    }
  };
  return {
    url: grok.url,
    assetsUrl: grok.assetsUrl,
    get calls(): UpstreamCall[] {
      return grok.gatewayTurns.map((t) => ({
        at: t.openedAt,
        get closedAt() {
          return t.closedAt;
        },
      }));
    },
    next: (...s) => {
      for (const x of s) {
        const script = toScript(x);
        if (script) grok.script('*', script);
      }
    },
    reset: () => grok.clear(),
    close: () => grok.close(),
  };
}
