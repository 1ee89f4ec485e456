import { CONTRACT_VERSION, defineExtension, selectProviders } from '../../core/index.js';
import { observedData } from './observed.js';

/** The window the adaptive estimate is per: requests per minute. */
const WINDOW_SECONDS = 60;

/**
 * `GET /v1/rate-limits/observed`, as the GitHub Models proxy's users know it: per model, the
 * adaptive requests-per-minute estimate (cut on 429s, raised after quiet minutes), the upstream's
 * advertised cap, and what each token was last told by the upstream's rate-limit headers. Behind
 * the admin key; `?provider=<id>` picks one provider.
 */
export default defineExtension({
  kind: 'extension',
  contractVersion: CONTRACT_VERSION,
  name: 'rate-limits',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  async register(app) {
    const { providers, guards, store } = app.switchboard;
    app.get('/v1/rate-limits/observed', { onRequest: guards.adminKey }, async (request) => {
      const handles = selectProviders(providers, request.query);
      await store.refresh?.(); // what every instance has learned, with several sharing state
      return { adaptive: true, window_seconds: WINDOW_SECONDS, data: observedData(handles) };
    });
  },
});
