import 'reflect-metadata';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config/types.js';
import type { Logger } from './contract/provider.js';
import type { Logger as PinoLogger } from 'pino';
import { composeServices } from './composition.js';
import { GatewayError, StartupError } from './errors/gateway-error.js';
import { extensionPlugin, routeGroup } from './http/route-group.js';
import { AccessLog } from './http/access-log.js';
import { installCors } from './http/cors.js';
import { createLogger } from './logging.js';
import { installErrorHandling, toGatewayError } from './http/error-handler.js';
import { installJsonBody } from './http/json-body.js';
import { ErrorFormats, MAX_PARAM_LENGTH, type ClientError } from './http/front-door.js';
import { chatRoutes } from './http/routes/chat.js';
import { completionRoutes } from './http/routes/completions.js';
import { embeddingRoutes } from './http/routes/embeddings.js';
import { imageRoutes } from './http/routes/images.js';
import { healthRoutes } from './http/routes/health.js';
import { fileRoutes } from './http/routes/files.js';
import { adminRoutes } from './http/routes/admin.js';
import { modelRoutes } from './http/routes/models.js';
import { responsesRoutes } from './http/routes/responses.js';
import { messagesRoutes } from './http/routes/messages.js';
import type { ResolvedPlugins } from './loader/resolve-plugins.js';
import { systemClock, type Clock } from './state/clock.js';

export interface BuildOptions {
  config: Config;
  plugins: ResolvedPlugins;
  /** A pino logger to use instead of one built from `server.logLevel` (tests capture logs this way). */
  logger?: FastifyBaseLogger;
  /** Time source for cooldowns and stats (tests pass a ManualClock). */
  clock?: Clock;
}

/** The start-up warning of a server with no client keys: what it risks, and how to open it up safely. */
function openAuthWarning(host: string): string {
  const open = 'auth.apiKeys is empty: Switchboard accepts requests without an API key';
  if (/^(127\.|localhost$|::1$|\[::1\]$)/.test(host)) {
    return `${open}, from this machine only (listening on ${host}). To serve other machines, set auth.apiKeys (e.g. SWITCHBOARD_API_KEY) and listen on all interfaces with HOST=0.0.0.0 or --host 0.0.0.0 (in Docker, set HOST)`;
  }
  return `${open}, from anyone who can reach ${host}: set auth.apiKeys (e.g. SWITCHBOARD_API_KEY), or listen on 127.0.0.1 only (HOST / --host)`;
}

/** Build the fastify app, without listening: tests use port 0 or `inject`, main.ts listens. */
export async function buildApp(opts: BuildOptions): Promise<FastifyInstance> {
  const { config } = opts;
  const errorFormats = new ErrorFormats();
  const app: FastifyInstance = Fastify({
    loggerInstance: opts.logger ?? createLogger(config.server),
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: lines about a request carry its reqId explicitly.
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.server.bodyLimit,
    trustProxy: config.server.trustProxy,
    keepAliveTimeout: 72_000,
    // While closing, requests still arriving on kept-alive sockets get our 503 envelope, not fastify's.
    return503OnClosing: false,
    // Image ids are short, but a parameter cut at fastify's default (100) would be a 414.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What fastify and Node answer before a route runs gets our envelope too (front-door.ts).
    frameworkErrors: errorFormats.framework,
    clientErrorHandler: (err, socket) => errorFormats.client(app.log, err as unknown as ClientError, socket),
    // Validation reports types as the client sent them: no coercion, no defaults, no stripping.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, allowUnionTypes: true } },
  });
  const services = await composeServices(config, opts.plugins, app.log as unknown as Logger, opts.clock ?? systemClock);
  services.errorFormats = errorFormats;
  const access = new AccessLog(app.log as unknown as PinoLogger);
  if (config.server.accessLog && access.enabled) services.accessLog = services.outcomes.access = access;
  app.decorate('switchboard', services);
  // Declared on the request's shape up front: the key guard sets it on every request.
  app.decorateRequest('client', undefined);
  app.decorateRequest('adminSession', undefined);
  if (!services.guards.apiKey) app.log.warn({ host: config.server.host }, openAuthWarning(config.server.host));

  installErrorHandling(app);
  installJsonBody(app);
  await installCors(app, config.server.cors, services.guards.adminKey);
  await app.register(routeGroup('health', healthRoutes));
  await app.register(routeGroup('files', fileRoutes));
  await app.register(routeGroup('admin', adminRoutes));
  await app.register(routeGroup('v1', async (v1) => {
    // One hook, not two: each hook is a step on every request.
    const apiKey = services.guards.apiKey;
    v1.addHook('onRequest', function admit(request, reply, done) {
      if (!services.ready) done(new GatewayError('SWB_ERR_NOT_READY', 'Switchboard is shutting down; retry on another instance.'));
      else if (apiKey) apiKey.call(this, request, reply, done);
      else done();
    });
    // A model request refused before the chat path saw it (key, body, model) still has an
    // outcome; the POST routes here are the model routes. The chat path tells its own failures.
    v1.addHook('onError', (request, reply, err, done) => {
      if (request.method === 'POST') {
        const model = (request.body as { model?: unknown } | undefined)?.model;
        const start = Date.now() - Math.round(reply.elapsedTime);
        services.outcomes.failed(request, request.routeOptions.url ?? 'unmatched', start, typeof model === 'string' ? model : '', toGatewayError(err).status);
      }
      done();
    });
    await v1.register(routeGroup('chat', chatRoutes));
    await v1.register(routeGroup('completions', completionRoutes));
    await v1.register(routeGroup('embeddings', embeddingRoutes));
    await v1.register(routeGroup('images', imageRoutes));
    await v1.register(routeGroup('models', modelRoutes));
    await v1.register(routeGroup('responses', responsesRoutes));
    await v1.register(routeGroup('messages', messagesRoutes));
  }));
  for (const { plugin, config: ext } of opts.plugins.extensions) {
    try {
      await app.register(extensionPlugin(plugin), ext.options);
    } catch (err) {
      // A missing dependency, or the extension's own register() failing: name the config entry.
      throw new StartupError('SWB_ERR_PLUGIN_LOAD', `plugins.${ext.name}: extension "${plugin.name}" failed to register: ${(err as Error).message}`);
    }
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
    await services.adminSessions.close();
    await services.providers.close();
    await services.store.close();
    await services.container.dispose();
  });
  return app;
}
