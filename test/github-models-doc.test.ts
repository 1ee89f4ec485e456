/**
 * docs/providers/github-models.md as a new user follows it: its setup YAML (and each commented
 * alternative for `credentials:`) pasted into a config file must load, and the page's checks
 * (`jq .total_tokens`, a rotation, the alias with its fallback) must hold against a fake GitHub
 * Models upstream.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { maskSecret } from '../core/pool/credentials.js';
import { prepare } from '../core/startup.js';
import { startFakeGitHubModels, type FakeGitHubModels } from './fakes/github-models.js';
import { startSwitchboard } from './helpers/switchboard.js';

const ADMIN = 'admin-key-for-the-doc-0123456789';
const TOKENS = ['ghp_docTokenAAAAAAAAAAAAAAAAAAAAAAAAAA1', 'ghp_docTokenBBBBBBBBBBBBBBBBBBBBBBBBBB2'];
const ENV = { SWITCHBOARD_ADMIN_KEY: ADMIN, GITHUB_TOKEN: TOKENS[0], GITHUB_TOKEN2: TOKENS[1] };

let gh: FakeGitHubModels;
let dir: string;
let setup: string;

beforeAll(async () => {
  gh = await startFakeGitHubModels({ tokens: TOKENS });
  dir = await mkdtemp(join(tmpdir(), 'swb-ghdoc-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'data', 'github-tokens.txt'), `# one token per line\n${TOKENS.join('\n')}\n`);
  const doc = await readFile(new URL('../docs/providers/github-models.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toHaveLength(1);
  setup = blocks[0];
});
afterAll(async () => {
  await gh.close();
  await rm(dir, { recursive: true, force: true });
});

/** The setup as pasted, then with each commented `credentials:` alternative in place of the active one. */
function variants(yaml: string): string[] {
  const lines = yaml.split('\n');
  const active = lines.findIndex((l) => /^\s+credentials:/.test(l));
  const alternatives = lines.flatMap((l, i) => (/^\s+#( or:)? credentials:/.test(l) ? [i] : []));
  expect(alternatives.length).toBeGreaterThan(0);
  return [yaml, ...alternatives.map((i) => lines.map((l, j) => (j === active ? lines[i].replace(/#( or:)? /, '') : l)).join('\n'))];
}

describe('docs/providers/github-models.md', () => {
  it('regression: every setup YAML loads as pasted, and the token endpoints count GitHub tokens only', async () => {
    for (const [i, yaml] of variants(setup).entries()) {
      const file = join(dir, `config-${i}.yaml`);
      await writeFile(file, yaml);
      const { config } = await prepare({ file }, { env: ENV });
      expect(config.providers.map((p) => [p.id, p.credentials.length]), yaml).toEqual([
        ['github', 2],
        ['mock', 0],
      ]);
    }

    // As pasted, pointed at the fake upstream (the only change a test needs).
    const raw = parse(setup) as { providers: Record<string, unknown>[] };
    raw.providers[0].baseUrl = gh.inferenceUrl;
    raw.providers[0].throttle = { minIntervalMs: 0 };
    const sb = await startSwitchboard(raw, { dir, env: ENV });
    try {
      const headers = { 'x-admin-key': ADMIN };
      const stats = (await (await fetch(`${sb.origin}/v1/tokens/stats`, { headers })).json()) as Record<string, any>;
      expect(stats.total_tokens).toBe(2);
      expect(stats.current_token).toBe(maskSecret(TOKENS[0]));
      expect(stats.tokens.map((t: { provider: string }) => t.provider)).toEqual(['github', 'github']);
      const rotate = await (await fetch(`${sb.origin}/v1/tokens/rotate`, { method: 'POST', headers })).text();
      expect(rotate).not.toContain('mock');
      expect(rotate).not.toContain('(no credential)');

      const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
      const served = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(served.model).toContain('gpt-4o-mini');
      // Every GitHub token out of service: the alias falls back to the declared mock.
      for (const t of stats.tokens) {
        const r = await fetch(`${sb.origin}/v1/tokens/disable`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ token: t.key }) });
        expect(r.status).toBe(200);
      }
      const fallback = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(fallback.choices[0].message.content).toContain('hi');
      expect(fallback.model).toContain('echo');
    } finally {
      await sb.close();
    }
  });
});
