/** The checks on a normal answer: stream and non-stream agree, chunks in order, usage reported. */
import type { ChatChunk, ChatRequest } from '../contract/openai.js';
import { assertChunkOrder, assertSameCompletion, assertUsage, ConformanceError, foldChunks, summarize } from './assertions.js';
import type { Check } from './check.js';
import { postChat, streamChat } from './client.js';
import { chatBody, type KitContext } from './context.js';
import { fakeCall } from './fake-call.js';
import { replyText, TOOL_REPLY, WEATHER_TOOL } from './reply.js';

const USAGE = { stream_options: { include_usage: true } };

async function bothWays(ctx: KitContext, extra: Record<string, unknown>) {
  const whole = await postChat(ctx.sb.origin, chatBody(ctx, extra));
  if (whole.status !== 200) {
    ctx.errorBodies.push(whole.text);
    throw new ConformanceError(`the non-stream request got ${whole.status}: ${whole.text.slice(0, 300)}`);
  }
  const streamed = await streamChat(ctx.sb.origin, chatBody(ctx, { ...extra, ...USAGE }));
  if (streamed.status !== 200 || streamed.error) {
    ctx.errorBodies.push(streamed.text);
    throw new ConformanceError(`the stream request got ${streamed.status}${streamed.error ? ` ending with ${JSON.stringify(streamed.error).slice(0, 300)}` : ''}`);
  }
  if (!streamed.done) throw new ConformanceError('the stream did not end with data: [DONE]');
  return { whole: summarize(whole.json), streamed: foldChunks(streamed.chunks), chunks: streamed.chunks };
}

export const foldCheck: Check = {
  id: 'fold',
  title: 'non-stream and stream answers fold to the same completion',
  async run(ctx) {
    const { whole, streamed } = await bothWays(ctx, {});
    assertSameCompletion(whole, streamed);
    if (!whole.content && !whole.toolCalls.length) throw new ConformanceError('the answer has neither content nor tool calls');
    const reply = ctx.upstream?.reply;
    if (reply && whole.content !== replyText(reply)) throw new ConformanceError(`the answer's content is '${whole.content}' but the upstream said '${replyText(reply)}'`);
    if (!whole.finishReason) throw new ConformanceError('the answer carries no finish_reason');
    if (reply && whole.finishReason !== reply.finishReason) throw new ConformanceError(`the answer's finish_reason is '${whole.finishReason}', the upstream's was '${reply.finishReason}'`);
  },
};

export const toolFoldCheck: Check = {
  id: 'fold-tools',
  title: 'a tool call folds the same, streamed or not',
  async run(ctx) {
    ctx.upstream?.next({ kind: 'reply', reply: TOOL_REPLY }, { kind: 'reply', reply: TOOL_REPLY });
    const { whole, streamed } = await bothWays(ctx, { tools: [WEATHER_TOOL], tool_choice: 'required' });
    assertSameCompletion(whole, streamed);
    if (!whole.toolCalls.length) throw new ConformanceError(`the answer carries no tool call (content ${JSON.stringify(whole.content)})`);
    if (whole.finishReason !== 'tool_calls') throw new ConformanceError(`a tool call ends with finish_reason ${JSON.stringify(whole.finishReason)}, not 'tool_calls'`);
    for (const t of whole.toolCalls) {
      try {
        JSON.parse(t.arguments);
      } catch {
        throw new ConformanceError(`tool call ${t.name}'s arguments are not JSON: ${t.arguments}`);
      }
    }
    if (ctx.upstream?.reply) {
      const want = TOOL_REPLY.toolCalls!.map((t) => ({ name: t.name, arguments: t.arguments }));
      if (JSON.stringify(whole.toolCalls) !== JSON.stringify(want)) throw new ConformanceError(`the tool calls are ${JSON.stringify(whole.toolCalls)}, the upstream sent ${JSON.stringify(want)}`);
    }
  },
};

/** The provider's own chunks, straight from its chat(), as the core would call it. */
export async function providerChunks(ctx: KitContext): Promise<unknown[]> {
  const { handle } = ctx.sb;
  const model = handle.instance.resolveModel?.(ctx.settings.model) ?? ctx.settings.model;
  const request = { ...chatBody(ctx), model, stream: true, ...USAGE } as ChatRequest;
  const call = fakeCall({ model, providerId: handle.id, credential: handle.pool.entries[0]?.credential, timeouts: handle.timeouts });
  const out: ChatChunk[] = [];
  for await (const c of handle.instance.chat(request, call)) out.push(c);
  return out;
}

export const orderCheck: Check = {
  id: 'chunk-order',
  title: "the role chunk comes first and finish_reason last (the provider's chunks and the wire)",
  async run(ctx) {
    // The core synthesises a missing role chunk (docs/architecture.md), so the provider may omit it, not misplace it.
    assertChunkOrder(await providerChunks(ctx), "the provider's chat()", { roleOptional: true });
    const wire = await streamChat(ctx.sb.origin, chatBody(ctx, USAGE));
    assertChunkOrder(wire.chunks, 'on the wire');
  },
};

export const usageCheck: Check = {
  id: 'usage',
  title: 'usage is reported (or marked estimated), streamed and not',
  async run(ctx) {
    const known = ctx.upstream?.reply?.usage;
    const whole = await postChat(ctx.sb.origin, chatBody(ctx));
    assertUsage(whole.json?.usage, 'the non-stream answer', known);
    const streamed = await streamChat(ctx.sb.origin, chatBody(ctx, USAGE));
    const last = streamed.chunks.at(-1);
    assertUsage(last?.usage ?? undefined, 'the last chunk of a stream with include_usage', known);
  },
};
