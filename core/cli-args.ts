import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_LEVELS } from './config/schema.js';

export interface CliOptions {
  /** `--config` or `SWITCHBOARD_CONFIG`; undefined when neither names a file (see configFile). */
  configPath?: string;
  host?: string;
  port?: number;
  logLevel?: string;
  /** `--trust-proxy` or `SWITCHBOARD_TRUST_PROXY` (behind nginx or a TLS terminator); undefined: the config's. */
  trustProxy?: boolean;
  check: boolean;
  help: boolean;
  version: boolean;
}

export const USAGE = `Usage: switchboard [--config FILE] [--host HOST] [--port PORT] [--log-level LEVEL] [--check] [--version]

  --config FILE, -c   config file (env SWITCHBOARD_CONFIG; default ./config.yaml, else the bundled one)
  --host HOST         listen address (env HOST, or GROK_SERVER_HOST; default server.host)
  --port PORT, -p     listen port (env PORT, or GROK_SERVER_PORT; default server.port)
  --log-level LEVEL   ${LOG_LEVELS.join(', ')} (env LOG_LEVEL; default server.logLevel)
  --trust-proxy       read the client's address and https from X-Forwarded-* (env SWITCHBOARD_TRUST_PROXY=true|false; default server.trustProxy)
  --check             validate the config and its plugins, then exit
  --version, -v       print the version, then exit
  --help, -h          print this, then exit

The bundled config is env-driven: HOST, PORT, SWITCHBOARD_API_KEY, SWITCHBOARD_ADMIN_KEY,
SWITCHBOARD_DATA_DIR (default ./data), SWITCHBOARD_STATE_DRIVER (file, memory, redis), REDIS_URL.
`;

/**
 * The config file to read: the one named (`--config`, `SWITCHBOARD_CONFIG`), else `config.yaml`
 * in the working directory, else the bundled one (`bundled: true`, so the caller can say so).
 */
export function configFile(named: string | undefined, cwd: string, bundled: string, exists: (f: string) => boolean = existsSync): { path: string; bundled: boolean } {
  if (named !== undefined) return { path: named, bundled: false };
  const local = join(cwd, 'config.yaml');
  if (exists(local)) return { path: local, bundled: false };
  return { path: bundled, bundled: true };
}

/**
 * Flags beat environment variables, which beat the config file. `GROK_SERVER_HOST` and
 * `GROK_SERVER_PORT` are what the Grok3API server read; its users' setups keep working.
 */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'log-level': { type: 'string' },
      'trust-proxy': { type: 'boolean' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
    },
    strict: true,
  });
  const portEnv = env.PORT ? 'PORT' : env.GROK_SERVER_PORT ? 'GROK_SERVER_PORT' : undefined;
  const portText = values.port ?? (portEnv ? env[portEnv] : undefined);
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`invalid port ${JSON.stringify(portText)} (from ${values.port !== undefined ? '--port' : portEnv}): expected 0-65535`);
    }
  }
  const logLevel = values['log-level'] ?? (env.LOG_LEVEL || undefined);
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`invalid log level ${JSON.stringify(logLevel)} (from ${values['log-level'] !== undefined ? '--log-level' : 'LOG_LEVEL'}): expected one of ${LOG_LEVELS.join(', ')}`);
  }
  const trustProxy = values['trust-proxy'] ?? booleanEnv(env, 'SWITCHBOARD_TRUST_PROXY');
  return {
    configPath: values.config ?? (env.SWITCHBOARD_CONFIG || undefined),
    host: values.host ?? (env.HOST || env.GROK_SERVER_HOST || undefined),
    port,
    logLevel,
    trustProxy,
    check: values.check ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** A yes/no environment variable; unset or empty is undefined, anything else unclear is an error naming it. */
function booleanEnv(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const text = env[name]?.trim().toLowerCase();
  if (!text) return undefined;
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new Error(`invalid ${name} ${JSON.stringify(env[name])}: expected true or false`);
}
