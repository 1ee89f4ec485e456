/**
 * A ready CallContext for calling a provider's `chat()` (or `complete()`, `classify()`) directly in
 * a unit test, without a Switchboard: what the core would hand it, with the parts a test looks at
 * afterwards (the quotas it reported, the lines it logged) kept on the object.
 */
import { CallSignal } from '../contract/call-signal.js';
import type { CallContext, Credential, Logger, QuotaObservation, Timeouts } from '../contract/provider.js';
import { toCredential } from '../pool/credentials.js';

export interface FakeCallOptions {
  /** The upstream model id; default `test-model`. */
  model?: string;
  /** A secret string (made into a Credential as the core makes them: never printed) or a Credential; none by default. */
  credential?: string | Credential;
  providerId?: string;
  /** Abort it yourself with `call.abort()`, or pass a signal you control. */
  signal?: CallSignal;
  timeouts?: Partial<Timeouts>;
  origin?: string;
}

export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  bindings: Record<string, unknown>;
  obj: unknown;
  msg?: string;
}

export interface FakeCall extends CallContext {
  /** Every `reportQuota` call, in order. */
  readonly quotas: QuotaObservation[];
  /** Every line logged through `call.log` (and its children). */
  readonly logs: LoggedLine[];
  /** Abort the call as a client disconnect would. */
  abort(reason?: unknown): void;
}

export function fakeCall(options: FakeCallOptions = {}): FakeCall {
  const signal = options.signal ?? new CallSignal();
  const logs: LoggedLine[] = [];
  const quotas: QuotaObservation[] = [];
  const credential = typeof options.credential === 'string' ? toCredential({ secret: options.credential }) : options.credential;
  return {
    providerId: options.providerId ?? 'test',
    model: options.model ?? 'test-model',
    credential,
    signal,
    timeouts: { firstByteMs: 30_000, idleMs: 30_000, totalMs: 120_000, ...options.timeouts },
    log: recorder(logs, {}),
    origin: options.origin ?? 'http://127.0.0.1:8000',
    reportQuota: (q) => void quotas.push(q),
    quotas,
    logs,
    abort: (reason = new Error('client disconnected')) => signal.abort(reason),
  };
}

function recorder(logs: LoggedLine[], bindings: Record<string, unknown>): Logger {
  const line = (level: LoggedLine['level']) => (obj: unknown, msg?: string) => void logs.push({ level, bindings, obj, msg });
  return {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (more) => recorder(logs, { ...bindings, ...more }),
  };
}
