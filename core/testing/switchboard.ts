/**
 * A real Switchboard in this process, on a loopback port, serving one provider plugin given as an
 * object: the conformance checks go through its real routes, dispatch, pools and timeouts. Every
 * log line is captured (for the secrets check), and start-up errors come back as thrown.
 */
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../app.js';
import { prepare } from '../startup.js';
import type { ProviderHandle } from '../providers/registry.js';

/** The name the plugin is registered under: the config's `plugin:` value. */
export const PLUGIN_UNDER_TEST = 'plugin-under-test';
/** The provider's id in the config. */
export const PROVIDER_ID = 'conformance';
/** The client key the kit's Switchboard requires. */
export const CLIENT_KEY = 'sk-conformance-client-key';

export interface KitSwitchboard {
  origin: string;
  app: FastifyInstance;
  handle: ProviderHandle;
  /** Every log line so far, as written. */
  logText(): string;
  close(): Promise<void>;
}

/** The config of one provider entry `entry` (its `plugin` and `id` are set here). */
export function kitConfig(entry: Record<string, unknown>): Record<string, unknown> {
  return {
    server: { logLevel: 'debug' },
    auth: { apiKeys: [CLIENT_KEY] },
    state: { driver: 'memory' },
    providers: [{ id: PROVIDER_ID, plugin: PLUGIN_UNDER_TEST, ...entry }],
  };
}

/** Only validate the config with the plugin (throws the StartupError a user would see). */
export async function prepareWith(plugin: unknown, raw: Record<string, unknown>) {
  return prepare({ raw, dir: process.cwd() }, { env: {}, plugins: { [PLUGIN_UNDER_TEST]: plugin } });
}

export async function startKitSwitchboard(plugin: unknown, entry: Record<string, unknown>): Promise<KitSwitchboard> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  const prepared = await prepareWith(plugin, kitConfig(entry));
  const app = await buildApp({ ...prepared, logger: pino({ level: 'debug' }, sink) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const handle = app.switchboard.providers.get(PROVIDER_ID);
  if (!handle) throw new Error(`provider "${PROVIDER_ID}" did not start`);
  return {
    origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    app,
    handle,
    logText: () => lines.join(''),
    close: () => app.close(),
  };
}
