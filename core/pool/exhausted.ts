import type { FailureKind, UpstreamFailure } from '../contract/provider.js';
import type { GatewayError } from '../errors/gateway-error.js';

/**
 * No credential of a provider can serve a model now, and none will within the queue's reach:
 * every one is cooling down, disabled or denied that model. The dispatcher moves to the next
 * target; when every target says this, the client gets a 429 (or a 503 when nothing will free).
 */
export class PoolExhausted extends Error {
  /** The last credential fault of this request, when rotating past faults is what emptied the pool. */
  lastFault: { kind: FailureKind; failure: UpstreamFailure } | undefined;

  constructor(
    readonly providerId: string,
    readonly model: string,
    /** When the first credential frees, epoch ms; undefined when none will by itself. */
    readonly freeAt: number | undefined,
    /** Why, for people: `2 rate limited, 1 disabled (credential_invalid)`. */
    readonly summary: string,
    /** Every credential is denied this model: the client has no access to it here. */
    readonly deniedOnly = false,
    /**
     * What the pool's state means by itself, for the client: it has no credentials, or it has none
     * configured and its upstream refused it. Says more than any upstream failure of the request.
     */
    readonly error?: GatewayError,
  ) {
    super(`provider "${providerId}" has no credential for model ${model}: ${summary}`);
    this.name = 'PoolExhausted';
  }
}
