/**
 * The repo's own fake upstreams, adapted to the conformance kit's ScriptableUpstream: each maps
 * the kit's scenarios onto the behaviours its fake already scripts, so the kit runs against the
 * fakes that check each protocol closely rather than against a simpler copy of them.
 */
import type { Scenario, ScriptableUpstream, UpstreamCall } from '../../core/testing/index.js';
import { startFakeOpenAI, type Behaviour as OpenAIBehaviour } from '../fakes/openai-upstream.js';
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
