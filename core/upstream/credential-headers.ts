import type { Credential } from '../contract/provider.js';

/**
 * Request headers per credential for a Bearer-token upstream, built on a credential's first use
 * and kept while it lives: not per request, and not only for the credentials known at start-up
 * (an admin may add some later).
 */
export function bearerHeaders(anonymous: Record<string, string>): (c: Credential | undefined) => Record<string, string> {
  const built = new WeakMap<Credential, Record<string, string>>();
  return (c) => {
    if (!c) return anonymous;
    let h = built.get(c);
    if (!h) built.set(c, (h = { ...anonymous, authorization: `Bearer ${c.secret}` }));
    return h;
  };
}
