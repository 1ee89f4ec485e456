/**
 * The extension kit: what an extension plugin may import beyond the provider kit. The extension
 * contract, the types of the core services it reaches through `app.switchboard`, and the helpers
 * the built-in extensions share. Services are reached as objects, never constructed: their
 * constructors and the DI tokens stay internal.
 */
export { defineExtension, type ExtensionPlugin } from '../contract/extension.js';
export type { SwitchboardServices } from '../http/services.js';
export type { ChatResponder } from '../http/chat-responder.js';
export type { ChatFormat, EventSink, StreamRenderer } from '../http/chat-format.js';
export type { Answer } from '../dispatch/dispatcher.js';
export type { TokenUsage } from '../canonical/usage.js';
export type { RouteTarget } from '../config/types.js';
export type { RequestOutcome, RequestOutcomes, OutcomeListener } from '../http/request-outcomes.js';
export { CLIENT_CLOSED } from '../http/request-outcomes.js';
export type { AccessEntry } from '../http/access-log.js';
export type { ModelLabels } from '../routing/model-labels.js';
export { OTHER_MODEL } from '../routing/model-labels.js';
export { configView } from '../admin/config-view.js';
export { chatCompletionFormat } from '../http/chat-format.js';
export { chatBodySchema } from '../http/schemas.js';
export type { UsageLedger, UsageRow } from '../admin/usage.js';
export { MAX_USAGE_HOURS, ANONYMOUS } from '../admin/usage.js';
export type { AdminSessions, AdminSession } from '../admin/sessions.js';
export { SESSION_COOKIE, cookieValue } from '../admin/sessions.js';
export { ownOrigin } from '../http/admin-guard.js';
export { keyMatcher } from '../http/auth.js';
export type { HourlyCounters, HourlyRow } from '../state/hourly-counters.js';
export type { CommittedStream } from '../dispatch/committed-stream.js';
export type { ProviderHandle, ProviderRegistry } from '../providers/registry.js';
export type { CredentialPool, CredentialView } from '../pool/credential-pool.js';
export type { PoolEntry } from '../pool/pool-entry.js';
export type { ObservedLimits } from '../state/records.js';
export type { AdaptiveRecord } from '../state/adaptive-record.js';
export type { QuotaRefresh, RefreshJob } from '../admin/quota-refresh.js';
export type { StateStore, StateDocument } from '../state/store.js';
export type { Clock } from '../state/clock.js';
export type { AdminActions, NewCredential, ReloadResult } from '../admin/admin-actions.js';
export type { ErrorFormats, ErrorRenderer } from '../http/front-door.js';
export { credentialState, iso, observedView, runningCooldown, type CredentialState, type ObservedView } from '../admin/views.js';
export { selectProviders } from '../admin/select-providers.js';
export { parseNewCredentials, MAX_NEW_CREDENTIALS } from '../admin/new-credentials.js';
export type { CredentialTestResult } from '../admin/credential-test.js';
export { acceptEmptyJson } from '../http/empty-json.js';
export { parseJsonBody, MAX_JSON_DEPTH } from '../http/json-body.js';
