/**
 * The provider kit: what a provider plugin may import. The contract (types a provider implements
 * and receives), the values it builds answers from, and the helpers for talking to an upstream.
 * Nothing here exposes the core's internals, so they can move without breaking a plugin.
 */
export type * from '../contract/openai.js';
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
  type ProviderDefaults,
  type ProviderSections,
  type Section,
  type QuotaObservation,
  type Timeouts,
  type UpstreamFailure,
} from '../contract/provider.js';
export { RawJson, RawChatChunk, jsonText, jsonValue, peekChunk } from '../contract/raw.js';
export { CallSignal, TimeoutSignal } from '../contract/call-signal.js';
export { nativeBody, nativeOutput, nativeRequest, withNativeOutput, type NativeDialect, type NativeRequest } from '../contract/native.js';

// Building answers.
export { makeChunk, finishChunk, usageChunk, completionId, nowSeconds, completionToChunks } from '../canonical/chunks.js';
export { CompletionFolder } from '../canonical/fold.js';

// Talking to an upstream.
export { createUpstreamDispatcher, requestUpstream, type UpstreamClientOptions, type UpstreamRequest } from '../upstream/http-client.js';
export { UpstreamError, readBounded, type UpstreamErrorInit } from '../upstream/upstream-error.js';
export { SseParser, type SseEvent } from '../upstream/sse-parser.js';
export { NdjsonParser, type NdjsonOptions } from '../upstream/ndjson.js';
export { openaiSseChunks } from '../upstream/openai-sse.js';
export { checkJsonObject, parseJsonObject } from '../upstream/json-body.js';
export { headerValue, type HeaderMap } from '../upstream/header-value.js';
export { upstreamErrorBody, type UpstreamErrorObject } from '../upstream/error-body.js';
export { bearer, bearerHeaders, credentialHeaders } from '../upstream/credential-headers.js';
export { classifyHttpFailure } from '../upstream/classify.js';
export { statedWaitMs, quotaFromHeaders, parseDuration } from '../upstream/retry-hints.js';
export { openaiCompatible, openaiModelList, type ModelDiscovery, type OpenAICompatibleOptions } from '../upstream/openai-compatible.js';

// Errors a plugin may throw for the client to see (a bad option value, an unsupported input).
export { GatewayError, type GatewayErrorOptions, type ErrorEnvelope } from '../errors/gateway-error.js';
export { ERRORS, type ErrorId } from '../errors/registry.js';
