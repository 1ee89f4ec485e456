import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { GatewayError } from '../../core/index.js';
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

const refuse = (message: string) => new GatewayError('SWB_ERR_INVALID_VALUE', message, { param: 'messages' });

/** Loopback, private, link-local, CGNAT, unspecified and multicast addresses: not the public internet. */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
  }
  const v6 = ip.toLowerCase();
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7));
  return v6 === '::' || v6 === '::1' || v6.startsWith('fc') || v6.startsWith('fd') || v6.startsWith('fe8') || v6.startsWith('fe9') || v6.startsWith('fea') || v6.startsWith('feb') || v6.startsWith('ff');
}

/**
 * An undici agent whose DNS answers are checked at connect time, so a name that resolves to a
 * private address (or is rebound to one after a check) is never connected to.
 */
export function guardedAgent(allowPrivate: boolean): Agent {
  return new Agent({
    connect: {
      lookup(hostname, options, callback) {
        lookup(hostname, { ...options, all: true }, (err, addresses) => {
          if (err) return callback(err, '', 4);
          const list = addresses as unknown as { address: string; family: number }[];
          const bad = !allowPrivate && list.find((a) => isPrivateAddress(a.address));
          if (bad) return callback(Object.assign(new Error(`refused: ${hostname} resolves to a private address`), { code: 'EPRIVATE' }), '', 4);
          const first = list[0];
          // node's net wants the single-address form unless `all` was asked for
          if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
          callback(null, first.address, first.family);
        });
      },
    },
  });
}

/**
 * The bytes of an `image_url` a client sent: a data URL decoded, an http(s) URL fetched without
 * any account's cookies, within a size and time limit, and never from a private address unless
 * allowed. Anything else is the client's mistake (400 naming `messages`).
 */
export async function loadUserImage(url: string, limits: FetchLimits, agent: Agent): Promise<UserImage> {
  const data = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(url);
  if (data) {
    const bytes = data[2] ? Buffer.from(data[3], 'base64') : Buffer.from(decodeURIComponent(data[3]));
    if (bytes.length > limits.maxBytes) throw refuse(`an image in messages is larger than ${limits.maxBytes} bytes`);
    return { mimeType: data[1], bytes };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw refuse('an image_url in messages is neither a data URL nor an http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw refuse(`image URLs must be http(s), not ${u.protocol}`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !limits.allowPrivate && isPrivateAddress(host)) throw refuse(`refused to fetch ${u.host}: a private address`);
  let res;
  try {
    res = await request(u, { dispatcher: agent, method: 'GET', headersTimeout: limits.timeoutMs, bodyTimeout: limits.timeoutMs });
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw refuse(code === 'EPRIVATE' ? `refused to fetch ${u.host}: it resolves to a private address` : `could not fetch the image at ${u.host}: ${code ?? (err as Error).message}`);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw refuse(`the image at ${u.host} answered HTTP ${res.statusCode}`);
  }
  const bytes = await readCapped(res.body, limits.maxBytes, () => refuse(`the image at ${u.host} is larger than ${limits.maxBytes} bytes`));
  const type = String(res.headers['content-type'] ?? 'application/octet-stream').split(';')[0].trim();
  if (!type.startsWith('image/')) throw refuse(`the URL at ${u.host} is not an image (${type})`);
  return { mimeType: type, bytes };
}
