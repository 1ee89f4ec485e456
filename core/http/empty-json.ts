import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * For admin POSTs that need no body: scripts often send `Content-Type: application/json` with
 * none, which fastify refuses by default. Accept it as no body, in the calling plugin's scope only.
 */
export function acceptEmptyJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim();
    if (!text) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new GatewayError('SWB_ERR_INVALID_JSON', 'We could not parse the JSON body of your request: it is not valid JSON.'), undefined);
    }
  });
}
