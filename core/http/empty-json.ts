import type { FastifyInstance } from 'fastify';
import { parseJsonBody } from './json-body.js';

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
      done(null, parseJsonBody(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
