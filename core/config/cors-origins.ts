import type { Problems } from './problems.js';

/**
 * The default `server.cors.origins`: pages served from this machine, on any port, so a local chat
 * UI works out of the box while a page from anywhere else cannot spend the keys through a browser.
 */
export const LOOPBACK_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'];

// scheme://host, then an optional :port or :* — no path, no trailing slash (browsers send none).
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9_~!$&'()+,;=.-]+)(:([0-9]{1,5}|\*))?$/;

/** `server.cors.origins` as written (validated already as a string or a list), checked and lower-cased. */
export function corsOriginsOf(raw: unknown, problems: Problems): string[] {
  if (raw === undefined) return [...LOOPBACK_ORIGINS];
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
  const out: string[] = [];
  list.forEach((entry, i) => {
    if (typeof entry !== 'string') return; // the schema reported it
    const origin = entry.trim().toLowerCase();
    if (origin === '*' || ORIGIN.test(origin)) out.push(origin);
    else {
      const hint = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/.*$/.test(origin) ? ': an origin has no path (browsers send e.g. https://chat.example.com, without a slash)' : '';
      problems.add(['server', 'cors', 'origins', ...(typeof raw === 'string' ? [] : [i])], `expected "*" or an origin such as https://chat.example.com or http://localhost:* (scheme://host[:port], :* for any port), got ${JSON.stringify(entry)}${hint}`);
    }
  });
  return out;
}
