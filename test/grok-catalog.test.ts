/**
 * grok-web's own model catalogue (`catalog:`), configured exactly as docs/providers/grok-web.md
 * shows it, against the fake Grok server. The core's `models:` key (a static list of ids) must
 * neither swallow it nor take a catalogue written under its name by mistake.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useFakeGrok } from './helpers/lifecycle.js';
import { CONTRACT_VERSION } from '../core/contract/provider.js';
import { StartupError } from '../core/errors/gateway-error.js';
import { contractProblems } from '../core/loader/contract-check.js';
import { prepare } from '../core/startup.js';
import { GROK_SSO, grokReply } from './fakes/grok-web.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

/** The docs' YAML block that shows `catalog:`, verbatim. */
const DOCS_YAML = (() => {
  const doc = readFileSync(new URL('../docs/providers/grok-web.md', import.meta.url), 'utf8');
  const block = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('catalog:'));
  if (!block) throw new Error('docs/providers/grok-web.md has no YAML example with catalog:');
  return block;
})();

const fake = useFakeGrok();
let sb: RunningSwitchboard | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-grok-catalog-'));
});
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** The docs' YAML as a config file, with only the fake's addresses added to the provider. */
async function configFile(yaml: string): Promise<string> {
  const file = join(dir, 'config.yaml');
  await writeFile(file, `${yaml}    chatTransport: http\n    baseUrl: ${fake.grok.url}\n    assetsUrl: ${fake.grok.assetsUrl}\nstate: { driver: memory }\n`);
  return file;
}

const conversations = () => fake.grok.requests.filter((r) => r.endpoint === 'conversation');

describe('grok-web catalog', () => {
  it("regression: the docs' catalog example works: bare grok-3 uses the replaced entry, the added model answers, the defaults stay", async () => {
    sb = await startSwitchboard(undefined, { file: await configFile(DOCS_YAML), env: { GROK_COOKIES: GROK_SSO.basic } });
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });

    const r = await client.chat.completions.create({ model: 'grok-3', messages: [{ role: 'user', content: 'What is Python?' }] });
    expect(r.choices[0].message.content).toBe(grokReply('What is Python?'));
    expect(conversations()[0].body).toMatchObject({ modelName: 'grok-3', modelMode: 'MODEL_MODE_AUTO' });

    const added = await client.chat.completions.create({ model: 'grok-4.3-beta', messages: [{ role: 'user', content: 'new model' }] });
    expect(added.choices[0].message.content).toBe(grokReply('new model'));
    expect(conversations()[1].body).toMatchObject({ modeId: 'expert' });

    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['grok/grok-3', 'grok/grok-4.3-beta', 'grok/grok-4', 'grok/grok-4.20-0309']));
  });

  it('regression: a catalogue written under the core key models: is refused at start-up, pointing to catalog:', async () => {
    const wrong = DOCS_YAML.replace('catalog:', 'models:');
    const err = await prepare({ file: await configFile(wrong) }, { env: { GROK_COOKIES: GROK_SSO.basic } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    const lines = (err as StartupError).message.split('\n');
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^providers\[0\]\.models\[0\]\.dialect: unknown key; known: id, owned_by, created, aliases; .*catalog:/)]));
  });

  it('regression: a provider plugin may not declare an option the core takes from every provider entry', () => {
    const plugin = (properties: Record<string, unknown>) => ({ kind: 'provider', contractVersion: CONTRACT_VERSION, name: 'p', optionsSchema: { type: 'object', properties }, create() {} });
    expect(contractProblems(plugin({ models: { type: 'array' } }), 'provider')).toEqual([expect.stringMatching(/declares option "models".*core takes.*catalog/)]);
    expect(contractProblems(plugin({ timeouts: {} }), 'provider')).toEqual([expect.stringContaining('"timeouts"')]);
    expect(contractProblems(plugin({ catalog: { type: 'array' } }), 'provider')).toEqual([]);
  });
});
