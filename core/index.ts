/**
 * The public surface of the core: everything a plugin may import. Plugins import from here and
 * nowhere else in core/, so the internals can move without breaking them.
 */
export type * from './contract/openai.js';
export {
  CONTRACT_VERSION,
  FAILURE_KINDS,
  defineProvider,
  type CallContext,
  type Credential,
  type FailureKind,
  type FailureVerdict,
  type ImageStore,
  type JsonSchema,
  type Logger,
  type Provider,
  type ProviderInit,
  type ProviderPlugin,
  type Timeouts,
  type UpstreamFailure,
} from './contract/provider.js';
export { defineExtension, type ExtensionPlugin } from './contract/extension.js';

export { RawJson, RawChatChunk, jsonText, jsonValue, peekChunk } from './canonical/raw.js';
export { makeChunk, completionId, nowSeconds, completionToChunks } from './canonical/chunks.js';
export { CompletionFolder } from './canonical/fold.js';

export { CallSignal } from './upstream/call-signal.js';
export { SseParser, type SseEvent } from './upstream/sse-parser.js';
export { UpstreamError, readBounded } from './upstream/upstream-error.js';
export { openaiSseChunks } from './upstream/openai-sse.js';
export { checkJsonObject, parseJsonObject } from './upstream/json-body.js';
export { bearerHeaders } from './upstream/credential-headers.js';
export { createUpstreamDispatcher, requestUpstream, type UpstreamClientOptions, type UpstreamRequest } from './upstream/http-client.js';
export { classifyHttpFailure } from './upstream/classify.js';
export { statedWaitMs, quotaFromHeaders, parseDuration, type QuotaObservation } from './upstream/retry-hints.js';

export { GatewayError } from './errors/gateway-error.js';
export { ERRORS, type ErrorId } from './errors/registry.js';
export * from './tokens.js';
export type { CredentialPool, CredentialView } from './pool/credential-pool.js';
export type { StateStore, StateDocument } from './state/store.js';
export type { Clock } from './state/clock.js';
export type { ProviderDefaults } from './config/provider-settings.js';
export { iso, observedView, type ObservedView } from './admin/views.js';
export { selectProviders } from './admin/select-providers.js';
export { acceptEmptyJson } from './http/empty-json.js';
export { parseJsonBody, MAX_JSON_DEPTH } from './http/json-body.js';
export type { ErrorFormats, ErrorRenderer } from './http/front-door.js';
export type { AdminActions, NewCredential, ReloadResult } from './admin/admin-actions.js';
export { Exchange } from './dispatch/exchange.js';
export type { QuotaRefresh, RefreshJob } from './admin/quota-refresh.js';
export type { ObservedLimits } from './state/records.js';
export type { PoolEntry } from './pool/pool-entry.js';
export type { AdaptiveRecord } from './state/adaptive-record.js';
export type { ProviderHandle, ProviderRegistry } from './routing/provider-registry.js';
export type { SwitchboardServices } from './http/services.js';
