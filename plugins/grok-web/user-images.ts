import { request, type Agent } from 'undici';
import { GatewayError, headerValue } from '../../core/index.js';
import { decodeDataImage } from './data-url.js';
import { readCapped } from './read-capped.js';

/** What a client may make Switchboard fetch on its behalf. */
export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Allow private, loopback and link-local addresses (a trusted LAN setup). */
  allowPrivate: boolean;
}

export interface UserImage {
  mimeType: string;
  bytes: Buffer;
}

/**
 * The client's mistake, as the client error the core never holds against an account or a breaker
 * (a 400 naming the part, e.g. `messages[0].content[1].image_url.url`).
 */
const refuse = (param: string, message: string) => new GatewayError('SWB_ERR_INVALID_VALUE', `${param} ${message}`, { param });

/**
 * The bytes of the `image_url` at `param` of a request: a data URL decoded, an http(s) URL
 * fetched without any account's cookies, within a size and time limit, through `agent` (which
 * refuses private addresses unless allowed, guarded-agent.ts). Anything else, including an
 * image that is empty or not an image, is the client's mistake.
 */
export async function loadUserImage(url: string, param: string, limits: FetchLimits, agent: Agent): Promise<UserImage> {
  if (/^data:/i.test(url)) {
    const img = decodeDataImage(url);
    if ('problem' in img) throw refuse(param, img.problem);
    if (img.bytes.length > limits.maxBytes) throw refuse(param, `is larger than ${limits.maxBytes} bytes`);
    return img;
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw refuse(param, 'is neither a data URL nor an http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw refuse(param, `must be http(s) or data:, not ${u.protocol}`);
  let res;
  try {
    res = await request(u, { dispatcher: agent, method: 'GET', headersTimeout: limits.timeoutMs, bodyTimeout: limits.timeoutMs });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw refuse(param, code === 'EPRIVATE' ? `was refused: ${u.host} is a private address (or resolves to one)` : `could not be fetched from ${u.host}: ${code ?? (err as Error).message}`);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw refuse(param, `could not be fetched: ${u.host} answered HTTP ${res.statusCode}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readCapped(res.body, limits.maxBytes, () => refuse(param, `at ${u.host} is larger than ${limits.maxBytes} bytes`));
  } catch (err) {
    // A client's image server that stalls or cuts the body is not the Grok account's failure.
    if (err instanceof GatewayError) throw err;
    throw refuse(param, `could not be read from ${u.host}: ${(err as { code?: string }).code ?? (err as Error).message}`);
  }
  const type = (headerValue(res.headers, 'content-type') ?? 'application/octet-stream').split(';')[0].trim().toLowerCase();
  if (!type.startsWith('image/')) throw refuse(param, `at ${u.host} is not an image (${type})`);
  if (bytes.length === 0) throw refuse(param, `at ${u.host} is empty`);
  return { mimeType: type, bytes };
}
