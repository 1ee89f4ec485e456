/**
 * `switchboard/testing`: the conformance kit for provider plugins. `describeProvider` runs the
 * contract's checks on a plugin in a real Switchboard against the author's fake upstream;
 * `fakeUpstream` builds such a fake for SSE and NDJSON protocols; `fakeCall` calls a provider
 * directly in a unit test; the assertions say what broke in words. See docs/testing-plugins.md.
 */
export { describeProvider } from './describe-provider.js';
export { runConformance, type CheckResult } from './run-conformance.js';
export { CHECKS, type DescribeProviderOptions, type KitCredential, type Runner } from './suite.js';
export { fakeUpstream, sseEvent, SseFrame, type FakeUpstream, type FakeUpstreamOptions, type ProtocolRequest, type RecordedCall, type UpstreamProtocol } from './fake-upstream.js';
export type { Reply, Scenario, ScenarioKind, ScriptableUpstream, UpstreamCall } from './upstream.js';
export { DEFAULT_REPLY, TOOL_REPLY, WEATHER_TOOL, longReply, replyText } from './reply.js';
export { fakeCall, type FakeCall, type FakeCallOptions, type LoggedLine } from './fake-call.js';
export {
  ConformanceError,
  assertChunkOrder,
  assertClosedWithin,
  assertFailureKind,
  assertNoSecret,
  assertSameCompletion,
  assertUsage,
  foldChunks,
  summarize,
  type Folded,
} from './assertions.js';
export { providerChunks } from './checks-answers.js';
