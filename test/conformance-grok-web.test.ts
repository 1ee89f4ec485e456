/**
 * The conformance kit on the grok-web provider over its WebSocket chat gateway, against the fake
 * grok.com (test/fakes/grok-gateway.ts) adapted to the kit's upstream interface.
 */
import grokWeb from '../plugins/grok-web/index.js';
import { describeProvider } from '../core/testing/index.js';
import { GROK_SSO } from './fakes/grok-web.js';
import { grokUpstream } from './helpers/kit-upstreams.js';

await describeProvider(grokWeb, {
  model: 'grok-3',
  upstream: grokUpstream,
  options: (up) => ({ baseUrl: up!.url, assetsUrl: (up as Awaited<ReturnType<typeof grokUpstream>>).assetsUrl, chatTransport: 'websocket' }),
  credentials: [{ value: GROK_SSO.basic, tier: 'basic' }],
  // Grok's plain 403 (no credential marker) is not proof the account is dead: it counts softly (plugins/grok-web/classify.ts).
  kinds: { 'status-403': 'transient' },
  // The two session frames come first: cut after them and two answer chunks.
  cutAfterFrames: 4,
  skip: { 'fold-tools': "grok.com's web chat has no client tool calls" },
});
