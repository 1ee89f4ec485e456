import type { Logger } from '../contract/provider.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ProviderHandle } from '../providers/registry.js';

/** One run of "refresh every quota" for one provider, as an admin endpoint shows it. */
export interface RefreshJob {
  provider: string;
  /** Reads to do: credentials × the provider's quota models. */
  total: number;
  done: number;
  failed: number;
  startedAt: number;
  finishedAt?: number;
  /** Why reads failed, by credential id (never the secret). */
  errors: string[];
  /** Resolves when every read has finished. */
  readonly finished: Promise<RefreshJob>;
}

/**
 * Reads every credential's quota for each of a provider's quota windows (`fetchQuota`,
 * `quotaModels`), a few at a time, and feeds the answers to the pool (the quota-aware strategy
 * picks by them). One job per provider at a time: a second start while one runs is refused.
 */
export class QuotaRefresh {
  readonly #jobs = new Map<string, RefreshJob>();

  constructor(private readonly log: Logger) {}

  /** The provider's current or last job. */
  status(providerId: string): RefreshJob | undefined {
    return this.#jobs.get(providerId);
  }

  start(handle: ProviderHandle, concurrency = 4): RefreshJob {
    const fetchQuota = handle.instance.fetchQuota?.bind(handle.instance);
    if (!fetchQuota) throw new GatewayError('SWB_ERR_UNSUPPORTED_OPERATION', `provider "${handle.id}" cannot read its quotas`, { param: 'provider' });
    const running = this.#jobs.get(handle.id);
    if (running && running.finishedAt === undefined) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `A quota refresh of provider "${handle.id}" is already running (${running.done}/${running.total}).`, { status: 409, code: 'refresh_running' });
    }
    const models = handle.instance.quotaModels?.() ?? [];
    const tasks = handle.pool.entries.filter((e) => e.credential).flatMap((e) => models.map((m) => ({ e, m })));
    const job = { provider: handle.id, total: tasks.length, done: 0, failed: 0, startedAt: Date.now(), errors: [] as string[] } as RefreshJob;
    let next = 0;
    const worker = async () => {
      while (next < tasks.length) {
        const { e, m } = tasks[next++];
        try {
          const q = await fetchQuota(e.credential!, m);
          if (q) handle.pool.observe(e, m, q);
        } catch (err) {
          job.failed++;
          if (job.errors.length < 50) job.errors.push(`${e.id} (${m}): ${(err as Error).message}`.slice(0, 300));
        }
        job.done++;
      }
    };
    (job as { finished: Promise<RefreshJob> }).finished = Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker)).then(() => {
      job.finishedAt = Date.now();
      this.log.info({ provider: handle.id, total: job.total, failed: job.failed }, 'quota refresh finished');
      return job;
    });
    this.#jobs.set(handle.id, job);
    return job;
  }
}
