import { GatewayError, type ChatMessage, type ContentPart, type ToolCall } from '../../core/index.js';

/** An Anthropic content block (only the fields this module builds are typed). */
export type Block = { type: string; [field: string]: unknown };
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}
export type SystemBlock = { type: 'text'; text: string };

const bad = (param: string, message: string) => new GatewayError('SWB_ERR_INVALID_VALUE', message, { param });

/**
 * The canonical messages as Anthropic's `system` and `messages`: system and developer messages
 * (wherever they stand) join the system prompt, a tool message becomes a `tool_result` block in a
 * user turn, and consecutive turns of one role merge into one (tool results first, as Anthropic
 * requires them at the start of the user turn that answers the tool calls).
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]): { system: SystemBlock[]; messages: AnthropicMessage[] } {
  const system: SystemBlock[] = [];
  const out: AnthropicMessage[] = [];
  const push = (role: AnthropicMessage['role'], content: Block[]) => {
    if (!content.length) return;
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...content);
    else out.push({ role, content });
  };
  messages.forEach((m, i) => {
    const at = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        for (const b of textBlocks(m.content, at)) system.push({ type: 'text', text: b.text as string });
        break;
      case 'user':
        push('user', userBlocks(m.content, at));
        break;
      case 'assistant':
        push('assistant', assistantBlocks(m, at));
        break;
      case 'tool':
        if (typeof m.tool_call_id !== 'string' || !m.tool_call_id) throw bad(`${at}.tool_call_id`, `${at}.tool_call_id: a tool message needs the id of the tool call it answers.`);
        push('user', [toolResult(m, at)]);
        break;
      default:
        throw bad(`${at}.role`, `${at}.role: "${String(m.role)}" messages cannot be sent to Anthropic; use "tool" messages for tool results.`);
    }
  });
  return { system, messages: out };
}

/** A string or parts that may hold only text (system prompts, tool results, assistant turns). */
function textBlocks(content: ChatMessage['content'], at: string): Block[] {
  if (content == null || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.flatMap((p, j) => {
    part(p, `${at}.content[${j}]`);
    if (p.type !== 'text' && p.type !== 'refusal') throw bad(`${at}.content[${j}].type`, `${at}.content[${j}].type: only text parts can go here, not "${p.type}".`);
    const text = typeof p.text === 'string' ? p.text : typeof p.refusal === 'string' ? p.refusal : '';
    return text ? [{ type: 'text', text }] : [];
  });
}

function userBlocks(content: ChatMessage['content'], at: string): Block[] {
  if (content == null || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.flatMap((p, j) => {
    const where = `${at}.content[${j}]`;
    part(p, where);
    if (p.type === 'text') return typeof p.text === 'string' && p.text ? [{ type: 'text', text: p.text }] : [];
    if (p.type === 'image_url') return [imageBlock(p, where)];
    if (p.type === 'file') return [documentBlock(p, where)];
    throw bad(`${where}.type`, `${where}.type: "${p.type}" parts cannot be sent to Anthropic (text, image_url and PDF file parts can).`);
  });
}

/** A content part must be an object with a string `type` (the core's schema checks only the array). */
function part(p: unknown, at: string): asserts p is ContentPart {
  if (!p || typeof p !== 'object' || typeof (p as { type?: unknown }).type !== 'string') throw bad(`${at}.type`, `${at}: a content part is an object with a "type".`);
}

/** `data:` URLs become base64 sources, http(s) URLs url sources (Anthropic fetches them). */
function imageBlock(p: ContentPart, at: string): Block {
  const url = typeof p.image_url === 'string' ? (p.image_url as string) : p.image_url?.url;
  if (typeof url !== 'string') throw bad(`${at}.image_url.url`, `${at}.image_url.url: give the image as a data: or https: URL.`);
  const data = /^data:([^;,]+);base64,/i.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1].toLowerCase(), data: url.slice(data[0].length) } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw bad(`${at}.image_url.url`, `${at}.image_url.url: give the image as a data: or https: URL.`);
}

/** OpenAI's `file` part with inline `file_data` (a PDF as a data: URL) as a document block. */
function documentBlock(p: ContentPart, at: string): Block {
  const file = p.file as { file_data?: unknown; filename?: unknown } | undefined;
  const data = typeof file?.file_data === 'string' ? /^data:(application\/pdf);base64,/i.exec(file.file_data) : null;
  if (!data || typeof file?.file_data !== 'string') throw bad(`${at}.file.file_data`, `${at}.file.file_data: Anthropic takes files as inline PDF data (data:application/pdf;base64,...); file ids are not supported.`);
  const block: Block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: file.file_data.slice(data[0].length) } };
  if (typeof file.filename === 'string') block.title = file.filename;
  return block;
}

/**
 * An assistant turn: its thinking first (the `thinking_blocks` an earlier answer handed out, with
 * their signatures, which Anthropic needs back when thinking and tools mix), then text, then
 * tool calls as `tool_use` blocks.
 */
function assistantBlocks(m: ChatMessage, at: string): Block[] {
  const blocks: Block[] = [];
  if (Array.isArray(m.thinking_blocks)) {
    for (const b of m.thinking_blocks as Block[]) if (b && (b.type === 'thinking' || b.type === 'redacted_thinking')) blocks.push(b);
  }
  blocks.push(...textBlocks(m.content, at));
  if (m.tool_calls != null && !Array.isArray(m.tool_calls)) throw bad(`${at}.tool_calls`, `${at}.tool_calls: a list of tool calls.`);
  (m.tool_calls ?? []).forEach((t: ToolCall, k) => blocks.push(toolUse(t, `${at}.tool_calls[${k}]`)));
  return blocks;
}

function toolUse(t: ToolCall, at: string): Block {
  if (!t || typeof t !== 'object' || typeof t.id !== 'string' || typeof t.function?.name !== 'string') {
    throw bad(at, `${at}: a tool call needs an "id" and a "function" with a "name".`);
  }
  const args = t.function.arguments;
  let input: unknown = {};
  if (typeof args === 'string' && args.trim()) {
    try {
      input = JSON.parse(args);
    } catch {
      throw bad(`${at}.function.arguments`, `${at}.function.arguments: not valid JSON; Anthropic needs the tool call's input as a JSON object.`);
    }
  }
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw bad(`${at}.function.arguments`, `${at}.function.arguments: Anthropic needs the tool call's input as a JSON object.`);
  return { type: 'tool_use', id: t.id, name: t.function.name, input };
}

function toolResult(m: ChatMessage, at: string): Block {
  const block: Block = { type: 'tool_result', tool_use_id: m.tool_call_id };
  if (typeof m.content === 'string') {
    if (m.content) block.content = m.content;
  }
  else if (Array.isArray(m.content)) block.content = userBlocks(m.content, at);
  return block;
}
