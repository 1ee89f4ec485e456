import { container as rootContainer, instanceCachingFactory, type DependencyContainer } from 'tsyringe';
import type { Config } from './config/types.js';
import type { Logger } from './contract/provider.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { keyGuard } from './http/auth.js';
import type { SwitchboardServices } from './http/services.js';
import type { ResolvedPlugins } from './loader/resolve-plugins.js';
import { ModelCatalog } from './routing/model-catalog.js';
import { createProviders } from './providers/create.js';
import { ModelRouter } from './routing/router.js';
import type { Clock } from './state/clock.js';
import { openStateStore } from './state/open-store.js';
import { QuotaRefresh } from './admin/quota-refresh.js';
import { ImageFiles } from './files/image-files.js';
import { Drain } from './http/drain.js';
import { ChatResponder } from './http/chat-responder.js';
import { RequestOutcomes } from './http/request-outcomes.js';
import { AdminSessions } from './admin/sessions.js';
import { adminGuard } from './http/admin-guard.js';
import { ModelLabels } from './routing/model-labels.js';
import { UsageLedger } from './admin/usage.js';
import { AdminActions } from './admin/admin-actions.js';
import { prepare } from './startup.js';
import { CLOCK, CONFIG, DISPATCHER, LOGGER, MODEL_CATALOG, MODEL_ROUTER, PROVIDERS, STATE_STORE } from './tokens.js';

/**
 * The composition root: every core service, wired in a child container of tsyringe's root so two
 * apps in one process (tests) never share one. Explicit tokens and factories only: no decorator
 * metadata, which esbuild does not emit.
 */
export async function composeServices(config: Config, plugins: ResolvedPlugins, log: Logger, clock: Clock): Promise<SwitchboardServices> {
  const container: DependencyContainer = rootContainer.createChildContainer();
  const store = await openStateStore(config.state, log);
  const images = new ImageFiles(log);
  container.register(CONFIG, { useValue: config });
  container.register(LOGGER, { useValue: log });
  container.register(CLOCK, { useValue: clock });
  container.register(STATE_STORE, { useValue: store });
  container.register(PROVIDERS, { useValue: await createProviders(plugins.providers, { log, configDir: config.dir, store, clock, images }) });
  container.register(MODEL_CATALOG, { useFactory: instanceCachingFactory((c) => new ModelCatalog(c.resolve(PROVIDERS))) });
  container.register(MODEL_ROUTER, {
    useFactory: instanceCachingFactory((c) => new ModelRouter(config.models, c.resolve(PROVIDERS), c.resolve(MODEL_CATALOG))),
  });
  container.register(DISPATCHER, {
    useFactory: instanceCachingFactory((c) => new Dispatcher(c.resolve(MODEL_ROUTER), c.resolve(PROVIDERS), c.resolve(LOGGER), c.resolve(CLOCK))),
  });
  const { path } = config;
  // What the running server was started with (flags and env included) and cannot change live.
  const { host, port, logLevel, trustProxy } = config.server;
  const reread = path ? async () => (await prepare({ file: path }, { overrides: { host, port, logLevel, trustProxy } })).config : undefined;
  const admin = new AdminActions(container.resolve(PROVIDERS), store, log, config, reread);
  await admin.start();
  const outcomes = new RequestOutcomes(log);
  const adminSessions = new AdminSessions(store);
  const modelLabels = new ModelLabels(container.resolve(MODEL_ROUTER), container.resolve(MODEL_CATALOG), container.resolve(PROVIDERS));
  const usage = new UsageLedger(store.hourlyCounters('usage', config.usage.retentionDays * 86_400_000), modelLabels);
  outcomes.listen(usage.record);
  const services: Omit<SwitchboardServices, 'chat'> = {
    container,
    config,
    providers: container.resolve(PROVIDERS),
    catalog: container.resolve(MODEL_CATALOG),
    router: container.resolve(MODEL_ROUTER),
    dispatcher: container.resolve(DISPATCHER),
    store,
    clock,
    quotaRefresh: new QuotaRefresh(log),
    admin,
    images,
    accessLog: undefined,
    outcomes,
    adminSessions,
    modelLabels,
    usage,
    guards: {
      apiKey: config.auth.apiKeys.length ? keyGuard(config.auth.apiKeys, { names: config.auth.apiKeyNames }) : undefined,
      adminKey: adminGuard(config.auth.adminKeys, adminSessions, () => clock.now()),
    },
    ready: false,
    drain: new Drain(),
  };
  // The chat path reads the access log from the services when it answers: buildApp sets it later.
  return Object.assign(services, { chat: new ChatResponder(services) });
}
