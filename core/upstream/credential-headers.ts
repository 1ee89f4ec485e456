import type { Credential } from '../contract/provider.js';

/** `authorization: Bearer <secret>`: what most upstreams want from a credential. */
export const bearer = (c: Credential): Record<string, string> => ({ authorization: `Bearer ${c.secret}` });

/**
 * Request headers per credential: `anonymous` plus what `own` makes of the credential, built on a
 * credential's first use and kept while it lives: not per request, and not only for the
 * credentials known at start-up (an admin may add some later).
 */
export function credentialHeaders(
  anonymous: Record<string, string>,
  own: (c: Credential) => Record<string, string> = bearer,
): (c: Credential | undefined) => Record<string, string> {
  const built = new WeakMap<Credential, Record<string, string>>();
  return (c) => {
    if (!c) return anonymous;
    let h = built.get(c);
    if (!h) built.set(c, (h = { ...anonymous, ...own(c) }));
    return h;
  };
}

/** {@link credentialHeaders} for a Bearer-token upstream. */
export function bearerHeaders(anonymous: Record<string, string>): (c: Credential | undefined) => Record<string, string> {
  return credentialHeaders(anonymous, bearer);
}
