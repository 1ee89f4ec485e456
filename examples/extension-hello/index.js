// @ts-check
/**
 * An extension plugin in plain JavaScript: `GET /v1/hello?name=Ada` answers
 * `{"message": "Hello, Ada!", "providers": [...]}`, behind the client keys like the rest of /v1.
 * Types come from the `switchboard` package (JSDoc), checked by `// @ts-check` in an editor.
 */
import { CONTRACT_VERSION, GatewayError, defineExtension } from 'switchboard';

/**
 * The options under `plugins: { switchboard-extension-hello: { greeting: Hi } }`.
 * @typedef {{ greeting: string }} HelloOptions
 */

/** @type {import('switchboard').ExtensionPlugin<HelloOptions>} */
const plugin = {
  kind: 'extension',
  contractVersion: CONTRACT_VERSION,
  name: 'extension-hello',
  optionsSchema: {
    type: 'object',
    properties: { greeting: { type: 'string', minLength: 1, default: 'Hello' } },
    additionalProperties: false,
  },
  async register(app, opts) {
    const services = app.switchboard;
    // The client-key check /v1 uses (undefined when the server runs without keys).
    const apiKey = services.guards.apiKey;
    if (apiKey) app.addHook('onRequest', apiKey);

    app.get('/v1/hello', async (request) => {
      const { name = 'world' } = /** @type {{ name?: unknown }} */ (request.query);
      if (typeof name !== 'string' || name.length > 100) {
        throw new GatewayError('SWB_ERR_BAD_REQUEST', 'name must be a string of at most 100 characters', { param: 'name' });
      }
      return {
        message: `${opts.greeting}, ${name}!`,
        providers: services.providers.handles.map((h) => h.id),
      };
    });
  },
};

export default defineExtension(plugin);
