/**
 * The conformance kit on the github-models provider, against the repo's fake of the (retired since
 * 2026-07-30) service's protocol: the plugin stays, and so do its guarantees.
 */
import githubModels from '../plugins/github-models/index.js';
import { describeProvider } from '../core/testing/index.js';
import { githubUpstream } from './helpers/kit-upstreams.js';

await describeProvider(githubModels, {
  model: 'openai/gpt-4o-mini',
  upstream: githubUpstream,
  options: (up) => ({ baseUrl: up!.url, catalogUrl: `${new URL(up!.url).origin}/catalog/models` }),
  credentials: ['ghp_conformance0123456789abcdefABCDEF'],
  // GitHub refuses a token a model with 403 no_access: that model, not the token (docs/providers/github-models.md).
  kinds: { 'status-403': 'credential_model_denied' },
  // The plugin's defaults throttle 2 s per token and model; the checks run back to back.
  entry: { throttle: { minIntervalMs: 0 } },
  skip: {
    'rate-limit': 'GitHub Models states the wait on every 429; the fake, built to its reference, has no 429 without one',
    'fold-tools': 'the fake GitHub Models answers text only',
  },
});
