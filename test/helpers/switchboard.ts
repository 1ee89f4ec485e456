import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../core/app.js';
import { prepare } from '../../core/startup.js';
import type { Clock } from '../../core/state/clock.js';

/**
 * Provider keys for tests about one attempt's outcome (error mapping, failover between targets):
 * no retry, no breaker tripping and no sitting out across the file's tests. The resilience tests
 * exercise the defaults.
 */
export const ONE_ATTEMPT = {
  retry: { attempts: 1 },
  breaker: { consecutiveFailures: 1000 },
  cooldowns: { transientSkipRequests: 0 },
} as const;

export interface LogLine {
  level: number;
  msg?: string;
  [field: string]: unknown;
}

export interface RunningSwitchboard {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** `http://127.0.0.1:<port>/v1`, what an OpenAI client takes as baseURL */
  baseURL: string;
  app: FastifyInstance;
  /** Every log line, parsed. */
  logs: LogLine[];
  /** All log output as one string, for "never contains" assertions. */
  logText(): string;
  close(): Promise<void>;
}

/**
 * Start a real Switchboard on a loopback port from a config object (or, with `file`, from that
 * config file, which it can then reload), capturing its logs.
 */
export async function startSwitchboard(raw: unknown, opts: { env?: NodeJS.ProcessEnv; dir?: string; clock?: Clock; file?: string } = {}): Promise<RunningSwitchboard> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  // Tests keep state in memory unless they ask for a file.
  const withState = raw && typeof raw === 'object' && !('state' in raw) ? { ...raw, state: { driver: 'memory' } } : raw;
  const source = opts.file ? { file: opts.file } : { raw: withState, dir: opts.dir ?? process.cwd() };
  const prepared = await prepare(source, { env: opts.env ?? {} });
  const app = await buildApp({ ...prepared, logger, clock: opts.clock });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    baseURL: `http://127.0.0.1:${port}/v1`,
    app,
    get logs() {
      return lines.map((l) => JSON.parse(l) as LogLine);
    },
    logText: () => lines.join('\n'),
    close: () => app.close(),
  };
}

/** A config with one openai-compatible provider in front of `upstreamUrl`. */
export function upstreamConfig(upstreamUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth: { apiKeys: ['sk-test-client'] },
    providers: [{ id: 'up', plugin: 'openai-compatible', baseUrl: upstreamUrl, apiKey: 'sk-upstream-secret-0123456789', timeouts: { firstByteMs: 2000, idleMs: 2000, totalMs: 10000 }, ...ONE_ATTEMPT }],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
    ...extra,
  };
}
