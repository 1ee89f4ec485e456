/** The conformance kit on the openai-compatible provider, against the repo's fake OpenAI upstream. */
import openaiCompatible from '../plugins/openai-compatible/index.js';
import { describeProvider } from '../core/testing/index.js';
import { openaiUpstream } from './helpers/kit-upstreams.js';

await describeProvider(openaiCompatible, {
  model: 'gpt-4o-mini',
  upstream: openaiUpstream,
  options: (up) => ({ baseUrl: up!.url }),
  credentials: ['sk-conformance-openai-8c1d2e3f4a5b'],
});
