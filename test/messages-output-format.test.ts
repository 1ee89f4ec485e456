/**
 * Structured outputs on POST /v1/messages (`output_config.format`, and the beta's `output_format`):
 * the upstream is asked for JSON matching the schema, so the answer parses.
 */
import Anthropic from '@anthropic-ai/sdk';
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { upstreamConfig } from './helpers/switchboard.js';

const fake = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
const sbs = useSwitchboards();

async function start(): Promise<{ client: Anthropic; origin: string }> {
  const sb = await sbs.start(upstreamConfig(fake.up.url, { models: { 'claude-sonnet-4-5': 'up/gpt-4o-mini' } }));
  return { client: new Anthropic({ baseURL: sb.origin, apiKey: 'sk-test-client', maxRetries: 0 }), origin: sb.origin };
}

const person = z.object({ name: z.string(), born: z.number() });

describe('structured outputs', () => {
  it('regression: output_config.format reaches the upstream as response_format json_schema, and messages.parse parses the answer', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'ok', text: '{"name":"Ada Lovelace","born":1815}' });
    const format = zodOutputFormat(person);
    const m = await client.messages.parse({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: 'Who wrote the first program?' }], output_config: { format } });
    expect(m.parsed_output).toEqual({ name: 'Ada Lovelace', born: 1815 });
    expect(fake.up.requests.at(-1)!.body!.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema: format.schema } });
  });

  it('the beta name output_format is read the same; a format that is not json_schema is a 400 naming the field', async () => {
    const { client, origin } = await start();
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } } };
    const ask = (extra: Record<string, unknown>) =>
      fetch(`${origin}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': 'sk-test-client', 'anthropic-version': '2023-06-01', 'anthropic-beta': 'structured-outputs-2025-11-13', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'ok?' }], ...extra }),
      });
    expect((await ask({ output_format: { type: 'json_schema', schema } })).status).toBe(200);
    expect(fake.up.requests.at(-1)!.body!.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema } });
    const posts = fake.up.requests.length;
    const bad = await ask({ output_config: { format: { type: 'xml', schema } } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('output_config.format.type') } });
    expect(fake.up.requests.length).toBe(posts);
    // without a format nothing is asked of the upstream
    await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'free text' }], output_config: { format: null } });
    expect(fake.up.requests.at(-1)!.body).not.toHaveProperty('response_format');
  });
});
