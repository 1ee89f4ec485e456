import type { Agent } from 'undici';
import { GatewayError, type CallContext, type ChatRequest } from '../../core/index.js';
import type { GrokClient } from './client.js';
import { flattenMessages } from './flatten.js';
import { loadUserImage, type FetchLimits } from './user-images.js';

export interface MessageOptions {
  /** A history longer than this travels as a file (0: never). */
  historyFileChars: number;
  imageInput: FetchLimits;
  chatTransport: 'websocket' | 'http';
}

/** Attachments grok.com takes per message: the web app's gateway 8 (64 MiB in all), the REST dialect 4. */
const MAX_ATTACHMENTS = { websocket: 8, http: 4 } as const;
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

/** A long history travels as this file; the message says so, so the model reads it. */
const HISTORY_FILE = 'conversation.txt';
const HISTORY_NOTE = `[The conversation so far is in the attached file ${HISTORY_FILE}; answer its last message below.]`;

/** Every `image_url` of the request's messages, in order, with where it sits (for errors). */
function imageUrls(request: ChatRequest): { url: string; param: string }[] {
  const out: { url: string; param: string }[] = [];
  request.messages.forEach((m, i) => {
    if (!Array.isArray(m.content)) return;
    (m.content as { type?: string; image_url?: { url?: unknown } | string }[]).forEach((p, j) => {
      if (p?.type !== 'image_url') return;
      const at = `messages[${i}].content[${j}].image_url`;
      if (typeof p.image_url === 'string') out.push({ url: p.image_url, param: at });
      else if (typeof p.image_url?.url === 'string') out.push({ url: p.image_url.url, param: `${at}.url` });
    });
  });
  return out;
}

/**
 * The message Grok gets for a chat request, and its attachments: the request's images (the last
 * few) uploaded first, and a history longer than `historyFileChars` uploaded as a text file with
 * only the last turn inline. Images are fetched through `imageAgent` (guarded-agent.ts).
 */
export async function prepareMessage(
  client: GrokClient,
  request: ChatRequest,
  call: CallContext,
  options: MessageOptions,
  imageAgent: Agent,
): Promise<{ message: string; files: string[] }> {
  const files: string[] = [];
  let total = 0;
  for (const [i, { url, param }] of imageUrls(request).slice(-MAX_ATTACHMENTS[options.chatTransport]).entries()) {
    const img = await loadUserImage(url, param, options.imageInput, imageAgent);
    total += img.bytes.length;
    if (total > MAX_TOTAL_BYTES) throw new GatewayError('SWB_ERR_INVALID_VALUE', `The images of one request may total at most 64 MiB for Grok; ${param} goes past it.`, { param });
    files.push(await client.upload(call, `image-${i + 1}.${img.mimeType.split('/')[1] ?? 'bin'}`, img.mimeType, img.bytes));
  }
  const message = flattenMessages(request.messages);
  const limit = options.historyFileChars;
  if (!limit || message.length <= limit || request.messages.length < 2) return { message, files };
  const history = flattenMessages(request.messages.slice(0, -1));
  files.push(await client.upload(call, HISTORY_FILE, 'text/plain', Buffer.from(history, 'utf8')));
  return { message: `${HISTORY_NOTE}\n\n${flattenMessages(request.messages.slice(-1))}`, files };
}
