// @ts-check
/**
 * The Switchboard conformance suite on this provider, against the fake Ollama. It runs under
 * vitest (`npm test`) and under node:test (`node --test test/conformance.test.js`) alike:
 * describeProvider registers its checks with whichever runner loads the file.
 */
import { describeProvider } from 'switchboard/testing';
import ollama from '../index.js';
import { OLLAMA_MODEL, startFakeOllama } from './fake-ollama.js';

await describeProvider(ollama, {
  model: OLLAMA_MODEL,
  upstream: startFakeOllama,
  options: (up) => ({ baseUrl: /** @type {NonNullable<typeof up>} */ (up).url }),
  // Ollama needs no key; this one stands for a proxy's, to prove it never leaks.
  credentials: ['sk-ollama-proxy-0b7e41c9d2f8'],
  // The options check starts with a bad baseUrl (the first typed key) and expects providers[0].baseUrl in the error.
});
