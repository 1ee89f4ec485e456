/** A Redis URL without its password, for messages and the admin view (no ioredis needed). */
export function safeRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return '(unparseable Redis URL)';
  }
}
