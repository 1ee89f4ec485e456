import type { ChatMessage } from '../../core/index.js';

const THINK = /<think>[\s\S]*?<\/think>\s*/g;

function text(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => (p && typeof p === 'object' && (p as { type?: string }).type === 'text' ? String((p as { text?: unknown }).text ?? '') : ''))
    .filter(Boolean)
    .join('\n');
}

/**
 * OpenAI messages as Grok's one `message` (reference §3): each turn `[role]: text`, turns joined
 * by a blank line, the last user turn bare, earlier `<think>` blocks removed, tool results named.
 */
export function flattenMessages(messages: readonly ChatMessage[]): string {
  const turns = messages.map((m, i) => {
    const body = (m.role === 'assistant' ? text(m.content).replace(THINK, '') : text(m.content)).trim();
    if (m.role === 'tool') return `[tool result for ${m.tool_call_id ?? 'call'}]: ${body}`;
    if (i === messages.length - 1 && m.role === 'user') return body;
    return `[${m.role}]: ${body}`;
  });
  return turns.filter((t) => t.length > 0).join('\n\n');
}
