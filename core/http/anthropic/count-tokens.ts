import type { ContentBlock, MessagesRequest } from './types.js';

/** What Anthropic charges for an image of typical size (about 1.15 megapixels / 750). */
const IMAGE_TOKENS = 1600;

/** Per message: role and separators. */
const MESSAGE_OVERHEAD = 4;

const textTokens = (s: string): number => Math.ceil(s.length / 4);

/**
 * An estimate of a request's input tokens for `/v1/messages/count_tokens`: about four characters
 * a token for text, tool definitions and tool input, a flat figure per image. No OpenAI-format
 * upstream counts tokens for us, so the answer says it is an estimate (a response header).
 */
export function estimateInputTokens(body: Pick<MessagesRequest, 'messages' | 'system' | 'tools'>): number {
  let n = 0;
  if (typeof body.system === 'string') n += textTokens(body.system);
  else for (const b of body.system ?? []) n += textTokens(b.text);
  for (const m of body.messages) {
    n += MESSAGE_OVERHEAD;
    if (typeof m.content === 'string') n += textTokens(m.content);
    else for (const b of m.content) n += blockTokens(b);
  }
  if (body.tools?.length) n += textTokens(JSON.stringify(body.tools));
  return n;
}

function blockTokens(b: ContentBlock): number {
  switch (b.type) {
    case 'text':
      return textTokens(b.text);
    case 'image':
      return IMAGE_TOKENS;
    case 'tool_use':
      return textTokens(b.name) + textTokens(JSON.stringify(b.input ?? {}));
    case 'tool_result':
      if (typeof b.content === 'string') return textTokens(b.content);
      return (b.content ?? []).reduce((n, c) => n + blockTokens(c), 0);
    case 'thinking':
      return textTokens(b.thinking ?? '');
    default:
      return 0;
  }
}
