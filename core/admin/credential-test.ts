import { CallSignal } from '../contract/call-signal.js';
import type { ChatChunk, ChatRequest } from '../contract/openai.js';
import { Call } from '../dispatch/call.js';
import { settleFailedAttempt } from '../dispatch/attempt-outcome.js';
import { describeFailure, isOwnFault, toFailure } from '../dispatch/failure.js';
import { usageOf } from '../canonical/usage.js';
import type { PoolEntry } from '../pool/pool-entry.js';
import type { ProviderHandle } from '../providers/registry.js';

/** A credential test takes at most this long, whatever the provider's own timeouts. */
const TEST_TIMEOUT_MS = 20_000;

export interface CredentialTestResult {
  ok: boolean;
  /** The upstream's HTTP status (200 for a success), or null when none came (a network failure, a timeout). */
  status: number | null;
  /** Until the first chunk of the answer, or the failure. */
  ms: number;
  /** What went wrong, scrubbed of every secret; null on success. */
  error: string | null;
  model: string;
}

/**
 * One minimal real call with one credential: a one-token chat on `model` through the provider,
 * as any request's attempt, so its outcome counts for the pool like any call (a 401 disables
 * the credential, a 429 rests it for the wait the upstream stated, a challenge spares it, a
 * success resets its failure count). Our own faults are not the credential's: they release the
 * lease without a verdict.
 */
export async function testCredential(handle: ProviderHandle, entry: PoolEntry, model: string): Promise<CredentialTestResult> {
  const lease = handle.pool.lease(entry, model);
  const signal = CallSignal.timeout(Math.min(TEST_TIMEOUT_MS, handle.timeouts.totalMs), 'the credential test timed out');
  const call = new Call(handle.id, model, lease, signal, handle.timeouts, handle.log, { origin: undefined });
  const request: ChatRequest = { model, messages: [{ role: 'user', content: 'Reply with OK.' }], max_tokens: 1, stream: true };
  const started = Date.now();
  try {
    let last: ChatChunk | undefined;
    for await (const chunk of handle.instance.chat(request, call)) {
      last = chunk;
      break; // the first chunk proves the credential; the rest is not needed
    }
    lease.succeed(last ? usageOf(last) : undefined);
    return { ok: true, status: 200, ms: Date.now() - started, error: null, model };
  } catch (err) {
    const ms = Date.now() - started;
    const failure = toFailure(err, model, { timedOut: signal.aborted ? 'total' : undefined });
    if (isOwnFault(err)) {
      lease.release();
      return { ok: false, status: null, ms, error: describeFailure(failure, handle.secrets), model };
    }
    const { message } = settleFailedAttempt(handle, lease, failure, Date.now());
    return { ok: false, status: failure.status ?? null, ms, error: message, model };
  } finally {
    signal.clear();
  }
}
