/**
 * What the conformance kit needs from a provider's fake upstream, and nothing more: a URL to point
 * the provider at, a way to say what the next chat call gets, and a record of the calls. The kit's
 * own builder (fakeUpstream) implements it; any other fake (a WebSocket one, a fake that checks
 * the real protocol closely) is adapted to it in a few lines, see docs/testing-plugins.md.
 */

/** A reply as the kit thinks of it, whatever the protocol: text pieces, tool calls, finish, usage. */
export interface Reply {
  /** The answer text, in the pieces a stream sends (each piece one frame). */
  pieces: string[];
  /** Tool calls instead of (or after) text: `arguments` is the JSON text. */
  toolCalls?: { id: string; name: string; arguments: string }[];
  finishReason: 'stop' | 'length' | 'tool_calls';
  usage: { promptTokens: number; completionTokens: number };
}

/** What the next chat call to the upstream gets. */
export type Scenario =
  /** Answer normally (stream or not, as the request asks); `reply` defaults to the upstream's own. */
  | { kind: 'reply'; reply?: Reply }
  /** A stream whose frames come `delayMs` apart, long enough for a client to leave in the middle. */
  | { kind: 'slow'; delayMs: number }
  /** An error answer: the status, its headers (`retry-after`), the protocol's error body with `message`. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; message?: string }
  /** Accept the call and never answer. */
  | { kind: 'hang' }
  /** Start a stream, send `afterFrames` frames, then drop the connection without ending it. */
  | { kind: 'cut'; afterFrames: number };

export type ScenarioKind = Scenario['kind'];

/** One chat call as the upstream saw it: the kit only reads its times; a fake records more beside them. */
export interface UpstreamCall {
  /** When it arrived (epoch ms). */
  at: number;
  /** When its request or socket closed (epoch ms), however it closed: set by the fake. */
  closedAt?: number;
}

export interface ScriptableUpstream {
  /** What the provider's options point at (its `baseUrl`, say). */
  readonly url: string;
  /** The chat calls so far, in arrival order. */
  readonly calls: readonly UpstreamCall[];
  /** Queue what the next chat calls get, in order; after the queue, normal replies. */
  next(...scenarios: Scenario[]): void;
  /**
   * The reply normal scenarios give, when the fake plays the kit's replies (fakeUpstream does): the
   * checks then also compare content, tool calls and usage with it. Optional.
   */
  readonly reply?: Reply;
  /**
   * Scenarios this fake cannot play, each with the reason: the checks that need one are reported
   * as skipped with it, never silently passed. Optional.
   */
  readonly unsupported?: Partial<Record<ScenarioKind, string>>;
  /** Forget calls and queued scenarios. */
  reset(): void;
  close(): Promise<void>;
}
