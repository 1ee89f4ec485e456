import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.split(',')[0].trim() || undefined;

/**
 * The origin a client used to reach us, proxies included (X-Forwarded-Proto / -Host first). Only
 * used to build links handed back to that same client, so a forged header misleads nobody else.
 */
export function originOf(req: IncomingMessage): string {
  const h = req.headers;
  const proto = first(h['x-forwarded-proto']) ?? ((req.socket as TLSSocket).encrypted ? 'https' : 'http');
  const host = first(h['x-forwarded-host']) ?? h.host ?? 'localhost';
  return `${proto}://${host}`;
}
