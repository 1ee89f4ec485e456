import { parseArgs } from 'node:util';

export interface CliOptions {
  configPath: string;
  host?: string;
  port?: number;
  check: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm start -- [--config FILE] [--host HOST] [--port PORT] [--check]

  --config FILE   config file (env SWITCHBOARD_CONFIG; default ./config.yaml)
  --host HOST     listen address (env HOST, or GROK_SERVER_HOST; default server.host)
  --port PORT     listen port (env PORT, or GROK_SERVER_PORT; default server.port)
  --check         validate the config and its plugins, then exit
`;

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
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
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
  return {
    configPath: values.config ?? (env.SWITCHBOARD_CONFIG || 'config.yaml'),
    host: values.host ?? (env.HOST || env.GROK_SERVER_HOST || undefined),
    port,
    check: values.check ?? false,
    help: values.help ?? false,
  };
}
