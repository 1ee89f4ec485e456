/**
 * `GET /v1/models` answers in Anthropic's shape when asked with `anthropic-version`, so its
 * errors do too: a wrong key is Anthropic's `authentication_error` the SDK types as
 * AuthenticationError, and OpenAI's clients (no such header) keep OpenAI's envelope.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { upstreamConfig } from './helpers/switchboard.js';

const fake = useFakeOpenAI();
const sbs = useSwitchboards();

const start = () => sbs.start(upstreamConfig(fake.up.url));

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail('expected a rejection'), (e: unknown) => e);
}

describe("GET /v1/models errors with anthropic-version are in Anthropic's envelope", () => {
  it('models.list() with a wrong key is an AuthenticationError', async () => {
    const sb = await start();
    const client = new Anthropic({ baseURL: sb.origin, apiKey: 'sk-wrong', maxRetries: 0 });
    const e = await failure(client.models.list());
    expect(e).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((e as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'Incorrect API key provided.' } });
  });

  it('models.retrieve() of an unknown id is a NotFoundError', async () => {
    const sb = await start();
    const client = new Anthropic({ baseURL: sb.origin, apiKey: 'sk-test-client', maxRetries: 0 });
    const e = await failure(client.models.retrieve('claude-nonexistent'));
    expect(e).toBeInstanceOf(Anthropic.NotFoundError);
    expect((e as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error', message: expect.stringContaining('claude-nonexistent') } });
  });

  it('the raw bodies: no key and a wrong key, on the list and on one model', async () => {
    const sb = await start();
    for (const path of ['/v1/models', '/v1/models/gpt-4o-mini']) {
      for (const key of [undefined, 'sk-wrong']) {
        const headers: Record<string, string> = { 'anthropic-version': '2023-06-01' };
        if (key) headers['x-api-key'] = key;
        const res = await fetch(`${sb.origin}${path}`, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await res.json()) as { type: string; error: { type: string; message: string } };
        expect(body).toEqual({ type: 'error', error: { type: 'authentication_error', message: expect.any(String) } });
      }
    }
  });

  it('a malformed URL, refused before any route runs, follows the header too', async () => {
    const sb = await start();
    const asAnthropic = await fetch(`${sb.origin}/v1/models/%E0%A4%A`, { headers: { 'x-api-key': 'sk-test-client', 'anthropic-version': '2023-06-01' } });
    expect(asAnthropic.status).toBe(400);
    expect(await asAnthropic.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('percent-encoding') } });
    const asOpenAI = await fetch(`${sb.origin}/v1/models/%E0%A4%A`, { headers: { authorization: 'Bearer sk-test-client' } });
    expect(asOpenAI.status).toBe(400);
    expect(await asOpenAI.json()).toMatchObject({ error: { message: expect.stringContaining('percent-encoding'), type: 'invalid_request_error' } });
  });

  it("without anthropic-version the errors stay in OpenAI's envelope", async () => {
    const sb = await start();
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
    const e = await failure(client.models.list());
    expect(e).toBeInstanceOf(OpenAI.AuthenticationError);
    const res = await fetch(`${sb.origin}/v1/models/nope`, { headers: { authorization: 'Bearer sk-test-client' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('nope'), type: 'invalid_request_error' } });
  });
});
