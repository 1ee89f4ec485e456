/**
 * Each upstream failure lands in the failure kind docs/resilience.md gives it, as the pool counts
 * it on the credential (what the admin API shows as failuresByKind), and a 400 is not held against
 * the credential. One attempt per request (retry.attempts: 1), so one failure is one count.
 */
import type { FailureKind } from '../contract/provider.js';
import { assertFailureKind, ConformanceError } from './assertions.js';
import type { Check } from './check.js';
import { postChat, streamChat } from './client.js';
import { chatBody, failuresByKind, needUpstream, type KitContext } from './context.js';
import type { Scenario, ScenarioKind } from './upstream.js';

interface FailureCase {
  id: string;
  /** The title, `%k` standing for the expected kind. */
  title: string;
  scenario: (ctx: KitContext) => Scenario;
  kind: FailureKind;
  stream?: boolean;
  /** More to check on the client's answer and the pool. */
  then?(ctx: KitContext, answer: { status: number; headers: Record<string, unknown> }): void;
}

const RETRY_AFTER_S = 7;

/** The latest cooldown on any of the pool's credentials, credential-wide or per model (epoch ms). */
function coolingUntil(ctx: KitContext): number {
  let until = 0;
  for (const c of ctx.sb.handle.pool.snapshot()) {
    until = Math.max(until, c.cooldownUntil ?? 0, ...Object.values(c.models).map((m) => m.cooldownUntil ?? 0));
  }
  return until;
}

const CASES: FailureCase[] = [
  { id: 'status-401', title: '401 is %k', scenario: () => ({ kind: 'status', status: 401, message: 'invalid api key' }), kind: 'credential_invalid' },
  { id: 'status-403', title: '403 is %k', scenario: () => ({ kind: 'status', status: 403, message: 'forbidden' }), kind: 'credential_invalid' },
  {
    id: 'rate-limit-retry-after',
    title: `429 with Retry-After is %k, resting the credential for the stated ${RETRY_AFTER_S} s`,
    scenario: () => ({ kind: 'status', status: 429, headers: { 'retry-after': String(RETRY_AFTER_S) }, message: 'rate limit exceeded' }),
    kind: 'rate_limited',
    then(ctx, answer) {
      const rest = (coolingUntil(ctx) - Date.now()) / 1000;
      if (rest < RETRY_AFTER_S - 2 || rest > RETRY_AFTER_S + 1) throw new ConformanceError(`the upstream said Retry-After: ${RETRY_AFTER_S} but the credential rests ${rest.toFixed(1)} s`);
      if (answer.status !== 429 || !answer.headers['retry-after']) throw new ConformanceError(`the client got ${answer.status}${answer.headers['retry-after'] ? '' : ' without Retry-After'}, not 429 with Retry-After`);
    },
  },
  { id: 'rate-limit', title: '429 without Retry-After is %k', scenario: () => ({ kind: 'status', status: 429, message: 'rate limit exceeded' }), kind: 'rate_limited' },
  { id: 'status-500', title: '500 is %k', scenario: () => ({ kind: 'status', status: 500, message: 'internal error' }), kind: 'transient' },
  { id: 'hang', title: 'an upstream that never answers is %k (first-byte timeout)', scenario: () => ({ kind: 'hang' }), kind: 'transient' },
  {
    id: 'cut-stream',
    title: 'a stream cut mid-way is %k, and the client sees an error, not [DONE]',
    scenario: (ctx) => ({ kind: 'cut', afterFrames: ctx.settings.cutAfterFrames }),
    kind: 'transient',
    stream: true,
  },
  {
    id: 'client-error',
    title: "a 400 (the client's mistake) is %k and not held against the credential",
    scenario: () => ({ kind: 'status', status: 400, message: 'messages: invalid value' }),
    kind: 'request_invalid',
    then(ctx, answer) {
      const c = ctx.sb.handle.pool.snapshot();
      if (c.some((v) => !v.enabled)) throw new ConformanceError('a 400 disabled the credential');
      if (c.some((v) => v.failures > 0)) throw new ConformanceError(`a 400 was counted as the credential's failure (failures: ${c.map((v) => v.failures).join(', ')})`);
      if (answer.status !== 400) throw new ConformanceError(`the client got ${answer.status} for the upstream's 400, not 400`);
    },
  },
];

function failureCheck(fc: FailureCase): Check {
  const scenarioKind: ScenarioKind = fc.id === 'hang' ? 'hang' : fc.id === 'cut-stream' ? 'cut' : 'status';
  return {
    id: fc.id,
    title: (settings) => fc.title.replace('%k', settings.kinds[fc.id] ?? fc.kind),
    groups: ['failures'],
    needs: [scenarioKind],
    async run(ctx) {
      const up = needUpstream(ctx);
      const expected = ctx.settings.kinds[fc.id] ?? fc.kind;
      up.next(fc.scenario(ctx));
      let answer: { status: number; headers: Record<string, unknown> };
      if (fc.stream) {
        const s = await streamChat(ctx.sb.origin, chatBody(ctx));
        if (s.done) throw new ConformanceError(`the cut stream ended with [DONE] after ${s.chunks.length} chunks, as if complete`);
        if (s.status === 200 && !s.error) throw new ConformanceError('the cut stream ended without an error event');
        ctx.errorBodies.push(s.text);
        answer = s;
      } else {
        const a = await postChat(ctx.sb.origin, chatBody(ctx));
        if (a.status === 200) throw new ConformanceError(`the client got 200 for ${describe(fc)} from the upstream`);
        ctx.errorBodies.push(a.text);
        answer = a;
      }
      await new Promise((r) => setTimeout(r, 20)); // a stream's failure is counted as it unwinds
      assertFailureKind(failuresByKind(ctx), expected, describe(fc));
      fc.then?.(ctx, answer);
    },
  };
}

function describe(fc: FailureCase): string {
  switch (fc.id) {
    case 'hang':
      return 'an upstream that never answered';
    case 'cut-stream':
      return 'a stream cut mid-way';
    case 'client-error':
      return "a 400 (the client's own mistake)";
    case 'rate-limit-retry-after':
      return 'a 429 with Retry-After';
    default:
      return `a ${fc.id.replace('status-', '').replace('rate-limit', '429')}`;
  }
}

export const failureChecks: Check[] = CASES.map(failureCheck);
