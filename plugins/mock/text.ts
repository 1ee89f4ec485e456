import type { ChatMessage, ChatRequest } from '../../core/index.js';

const LOREM =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat'.split(
    ' ',
  );

/** The text of a message, whether `content` is a string or a list of parts. */
export function messageText(m: ChatMessage | undefined): string {
  if (!m || m.content == null) return '';
  if (typeof m.content === 'string') return m.content;
  return m.content.map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
}

/** The last user message, else the last message of any role. */
export function lastUserText(request: ChatRequest): string {
  const msgs = request.messages;
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].role === 'user') return messageText(msgs[i]);
  return messageText(msgs[msgs.length - 1]);
}

/** Words with their leading whitespace, so joining the pieces gives the text back exactly. */
export function pieces(text: string): string[] {
  const out = text.match(/\s*\S+\s*$|\s*\S+/g);
  return out && out.length ? out : [text];
}

/** `n` words of lorem ipsum, the first capitalised and the last followed by a period. */
export function lorem(n: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    let w = LOREM[i % LOREM.length];
    if (i === 0) w = w[0].toUpperCase() + w.slice(1);
    if (i === n - 1) w += '.';
    words.push(i === 0 ? w : ` ${w}`);
  }
  return words;
}

/** Whitespace-separated words: the mock's (declared) token count. */
export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}
