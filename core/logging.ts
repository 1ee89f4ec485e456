import { pino, type Logger as PinoLogger } from 'pino';
import type { ServerConfig } from './config/types.js';

/** Never let a credential or client key reach a log line through a logged request. */
const REDACT = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-admin-key"]', 'req.headers.cookie'];

/**
 * The process logger: JSON lines on stdout, written asynchronously. A synchronous write per
 * access-log line would put a blocking syscall on every request; sonic-boom instead queues lines
 * while a write is in flight and sends them together, and is flushed when the process exits.
 */
export function createLogger(server: Pick<ServerConfig, 'logLevel'>): PinoLogger {
  const destination = pino.destination({ dest: 1, sync: false });
  process.once('exit', () => {
    try {
      destination.flushSync();
    } catch {
      // stdout already gone: nothing left to save
    }
  });
  return pino({ level: server.logLevel, redact: REDACT }, destination);
}
