import 'reflect-metadata';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { container as rootContainer, instanceCachingFactory } from 'tsyringe';
import type { Config } from './config/types.js';
import type { Logger } from './contract/provider.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { GatewayError } from './errors/gateway-error.js';
import type { Logger as PinoLogger } from 'pino';
import { AccessLog } from './http/access-log.js';
import { keyGuard } from './http/auth.js';
import { createLogger } from './logging.js';
import { installErrorHandling } from './http/error-handler.js';
import { chatRoutes } from './http/routes/chat.js';
import { completionRoutes } from './http/routes/completions.js';
import { embeddingRoutes } from './http/routes/embeddings.js';
import { healthRoutes } from './http/routes/health.js';
import { modelRoutes } from './http/routes/models.js';
import type { SwitchboardServices } from './http/services.js';
import type { ResolvedPlugins } from './loader/resolve-plugins.js';
import { ModelCatalog } from './routing/model-catalog.js';
import { createProviders } from './routing/provider-registry.js';
import { ModelRouter } from './routing/router.js';
import { CONFIG, DISPATCHER, LOGGER, MODEL_CATALOG, MODEL_ROUTER, PROVIDERS } from './tokens.js';

export interface BuildOptions {
  config: Config;
  plugins: ResolvedPlugins;
  /** A pino logger to use instead of one built from `server.logLevel` (tests capture logs this way). */
  logger?: FastifyBaseLogger;
}

/**
 * Build the fastify app (without listening): the composition root. Everything the process
 * shares lives in a child container of tsyringe's root, so two apps in one process (tests) never
 * see each other's services.
 */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const app = Fastify({
    loggerInstance: opts.logger ?? createLogger(config.server),
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: lines about a request carry its reqId explicitly.
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.server.bodyLimit,
    trustProxy: config.server.trustProxy,
    keepAliveTimeout: 72_000,
    // Validation reports types as the client sent them: no coercion, no defaults, no stripping.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, allowUnionTypes: true } },
  });
  const log = app.log as unknown as Logger;

  const container = rootContainer.createChildContainer();
  container.register(CONFIG, { useValue: config });
  container.register(LOGGER, { useValue: log });
  container.register(PROVIDERS, { useValue: await createProviders(opts.plugins.providers, log, config.dir) });
  container.register(MODEL_CATALOG, { useFactory: instanceCachingFactory((c) => new ModelCatalog(c.resolve(PROVIDERS))) });
  container.register(MODEL_ROUTER, {
    useFactory: instanceCachingFactory((c) => new ModelRouter(config.models, c.resolve(PROVIDERS), c.resolve(MODEL_CATALOG))),
  });
  container.register(DISPATCHER, {
    useFactory: instanceCachingFactory((c) => new Dispatcher(c.resolve(MODEL_ROUTER), c.resolve(PROVIDERS), log)),
  });

  const services: SwitchboardServices = {
    container,
    config,
    providers: container.resolve(PROVIDERS),
    catalog: container.resolve(MODEL_CATALOG),
    router: container.resolve(MODEL_ROUTER),
    dispatcher: container.resolve(DISPATCHER),
    accessLog: undefined,
    guards: {
      apiKey: config.auth.apiKeys.length ? keyGuard(config.auth.apiKeys) : undefined,
      adminKey: config.auth.adminKey
        ? keyGuard([config.auth.adminKey], { header: 'x-admin-key', what: 'admin key' })
        : (_req, _reply, done) => done(new GatewayError('SWB_ERR_INVALID_API_KEY', 'Admin endpoints are disabled: set auth.adminKey to enable them.')),
    },
    ready: false,
  };
  const access = new AccessLog(app.log as unknown as PinoLogger);
  if (config.server.accessLog && access.enabled) services.accessLog = access;
  app.decorate('switchboard', services);
  if (!services.guards.apiKey) app.log.warn('auth.apiKeys is empty: Switchboard accepts requests without an API key');

  installErrorHandling(app);
  await app.register(healthRoutes);
  await app.register(async (v1) => {
    if (services.guards.apiKey) v1.addHook('onRequest', services.guards.apiKey);
    await v1.register(chatRoutes);
    await v1.register(completionRoutes);
    await v1.register(embeddingRoutes);
    await v1.register(modelRoutes);
  });
  for (const { plugin, config: ext } of opts.plugins.extensions) {
    await app.register(plugin.register, ext.options);
  }

  app.addHook('onReady', async () => {
    services.catalog.warm();
    services.ready = true;
  });
  app.addHook('preClose', async () => {
    services.ready = false;
  });
  app.addHook('onClose', async () => {
    access.flush();
    await services.providers.close();
    await container.dispose();
  });
  return app;
}
