import type { FastifyReply, FastifyRequest } from 'fastify';
import { CONTRACT_VERSION, GatewayError, defineExtension } from '../../core/index.js';
import { ask } from './ask.js';
import { acceptText, plainTextErrors, TEXT } from './plain-text.js';
import { readQuestion } from './prompt.js';
import { optionsSchema, settingsOf, type StringEndpointOptions } from './settings.js';

/**
 * `GET /v1/string?q=<prompt>` and `POST /v1/string` (the prompt as the raw body): one question to
 * any model, the answer as `text/plain; charset=utf-8` and nothing else — for shell scripts,
 * `curl`, spreadsheets and other callers that do not want to speak JSON. `?model=<id>` picks the
 * model, else the configured default. Behind the same client keys as `/v1`; errors are plain
 * text with their status too.
 */
export default defineExtension<StringEndpointOptions>({
  kind: 'extension',
  contractVersion: CONTRACT_VERSION,
  name: 'string-endpoint',
  optionsSchema,
  async register(app, opts) {
    const settings = settingsOf(opts);
    const services = app.switchboard;
    const apiKey = services.guards.apiKey;

    acceptText(app);
    plainTextErrors(app);
    // Errors answered before a route runs (headers too large, a body cut short) are plain text here too.
    services.errorFormats?.add('/v1/string', (e) => ({ contentType: TEXT, body: e.message }));
    // One hook, as on /v1: refuse while not ready, then the client key when keys are configured.
    app.addHook('onRequest', function admit(request, reply, done) {
      if (!services.ready) done(new GatewayError('SWB_ERR_NOT_READY', 'Switchboard is shutting down; retry on another instance.'));
      else if (apiKey) apiKey.call(this, request, reply, done);
      else done();
    });

    const answer = async (request: FastifyRequest, reply: FastifyReply) => {
      const text = await ask(app, request, reply, readQuestion(request, settings), settings.system);
      if (text === undefined) return reply; // shutdown answered it
      return reply.code(200).type(TEXT).send(text);
    };
    // No automatic HEAD route: a HEAD would ask the model and throw the answer away.
    app.get('/v1/string', { exposeHeadRoute: false }, answer);
    app.post('/v1/string', answer);
  },
});
