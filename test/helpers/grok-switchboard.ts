import OpenAI from 'openai';
import { afterEach } from 'vitest';
import type { ManualClock } from '../../core/state/clock.js';
import { GROK_SSO, type FakeGrok } from '../fakes/grok-web.js';
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
    async close(): Promise<void> {
      await sb?.close();
      sb = undefined;
    },
  };
}
