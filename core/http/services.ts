import type { onRequestHookHandler } from 'fastify';
import type { DependencyContainer } from 'tsyringe';
import type { Config } from '../config/types.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { AccessLog } from './access-log.js';
import type { RequestOutcomes } from './request-outcomes.js';
import type { AdminSessions } from '../admin/sessions.js';
import type { ModelLabels } from '../routing/model-labels.js';
import type { UsageLedger } from '../admin/usage.js';
import type { ModelCatalog } from '../routing/model-catalog.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ModelRouter } from '../routing/router.js';
import type { Clock } from '../state/clock.js';
import type { StateStore } from '../state/store.js';
import type { QuotaRefresh } from '../admin/quota-refresh.js';
import type { ImageFiles } from '../files/image-files.js';
import type { AdminActions } from '../admin/admin-actions.js';
import type { Drain } from './drain.js';
import type { ChatResponder } from './chat-responder.js';
import type { ErrorFormats } from './front-door.js';

/** The core services, as routes and extension plugins reach them (`app.switchboard`). */
export interface SwitchboardServices {
  /** This app's DI container (a child of tsyringe's root): resolve core tokens from it. */
  container: DependencyContainer;
  config: Config;
  providers: ProviderRegistry;
  catalog: ModelCatalog;
  router: ModelRouter;
  dispatcher: Dispatcher;
  /** Pool state, usage and stats, persisted by the configured driver. */
  store: StateStore;
  clock: Clock;
  /** "Refresh every quota" jobs, per provider (for providers that can read their quotas). */
  quotaRefresh: QuotaRefresh;
  /** Rotate, reset, enable, disable: applied here and, with shared state, on every instance. */
  admin: AdminActions;
  /** Image caches providers opened; served at `GET /v1/files/image/{id}`. */
  images: ImageFiles;
  /** The batched access log; undefined when `server.accessLog` is off or info is hidden. */
  accessLog: AccessLog | undefined;
  /** Every model request's outcome, once: to the access log and to the listeners extensions add. */
  outcomes: RequestOutcomes;
  /** The console's login sessions (enabled by the admin extension); the admin guard accepts them. */
  adminSessions: AdminSessions;
  /** A requested model name as a bounded label: itself when known, else `other`. */
  modelLabels: ModelLabels;
  /** Requests and tokens per client, model and hour (`usage.retentionDays`). */
  usage: UsageLedger;
  /** onRequest hooks: client API keys (undefined when the server runs open) and the admin key. */
  guards: { apiKey: onRequestHookHandler | undefined; adminKey: onRequestHookHandler };
  /**
   * How errors the HTTP layer answers before a route runs are written per path (set by buildApp):
   * an extension whose routes do not speak JSON registers its own format here.
   */
  errorFormats?: ErrorFormats;
  /** False until start-up finished and again once shutdown begins. */
  ready: boolean;
  /** Chat requests in flight: shutdown waits for them and ends the streams still open. */
  drain: Drain;
  /**
   * The chat path every front door shares (exchange, drain, access log, committed streams);
   * set by buildApp once the access log is known.
   */
  chat: ChatResponder;
}

declare module 'fastify' {
  interface FastifyInstance {
    switchboard: SwitchboardServices;
  }
}
