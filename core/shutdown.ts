import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';

/** How long the last bytes of the ended requests may take to leave: a client that stopped reading is cut then. */
const LAST_WRITE_MS = 1000;

/**
 * A graceful stop. The listener stays open while the chat requests in flight finish, so a load
 * balancer sees `/readyz` answer 503 (and new `/v1` requests get a 503 envelope) rather than a
 * vanished port. When they are done, or the grace period is over, streams still open get a final
 * `server_shutting_down` event and a clean end, chat requests still waiting a 503 with that code;
 * then the app closes (state flushed, providers stopped). Any other request still open at the end
 * of the grace (embeddings, images, plugin endpoints) has its connection closed.
 */
export async function drainThenClose(app: FastifyInstance, signal: string, graceMs: number): Promise<void> {
  const sb = app.switchboard;
  sb.ready = false;
  app.log.info({ signal, inFlight: sb.drain.size, graceMs }, 'shutting down: finishing the requests in flight');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
  });
  const finished = await Promise.race([sb.drain.idle().then(() => true), graceOver.then(() => false)]);
  if (!finished) {
    const stopping = sb.drain.stopAll();
    app.log.warn({ ended: sb.drain.size }, 'grace period over: requests still open ended with server_shutting_down');
    await Promise.race([stopping, delay(LAST_WRITE_MS)]);
    app.server.closeAllConnections();
  } else {
    void graceOver.then(() => app.server.closeAllConnections());
  }
  await app.close();
  clearTimeout(timer);
}
