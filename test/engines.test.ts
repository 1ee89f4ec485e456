/** package.json's `engines` is a promise: every package the server installs keeps it. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

// semver comes with npm's world (fastify depends on it); it is the rule npm's EBADENGINE applies.
const semver = createRequire(import.meta.url)('semver') as { subset(sub: string, dom: string): boolean };

interface LockedPackage {
  version?: string;
  dev?: boolean;
  engines?: { node?: string };
}

describe('engines', () => {
  it('regression: every runtime package in the lockfile accepts every Node version engines claims (no EBADENGINE on Node 20)', () => {
    const claimed = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } }).engines.node;
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockedPackage> };
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && !p.dev && p.engines?.node && !semver.subset(claimed, p.engines.node))
      .map(([path, p]) => `${path}@${p.version} wants node ${p.engines?.node}`);
    expect(refusing).toEqual([]);
  });

  it("regression: fastify's inject still sends cookies with the cookie version the override pins", async () => {
    const app = Fastify();
    app.get('/c', async (request) => ({ cookie: request.headers.cookie }));
    const res = await app.inject({ url: '/c', cookies: { a: 'b c', d: 'e' } });
    expect(res.json()).toEqual({ cookie: 'a=b%20c; d=e' });
    await app.close();
  });
});
