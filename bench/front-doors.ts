/**
 * The other front doors on the same upstream: `/v1/messages` (Anthropic) and `/v1/responses`
 * (OpenAI Responses), streaming. Measured on Switchboard alone (a passthrough cannot translate),
 * against Switchboard's own chat stream of the same run: the cost of the translation.
 */
import { BENCH_API_KEY } from './config.js';

export type FrontDoor = 'messages' | 'responses';
export const FRONT_DOORS: readonly FrontDoor[] = ['messages', 'responses'];

const SYSTEM = 'You are a helpful assistant.';
const USER = 'Say hello in a short sentence, please.';

interface Door {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The text a streamed answer carries; throws unless the stream ended cleanly. */
  text(sse: string): string;
}

/** Each SSE event of a stream as [name, parsed data]. */
function events(sse: string): [string, Record<string, unknown>][] {
  return sse
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const name = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return [name, JSON.parse(data) as Record<string, unknown>];
    });
}

export const DOORS: Record<FrontDoor, Door> = {
  messages: {
    path: '/v1/messages',
    headers: { 'x-api-key': BENCH_API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock-model', system: SYSTEM, messages: [{ role: 'user', content: USER }], max_tokens: 64, temperature: 0, stream: true }),
    text(sse) {
      const all = events(sse);
      if (all.at(-1)?.[0] !== 'message_stop') throw new Error('the Messages stream did not end with message_stop');
      return all.map(([, d]) => ((d.delta as { type?: string; text?: string } | undefined)?.type === 'text_delta' ? (d.delta as { text: string }).text : '')).join('');
    },
  },
  responses: {
    path: '/v1/responses',
    headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock-model', instructions: SYSTEM, input: USER, max_output_tokens: 64, temperature: 0, stream: true }),
    text(sse) {
      const all = events(sse);
      if (all.at(-1)?.[0] !== 'response.completed') throw new Error('the Responses stream did not end with response.completed');
      return all.map(([name, d]) => (name === 'response.output_text.delta' ? String(d.delta) : '')).join('');
    },
  },
};
