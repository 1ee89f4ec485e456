import { Counter, Gauge, type Registry } from 'prom-client';
import { FAILURE_KINDS, credentialState, type CredentialState, type PoolEntry, type ProviderHandle, type ProviderRegistry, type StateStore } from '../../core/index.js';

/** The models a provider lists: the only model names that become label values (clients may send any name). */
async function listed(handle: ProviderHandle): Promise<Set<string>> {
  try {
    return new Set((await handle.instance.listModels()).map((m) => m.id));
  } catch {
    return new Set();
  }
}

/**
 * The upstream side, computed when scraped: credentials by state, breakers open, and the pools'
 * own counts (requests, failures by kind, tokens). The counts are the pools' persistent ones:
 * they survive restarts and drop to zero when an admin resets a credential's stats, which
 * Prometheus reads as a counter reset.
 */
export function upstreamMetrics(registry: Registry, providers: ProviderRegistry, store: StateStore): void {
  new Gauge({
    name: 'switchboard_queue_depth',
    help: 'Requests waiting for a throttled or busy credential, per provider.',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of providers.handles) this.set({ provider: h.id }, h.pool.waiting);
    },
  });
  new Gauge({
    name: 'switchboard_state_degraded',
    help: 'The shared state store (Redis) cannot be reached: 1 while each instance runs on its own state, else 0. Always 0 for the file and memory drivers.',
    labelNames: ['driver'],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ driver: store.driver }, store.degraded === true ? 1 : 0);
    },
  });
  const now = () => Date.now();
  new Gauge({
    name: 'switchboard_credentials',
    help: 'Credentials per provider by state: ok, cooling (a cooldown running, for any model), disabled.',
    labelNames: ['provider', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of providers.handles) {
        const counts: Record<CredentialState, number> = { ok: 0, cooling: 0, disabled: 0 };
        const t = now();
        for (const e of h.pool.entries) counts[credentialState(e.record, t)]++;
        for (const [state, n] of Object.entries(counts)) this.set({ provider: h.id, state }, n);
      }
    },
  });
  new Gauge({
    name: 'switchboard_breaker_open',
    help: 'Circuit breakers not closed, per provider and model (* for the provider-wide one): 1 open, 0.5 half-open.',
    labelNames: ['provider', 'model'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const h of providers.handles) {
        const open = Object.entries(h.policies.openBreakers());
        if (!open.length) continue;
        const known = await listed(h);
        for (const [model, b] of open) {
          const labels = { provider: h.id, model: model === '*' || known.has(model) ? model : 'other' };
          this.set(labels, b.state === 'open' ? 1 : 0.5);
        }
      }
    },
  });
  // The live records, not snapshot()'s copies: a scrape reads them and keeps nothing.
  const sum = (h: ProviderHandle, pick: (r: PoolEntry['record']) => number) => h.pool.entries.reduce((n, e) => n + pick(e.record), 0);
  new Counter({
    name: 'switchboard_upstream_requests_total',
    help: 'Requests sent to each provider (attempts, retries and failovers included), from its credential pool.',
    labelNames: ['provider'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of providers.handles) this.inc({ provider: h.id }, sum(h, (c) => c.requests));
    },
  });
  new Counter({
    name: 'switchboard_upstream_failures_total',
    help: 'Failed upstream attempts per provider, by failure kind.',
    labelNames: ['provider', 'kind'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of providers.handles) {
        for (const kind of FAILURE_KINDS) {
          const n = sum(h, (c) => c.failuresByKind[kind] ?? 0);
          if (n) this.inc({ provider: h.id, kind }, n);
        }
      }
    },
  });
  new Counter({
    name: 'switchboard_tokens_total',
    help: 'Tokens per provider, as the upstreams reported them: direction in (prompt) or out (completion).',
    labelNames: ['provider', 'direction'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of providers.handles) {
        this.inc({ provider: h.id, direction: 'in' }, sum(h, (c) => c.tokensIn));
        this.inc({ provider: h.id, direction: 'out' }, sum(h, (c) => c.tokensOut));
      }
    },
  });
}
