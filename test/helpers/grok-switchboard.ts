import OpenAI from 'openai';
import { afterEach } from 'vitest';
import type { ManualClock } from '../../core/state/clock.js';
import { GROK_SSO, type FakeGrok } from '../fakes/grok-web.js';
import { maskSecret } from '../../core/pool/credentials.js';
import { startSwitchboard, type RunningSwitchboard } from './switchboard.js';

/** A basic and a super account, the pool most grok-web tests serve from. */
export const GROK_ACCOUNTS = [
  { value: GROK_SSO.basic, tier: 'basic' },
  { value: GROK_SSO.super, tier: 'super' },
];

export interface GrokStartOptions {
  clock?: ManualClock;
  credentials?: unknown[];
}

/**
 * A Switchboard with one grok-web provider (`id: grok`) in front of the fake, over `transport`,
 * one attempt per account; closed after each test. `start(extra)` merges `extra` into the
 * provider and returns an openai client; `sb()` is the running Switchboard.
 */
export function useGrokSwitchboard(fake: { readonly grok: FakeGrok }, transport: 'websocket' | 'http') {
  let sb: RunningSwitchboard | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });
  return {
    async start(extra: Record<string, unknown> = {}, opts: GrokStartOptions = {}): Promise<OpenAI> {
      sb = await startSwitchboard(
        {
          providers: [
            {
              id: 'grok',
              plugin: 'grok-web',
              chatTransport: transport,
              baseUrl: fake.grok.url,
              assetsUrl: fake.grok.assetsUrl,
              credentials: opts.credentials ?? GROK_ACCOUNTS,
              retry: { attempts: 1 },
              ...extra,
            },
          ],
        },
        { clock: opts.clock },
      );
      return new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
    },
    sb(): RunningSwitchboard {
      if (!sb) throw new Error('no Switchboard started in this test');
      return sb;
    },
    /** One account of the provider's pool as the stats show it, by its sso. */
    view(sso: string) {
      return this.sb().app.switchboard.providers.get('grok')!.pool.snapshot().find((c) => c.id === maskSecret(sso))!;
    },
    async close(): Promise<void> {
      await sb?.close();
      sb = undefined;
    },
  };
}

/** One question asked twice of a thinking model on a client started with `thinking: inline`: as is, and with `reasoning_effort: none`. */
export async function askInlineAndQuiet(client: OpenAI, model: string, question: string): Promise<{ inline: string | null; quiet: string | null }> {
  const messages = [{ role: 'user' as const, content: question }];
  const inline = await client.chat.completions.create({ model, messages });
  const quiet = await client.chat.completions.create({ model, messages, reasoning_effort: 'none' as never });
  return { inline: inline.choices[0].message.content, quiet: quiet.choices[0].message.content };
}

/** The documented usage estimate (docs/providers/grok-web.md): a quarter of the characters, rounded up, at least 1. */
export const estimatedTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
