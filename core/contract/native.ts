import type { ChatRequest } from './openai.js';

/**
 * A wire format some upstreams speak as their own, so a front door in that format can hand them
 * the client's request untranslated: `anthropic-messages` is Anthropic's `/v1/messages`.
 */
export type NativeDialect = 'anthropic-messages';

/**
 * The client's request as it came, riding along with its canonical translation. A provider that
 * speaks the dialect (it lists it in `Provider.dialects`) sends `body` instead of translating the
 * canonical request, so nothing the canonical format has no field for is lost: thinking
 * signatures, `cache_control`, fields newer than this version.
 */
export interface NativeRequest {
  readonly dialect: NativeDialect;
  /** The body text exactly as the client sent it. Send {@link nativeBody}: it sets the upstream's model id. */
  readonly body: string;
  /** The client's headers of that dialect worth forwarding (lower-case names: `anthropic-beta`). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Set when the canonical translation had to refuse part of the request (a block type only the
   * native upstream takes): the core answers it to the client for every target that does not
   * speak the dialect, before calling that target.
   */
  readonly untranslatable?: Error;
}

const REQUEST = Symbol.for('switchboard.nativeRequest');
const OUTPUT = Symbol.for('switchboard.nativeOutput');

type Carrier = Record<symbol, unknown>;

/**
 * Attach the client's native request to its canonical translation. An own enumerable symbol key:
 * dispatch's per-target copies (`{ ...request }`) keep it, and `JSON.stringify` never sends it.
 */
export function attachNative(request: ChatRequest, native: NativeRequest): ChatRequest {
  (request as unknown as Carrier)[REQUEST] = native;
  return request;
}

/** The native request riding on `request`, in any dialect (the core's check), or in `dialect` only. */
export function nativeRequest(request: ChatRequest, dialect?: NativeDialect): NativeRequest | undefined {
  const native = (request as unknown as Carrier)[REQUEST] as NativeRequest | undefined;
  return native && (dialect === undefined || native.dialect === dialect) ? native : undefined;
}

/**
 * The native body with its top-level `model` set to `model` (the route's upstream id may differ
 * from the name the client sent). Only that value's text is replaced; every other byte stays.
 */
export function nativeBody(native: NativeRequest, model: string): string {
  const span = topLevelString(native.body, 'model');
  if (!span) return native.body;
  const [start, end] = span;
  const quoted = JSON.stringify(model);
  return native.body.slice(start, end) === quoted ? native.body : native.body.slice(0, start) + quoted + native.body.slice(end);
}

/**
 * Mark a chunk or completion built from a native answer with that answer's own text: for a
 * chunk, the upstream's events (SSE frames, in order) that led up to it; for a completion, the
 * whole body. A front door of the same dialect writes that text instead of rendering the value.
 */
export function withNativeOutput<T extends object>(value: T, text: string): T {
  (value as unknown as Carrier)[OUTPUT] = text;
  return value;
}

/** The native text a chunk or completion carries, if any. */
export function nativeOutput(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null ? ((value as Carrier)[OUTPUT] as string | undefined) : undefined;
}

/**
 * Where the string value of a top-level key of a JSON object text starts and ends (quotes
 * included); undefined when the key is missing or its value is not a string. One pass that skips
 * strings and counts depth, so a `"model"` inside a message or a nested object is never taken.
 */
export function topLevelString(json: string, key: string): [number, number] | undefined {
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(json, i);
      if (end < 0) return undefined;
      if (depth === 1 && expectKey && json.slice(i + 1, end - 1) === key) {
        let j = end;
        while (isSpace(json.charCodeAt(j))) j++;
        if (json.charCodeAt(j) !== 0x3a /* : */) return undefined;
        j++;
        while (isSpace(json.charCodeAt(j))) j++;
        if (json.charCodeAt(j) !== 0x22) return undefined;
        const valueEnd = stringEnd(json, j);
        return valueEnd < 0 ? undefined : [j, valueEnd];
      }
      expectKey = false;
      i = end - 1;
    } else if (c === 0x7b /* { */) {
      depth++;
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      depth++;
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */) {
      // after a comma inside an object comes a key; inside an array a value
      expectKey = depth === 1 ? true : expectKey;
    } else if (c === 0x3a /* : */) {
      expectKey = false;
    }
  }
  return undefined;
}

/** Index just past the closing quote of the string opening at `start`; -1 if it never closes. */
function stringEnd(json: string, start: number): number {
  for (let i = start + 1; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i + 1;
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
