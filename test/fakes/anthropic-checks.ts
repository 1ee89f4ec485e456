/**
 * The request checks the fake Anthropic API makes, worded as the real API words them: the
 * fields it knows (anything else is "Extra inputs are not permitted"), the roles, the content
 * blocks, tool results that answer the previous turn's tool calls, and the thinking budget.
 */
export type Body = Record<string, unknown>;

const TOP_LEVEL = new Set([
  'model', 'messages', 'max_tokens', 'system', 'metadata', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k',
  'tools', 'tool_choice', 'thinking', 'service_tier', 'container', 'mcp_servers', 'context_management', 'output_config',
  'cache_control', 'inference_geo', 'speed', 'diagnostics',
]);
const BLOCKS = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking', 'search_result']);

/** What is wrong with a `/v1/messages` (or `count_tokens`) body, or undefined. */
export function checkMessagesBody(body: Body, counting: boolean): string | undefined {
  for (const key of Object.keys(body)) if (!TOP_LEVEL.has(key) || (counting && key === 'max_tokens')) return `${key}: Extra inputs are not permitted`;
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!counting && typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  if (typeof body.temperature === 'number' && (body.temperature < 0 || body.temperature > 1)) return 'temperature: Input should be less than or equal to 1';
  const thinking = body.thinking as { type?: string; budget_tokens?: number } | undefined;
  if (thinking?.type === 'enabled') {
    if (typeof thinking.budget_tokens !== 'number' || thinking.budget_tokens < 1024) return 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
    if (!counting && thinking.budget_tokens >= Number(body.max_tokens)) return '`max_tokens` must be greater than `thinking.budget_tokens`.';
  }
  if (body.system !== undefined && typeof body.system !== 'string' && !Array.isArray(body.system)) return 'system: Input should be a valid list';
  let previousToolIds: string[] = [];
  for (let i = 0; i < body.messages.length; i++) {
    const m = body.messages[i] as { role?: unknown; content?: unknown };
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (!Array.isArray(blocks)) return `messages.${i}.content: Input should be a valid list`;
    const toolIds: string[] = [];
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j] as Record<string, unknown>;
      const at = `messages.${i}.content.${j}`;
      if (!BLOCKS.has(String(b.type))) return `${at}: Input tag '${String(b.type)}' found using 'type' does not match any of the expected tags`;
      if (b.type === 'text' && (typeof b.text !== 'string' || b.text === '')) return `${at}.text: text content blocks must be non-empty`;
      if (b.type === 'image') {
        const s = b.source as Record<string, unknown> | undefined;
        if (s?.type === 'base64' ? typeof s.data !== 'string' || !/^image\/(jpeg|png|gif|webp)$/.test(String(s.media_type)) : s?.type !== 'url' || typeof s.url !== 'string') return `${at}.image.source: Input does not match a valid image source`;
      }
      if (b.type === 'tool_use') {
        if (m.role !== 'assistant') return `${at}: tool_use blocks may only appear in assistant messages`;
        if (typeof b.id !== 'string' || typeof b.name !== 'string' || !b.input || typeof b.input !== 'object' || Array.isArray(b.input)) return `${at}.tool_use.input: Input should be a valid dictionary`;
        toolIds.push(b.id);
      }
      if (b.type === 'tool_result') {
        if (m.role !== 'user') return `${at}: tool_result blocks may only appear in user messages`;
        if (!previousToolIds.includes(String(b.tool_use_id))) return `${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(b.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
        if (blocks.slice(0, j).some((x) => (x as { type?: unknown }).type !== 'tool_result')) return `${at}: tool_result blocks must come first in the user message`;
      }
    }
    previousToolIds = toolIds;
  }
  return undefined;
}

/** The text of the last user turn: its text blocks and tool results. */
export function lastUserText(body: Body | undefined): string {
  const msgs = (body?.messages ?? []) as { role: string; content: unknown }[];
  const last = [...msgs].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  const parts: string[] = [];
  for (const b of (last.content ?? []) as Record<string, unknown>[]) {
    if (b.type === 'text') parts.push(String(b.text));
    if (b.type === 'tool_result') parts.push(typeof b.content === 'string' ? b.content : ((b.content ?? []) as { text?: string }[]).map((c) => c.text ?? '').join(''));
    if (b.type === 'image') parts.push('[image]');
  }
  return parts.join(' ');
}
