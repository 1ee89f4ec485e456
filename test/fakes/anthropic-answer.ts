/** The fake Anthropic API's answers: the whole message, and the events a stream of it is made of. */
import { randomBytes } from 'node:crypto';
import { lastUserText, type Body } from './anthropic-checks.js';

export const id = (prefix: string) => prefix + randomBytes(12).toString('base64url');

export const FAKE_SIGNATURE = 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds';

/** The reply the fake gives by default: derived from the request, so tests can predict it. */
export function anthropicReply(body: Body | undefined): string {
  return `You said: ${lastUserText(body)} — and that is all.`;
}

/** Stream pieces: words with their leading space. */
export const pieces = (text: string): string[] => text.match(/\s*\S+/g) ?? [text];

/** Input tokens the fake counts for a body: a quarter of its system and messages' JSON length. */
export function anthropicInputTokens(body: Body | undefined): number {
  return (JSON.stringify(body?.messages ?? []).length + JSON.stringify(body?.system ?? '').length) >> 2;
}

type Block = Record<string, unknown> & { type: string };

/** What a scripted `ok` may say about the answer. */
export interface OkAnswer {
  text?: string;
  thinking?: string;
  tool?: { name: string; input: Record<string, unknown> };
  cacheRead?: number;
}
export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: Block[];
  stop_reason: string;
  stop_sequence: string | null;
  usage: Record<string, unknown> & { input_tokens: number; output_tokens: number };
  /** Present when the request asked for context management: the edits applied (none, here). */
  context_management?: { applied_edits: unknown[] };
}

/** The whole answer, as the non-stream API returns it; streams replay it as events. */
export function answer(body: Body, b: OkAnswer): Message {
  const content: Block[] = [];
  const thinking = body.thinking as { type?: string } | undefined;
  if (thinking?.type === 'enabled') content.push({ type: 'thinking', thinking: b.thinking ?? 'Let me think about that.', signature: FAKE_SIGNATURE });
  let stop = 'end_turn';
  let stopSequence: string | null = null;
  let words = pieces(b.text ?? anthropicReply(body));
  const cut = words.join('');
  for (const s of (body.stop_sequences as string[] | undefined) ?? []) {
    const at = cut.indexOf(s);
    if (at !== -1) {
      words = pieces(cut.slice(0, at));
      stop = 'stop_sequence';
      stopSequence = s;
      break;
    }
  }
  const max = Number(body.max_tokens);
  if (words.length > max) {
    words = words.slice(0, max);
    stop = 'max_tokens';
  }
  if (!b.tool || b.text !== undefined) content.push({ type: 'text', text: words.join('') });
  if (b.tool && stop === 'end_turn') {
    content.push({ type: 'tool_use', id: id('toolu_'), name: b.tool.name, input: b.tool.input });
    stop = 'tool_use';
  }
  const input = anthropicInputTokens(body) - (b.cacheRead ?? 0);
  const message: Message = {
    id: id('msg_'),
    type: 'message',
    role: 'assistant',
    model: String(body.model),
    content,
    stop_reason: stop,
    stop_sequence: stopSequence,
    usage: { input_tokens: input, cache_creation_input_tokens: 0, cache_read_input_tokens: b.cacheRead ?? 0, output_tokens: words.length, service_tier: 'standard' },
  };
  // The real API reports context management in the answer when the request configured it.
  if (body.context_management) message.context_management = { applied_edits: [] };
  return message;
}

/** The events of a stream for `m`, with the real API's event names and JSON shapes. */
export function events(m: Message): [string, unknown][] {
  const out: [string, unknown][] = [];
  const usage = { ...m.usage, output_tokens: 1 };
  const { context_management: _, ...head } = m;
  out.push(['message_start', { type: 'message_start', message: { ...head, content: [], stop_reason: null, stop_sequence: null, usage } }]);
  m.content.forEach((block, index) => {
    const delta = (d: Record<string, unknown>) => out.push(['content_block_delta', { type: 'content_block_delta', index, delta: d }]);
    if (block.type === 'text') {
      out.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
      if (index === 0) out.push(['ping', { type: 'ping' }]);
      for (const p of pieces(String(block.text))) delta({ type: 'text_delta', text: p });
    } else if (block.type === 'thinking') {
      out.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }]);
      if (index === 0) out.push(['ping', { type: 'ping' }]);
      for (const p of pieces(String(block.thinking))) delta({ type: 'thinking_delta', thinking: p });
      delta({ type: 'signature_delta', signature: block.signature });
    } else if (block.type === 'tool_use') {
      out.push(['content_block_start', { type: 'content_block_start', index, content_block: { ...block, input: {} } }]);
      delta({ type: 'input_json_delta', partial_json: '' });
      const args = JSON.stringify(block.input);
      for (let i = 0; i < args.length; i += 9) delta({ type: 'input_json_delta', partial_json: args.slice(i, i + 9) });
    }
    out.push(['content_block_stop', { type: 'content_block_stop', index }]);
  });
  const end: Record<string, unknown> = { type: 'message_delta', delta: { stop_reason: m.stop_reason, stop_sequence: m.stop_sequence }, usage: { output_tokens: m.usage.output_tokens } };
  if (m.context_management) end.context_management = m.context_management; // streams report it at the end
  out.push(['message_delta', end]);
  out.push(['message_stop', { type: 'message_stop' }]);
  return out;
}

