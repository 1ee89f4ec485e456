/** The conformance kit on the anthropic provider, against the repo's fake Anthropic API. */
import anthropic from '../plugins/anthropic/index.js';
import { describeProvider } from '../core/testing/index.js';
import { FAKE_CLAUDE_MODELS } from './fakes/anthropic-upstream.js';
import { anthropicUpstream } from './helpers/kit-upstreams.js';

await describeProvider(anthropic, {
  model: FAKE_CLAUDE_MODELS[0],
  upstream: anthropicUpstream,
  options: (up) => ({ baseUrl: up!.url }),
  credentials: ['sk-ant-conformance-4d6e8f0a2b1c'],
  // message_start, content_block_start, then the first text delta: the cut comes after content.
  cutAfterFrames: 3,
});
