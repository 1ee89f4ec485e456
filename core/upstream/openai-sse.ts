import { StringDecoder } from 'node:string_decoder';
import type { ChatChunk } from '../contract/openai.js';
import { RawChatChunk } from '../contract/raw.js';
import { SseParser, type SseEvent } from './sse-parser.js';
import { UpstreamError } from './upstream-error.js';

const ERROR_EVENT = /^\{\s*"error"\s*:/;
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;
const HAS_USAGE = /"usage"\s*:\s*\{/;
const HAS_FINISH = /"finish_reason"\s*:\s*"/;

/**
 * Turn an OpenAI-style upstream's `text/event-stream` body into chunks. Each chunk keeps the
 * upstream's JSON text (forwarded without re-serialising); the checks here are string scans, not
 * parses: an event that is not a JSON object is garbage, `{"error":...}` is an in-band failure,
 * and an empty `choices` prelude (Azure's content-filter results) is dropped because clients
 * index `choices[0]`. The body is read to its end even after `[DONE]`: leaving early destroys the
 * socket instead of returning it to the pool. `rewrite`, when given, edits each event's JSON text
 * (a provider stripping an upstream's extra fields).
 */
export async function* openaiSseChunks(body: AsyncIterable<Buffer>, rewrite?: (json: string) => string): AsyncGenerator<ChatChunk> {
  const decoder = new StringDecoder('utf8');
  const parser = new SseParser();
  let done = false;
  let last: string | undefined;
  for await (const buf of body) {
    for (const ev of parser.feed(decoder.write(buf))) {
      if (done) continue;
      const data = accept(ev);
      if (data === '[DONE]') done = true;
      else if (data !== undefined) {
        last = data;
        yield new RawChatChunk(rewrite ? rewrite(data) : data);
      }
    }
  }
  for (const ev of [...parser.feed(decoder.end()), ...parser.end()]) {
    const data = done ? undefined : accept(ev);
    if (data === '[DONE]') done = true;
    else if (data !== undefined) {
      last = data;
      yield new RawChatChunk(rewrite ? rewrite(data) : data);
    }
  }
  // Some servers omit [DONE]; a stream that reached its finish_reason is still complete.
  if (!done && !(last && HAS_FINISH.test(last))) {
    throw UpstreamError.malformed('the upstream stream ended before it finished (no finish_reason, no [DONE])');
  }
}

/** The event's JSON text, `[DONE]`, or undefined for events to skip; throws on garbage. */
function accept(ev: SseEvent): string | undefined {
  const data = ev.data;
  if (data.length === 0) return undefined;
  if (data === '[DONE]') return data;
  if (ev.event === 'error' || (data.indexOf('"error"') !== -1 && ERROR_EVENT.test(data))) {
    throw new UpstreamError('the upstream reported an error mid-stream', { body: data });
  }
  if (data.charCodeAt(0) !== 123 /* { */ || data.charCodeAt(data.length - 1) !== 125 /* } */) {
    const trimmed = data.trim();
    if (trimmed === '[DONE]') return trimmed;
    if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) throw UpstreamError.malformed('the upstream sent an event that is not JSON', data);
    return accept({ event: ev.event, data: trimmed });
  }
  if (data.indexOf('[]') !== -1 && EMPTY_CHOICES.test(data) && !HAS_USAGE.test(data)) return undefined;
  return data;
}
