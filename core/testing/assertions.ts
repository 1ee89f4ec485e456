/**
 * The conformance assertions, each throwing a ConformanceError whose message says what was seen
 * against what the contract wants, in the words a plugin author debugs with ("chunk 3 carries
 * finish_reason 'stop' but chunk 4 follows it"). Usable on their own in a plugin's unit tests.
 */
import { peekChunk } from '../contract/raw.js';
import { CompletionFolder } from '../canonical/fold.js';
import type { ChatChunk, ChatCompletion } from '../contract/openai.js';
import type { FailureKind } from '../contract/provider.js';
import { maskSecret } from '../pool/credentials.js';

export class ConformanceError extends Error {
  override name = 'ConformanceError';
}

function fail(message: string): never {
  throw new ConformanceError(message);
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v.length > 60 ? `${v.slice(0, 60)}…` : v}'` : JSON.stringify(v));

/** What a completion says, whatever its form: the parts the fold check compares. */
export interface Folded {
  content: string;
  toolCalls: { name: string; arguments: string }[];
  finishReason: string | null;
  usage: Record<string, unknown> | undefined;
}

/** A stream's chunks folded as the core folds them for a non-stream client. */
export function foldChunks(chunks: readonly unknown[]): Folded {
  const folder = new CompletionFolder();
  for (const c of chunks) folder.add(c as ChatChunk);
  return summarize(folder.result());
}

/** The parts of a `chat.completion` (choice 0) the fold check compares. */
export function summarize(completion: ChatCompletion | undefined): Folded {
  const choice = completion?.choices?.[0];
  const m = choice?.message;
  return {
    content: typeof m?.content === 'string' ? m.content : '',
    toolCalls: (m?.tool_calls ?? []).map((t) => ({ name: t.function.name, arguments: t.function.arguments })),
    finishReason: choice?.finish_reason ?? null,
    usage: completion?.usage as Record<string, unknown> | undefined,
  };
}

/**
 * The role chunk first, `finish_reason` on the last chunk with choices, and after it at most a
 * usage-only chunk (`choices: []`): what every client's stream reader relies on. With
 * `roleOptional` (a provider's own chunks: the core puts a role chunk first when they have none),
 * a stream without any role passes, but a role after the first chunk still fails.
 */
export function assertChunkOrder(chunks: readonly unknown[], where: string, opts: { roleOptional?: boolean } = {}): void {
  const cs = chunks.map((c) => peekChunk(c as ChatChunk));
  if (!cs.length) fail(`${where}: the stream has no chunks`);
  const first = cs[0].choices?.[0]?.delta;
  const late = cs.findIndex((c, i) => i > 0 && c.choices?.some((ch) => ch.delta?.role));
  if (late !== -1) fail(`${where}: chunk ${late + 1} carries the role, after chunk 1 (${show(first ?? null)}): the role chunk must come first`);
  if (first?.role !== 'assistant' && !opts.roleOptional) fail(`${where}: chunk 1 carries no role 'assistant' (its delta is ${show(first ?? null)}): the role chunk must come first`);
  const at = cs.findIndex((c) => c.choices?.some((ch) => ch.finish_reason));
  if (at === -1) fail(`${where}: no chunk carries a finish_reason (${cs.length} chunks)`);
  const reason = cs[at].choices.find((ch) => ch.finish_reason)?.finish_reason;
  for (let i = at + 1; i < cs.length; i++) {
    const c = cs[i];
    if (!c.choices?.length) continue; // the usage chunk of include_usage
    const d = c.choices[0].delta ?? {};
    const what = d.content ? `with content ${show(d.content)}` : d.tool_calls ? 'with a tool call' : c.choices[0].finish_reason ? `with another finish_reason ${show(c.choices[0].finish_reason)}` : 'with a choice';
    fail(`${where}: chunk ${at + 1} carries finish_reason ${show(reason)} but chunk ${i + 1} follows it ${what}: finish_reason must come last`);
  }
}

/** The non-stream answer and the folded stream say the same: content, tool calls, finish_reason. */
export function assertSameCompletion(whole: Folded, streamed: Folded): void {
  if (whole.content !== streamed.content) fail(`the non-stream answer's content is ${show(whole.content)} but the stream folds to ${show(streamed.content)}`);
  const a = JSON.stringify(whole.toolCalls);
  const b = JSON.stringify(streamed.toolCalls);
  if (a !== b) fail(`the non-stream answer's tool calls are ${a} but the stream folds to ${b}`);
  if (whole.finishReason !== streamed.finishReason) fail(`the non-stream answer's finish_reason is ${show(whole.finishReason)} but the stream's is ${show(streamed.finishReason)}`);
}

/**
 * Usage is reported as OpenAI shapes it (integers, total = prompt + completion), and, when the
 * upstream's own counts are known, equal to them unless marked `estimated: true`.
 */
export function assertUsage(usage: Record<string, unknown> | undefined, where: string, upstream?: { promptTokens: number; completionTokens: number }): void {
  if (!usage) fail(`${where} carries no usage: report the upstream's counts, or estimate them and mark usage.estimated: true`);
  const { prompt_tokens: p, completion_tokens: c, total_tokens: t } = usage as Record<string, number>;
  for (const [k, v] of [['prompt_tokens', p], ['completion_tokens', c], ['total_tokens', t]] as const) {
    if (!Number.isInteger(v) || v < 0) fail(`${where}: usage.${k} is ${show(v)}, not a count`);
  }
  if (t !== p + c) fail(`${where}: usage.total_tokens is ${t} but prompt_tokens + completion_tokens is ${p + c}`);
  if (upstream && usage.estimated !== true && (p !== upstream.promptTokens || c !== upstream.completionTokens)) {
    fail(`${where}: usage says ${p} prompt / ${c} completion tokens, the upstream reported ${upstream.promptTokens} / ${upstream.completionTokens}; mark estimates usage.estimated: true`);
  }
}

/** The upstream call ended within `limitMs` of the client leaving. */
export function assertClosedWithin(closedAt: number | undefined, leftAt: number, limitMs: number, now = Date.now()): void {
  if (closedAt === undefined) fail(`the upstream request stayed open ${((now - leftAt) / 1000).toFixed(1)} s after the client left (limit ${(limitMs / 1000).toFixed(1)} s): pass call.signal to the upstream call`);
  if (closedAt - leftAt > limitMs) fail(`the upstream request closed ${((closedAt - leftAt) / 1000).toFixed(1)} s after the client left (limit ${(limitMs / 1000).toFixed(1)} s)`);
}

/** The failure was counted as `expected` on the credential. */
export function assertFailureKind(byKind: Partial<Record<FailureKind, number>>, expected: FailureKind, what: string): void {
  const seen = Object.entries(byKind).filter(([, n]) => n);
  if ((byKind[expected] ?? 0) >= 1 && seen.length === 1) return;
  const got = seen.length ? seen.map(([k, n]) => `'${k}'${n! > 1 ? ` ×${n}` : ''}`).join(' and ') : 'nothing (no failure counted)';
  fail(`${what} was classified as ${got}, expected '${expected}'`);
}

/** None of the secrets appears in `text`. */
export function assertNoSecret(text: string, secrets: readonly string[], where: string): void {
  for (const s of secrets) if (s && text.includes(s)) fail(`${where} contains the credential ${maskSecret(s)} in full`);
}
