/** A client that leaves mid-stream ends the upstream call: the core counts on the provider honouring call.signal. */
import { setTimeout as sleep } from 'node:timers/promises';
import { assertClosedWithin, ConformanceError } from './assertions.js';
import type { Check } from './check.js';
import { streamChat } from './client.js';
import { chatBody, failuresByKind, needUpstream } from './context.js';

export const abortCheck: Check = {
  id: 'abort',
  title: 'a client that leaves mid-stream closes the upstream request within a second',
  needs: ['slow'],
  async run(ctx) {
    const up = needUpstream(ctx);
    up.next({ kind: 'slow', delayMs: 100 });
    const seen = up.calls.length;
    const answer = await streamChat(ctx.sb.origin, chatBody(ctx), { leaveAfter: 2 });
    if (answer.leftAt === undefined) throw new ConformanceError(`the slow stream ended after ${answer.chunks.length} chunks before the client could leave (status ${answer.status})`);
    const limit = ctx.settings.abortLimitMs;
    const call = up.calls[seen];
    if (!call) throw new ConformanceError('the upstream saw no call for the stream');
    while (call.closedAt === undefined && Date.now() - answer.leftAt < limit) await sleep(20);
    assertClosedWithin(call.closedAt, answer.leftAt, limit);
    await sleep(50); // the core settles the lease after the provider's generator closed
    const blamed = Object.entries(failuresByKind(ctx)).filter(([k, n]) => n && k !== 'request_invalid');
    if (blamed.length) throw new ConformanceError(`the client's leaving was counted against the credential as ${blamed.map(([k]) => `'${k}'`).join(', ')}: a disconnect is nobody's failure`);
  },
};
