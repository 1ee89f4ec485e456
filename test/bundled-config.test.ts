/** The config.yaml shipped at the repository's root, as a new user starts it. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

let sb: RunningSwitchboard;
beforeAll(async () => {
  const raw = parse(readFileSync('config.yaml', 'utf8')) as Record<string, unknown>;
  // Everything as shipped but the state file, which would land in the working copy's data/.
  sb = await startSwitchboard({ ...raw, state: { driver: 'memory' } }, { env: {} });
});
afterAll(() => sb.close());

describe('the bundled config.yaml', () => {
  it('regression: serves /v1/string with the default model, as the README shows', async () => {
    const get = await fetch(`${sb.origin}/v1/string?q=Hello`);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await get.text()).toBe('Hello');
    const post = await fetch(`${sb.origin}/v1/string`, { method: 'POST', body: 'Hello again' });
    expect(await post.text()).toBe('Hello again');
  });
});
