#!/usr/bin/env node
import './v8-flags.js';
import 'reflect-metadata';
import { buildApp } from './app.js';
import { configFile, parseCli, USAGE } from './cli-args.js';
import { configWarnings } from './config/warnings.js';
import { StartupError } from './errors/gateway-error.js';
import { drainThenClose } from './shutdown.js';
import { BUNDLED_CONFIG, prepare } from './startup.js';
import { switchboardVersion } from './version.js';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2), process.env);
  if (cli.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (cli.version) {
    process.stdout.write(`switchboard ${switchboardVersion()}\n`);
    return;
  }
  const config = configFile(cli.configPath, process.cwd(), BUNDLED_CONFIG);
  if (config.bundled) {
    process.stderr.write(
      `switchboard: no --config, SWITCHBOARD_CONFIG or ./config.yaml: using the bundled ${config.path}; its relative paths resolve against ${process.cwd()}\n`,
    );
  }
  const prepared = await prepare({ file: config.path }, { overrides: { host: cli.host, port: cli.port, logLevel: cli.logLevel, trustProxy: cli.trustProxy } });
  if (cli.check) {
    process.stdout.write(`${prepared.config.path}: OK (${prepared.plugins.providers.length} providers, ${prepared.config.models.length} model routes)\n`);
    for (const w of configWarnings(prepared.config)) process.stderr.write(`switchboard: warning: ${w}\n`);
    return;
  }
  const app = await buildApp(prepared);
  const { host, port } = prepared.config.server;
  try {
    await app.listen({ host, port });
  } catch (err) {
    throw new StartupError('SWB_ERR_LISTEN', `cannot listen on ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  app.log.info(
    { config: prepared.config.path, bundledConfig: config.bundled, providers: prepared.plugins.providers.map((p) => p.config.id), routes: prepared.config.models.length },
    `Switchboard serving the OpenAI API at http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${(app.server.address() as { port: number }).port}/v1`,
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    drainThenClose(app, signal, prepared.config.server.shutdownGraceMs).then(
      () => process.exit(0),
      (err: Error) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  // SIGHUP: read the config file again (as POST /v1/admin/reload does).
  process.on('SIGHUP', () => {
    app.switchboard.admin.reload().then(
      () => undefined,
      (err: Error) => app.log.error({ err: err.message }, 'config reload failed: keeping the running config'),
    );
  });
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof StartupError) {
    process.stderr.write(`switchboard: ${err.message}\n`);
  } else if (err instanceof Error && /^(invalid port|invalid log level|invalid SWITCHBOARD_|Unknown option|Option)/.test(err.message)) {
    process.stderr.write(`switchboard: ${err.message}\n\n${USAGE}`);
  } else {
    process.stderr.write(`switchboard: failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
