/** Response headers as undici (and `UpstreamFailure.headers`) give them: lower-case names. */
export type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * One header's value as a string: the first when the upstream repeated it, undefined when it sent
 * none. `name` must be lower-case (undici lower-cases response header names; no case folding here).
 */
export function headerValue(headers: HeaderMap | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}
