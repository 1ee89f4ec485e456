import { open } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors/gateway-error.js';
import { IMAGE_PATH } from '../../files/image-files.js';

/**
 * Images providers cached for their clients. No API key: the links go into answers that clients
 * show in browsers and markdown viewers, and the ids are 128 random bits, so knowing one is the
 * permission.
 */
export async function fileRoutes(app: FastifyInstance): Promise<void> {
  const { images } = app.switchboard;
  app.get<{ Params: { id: string } }>(`${IMAGE_PATH}:id`, async (request, reply) => {
    const { id } = request.params;
    const found = images.find(id);
    const handle = found && (await open(found.image.file, 'r').catch(() => undefined));
    if (!found || !handle) {
      if (found) found.cache.forget(id); // the file went missing under us
      throw new GatewayError('SWB_ERR_FILE_NOT_FOUND', `No image with id ${JSON.stringify(id)}: it never existed or was evicted from the cache.`, { param: 'id' });
    }
    return reply
      .header('content-type', found.image.contentType)
      .header('content-length', found.image.size)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(handle.createReadStream());
  });
}
