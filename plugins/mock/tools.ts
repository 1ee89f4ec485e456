import { makeChunk, type ChatChunk, type ChatRequest } from '../../core/index.js';

interface ToolSpec {
  type?: string;
  function?: { name?: string };
}

/**
 * The function the request forces (`tool_choice: {type: "function", ...}` or `"required"`), if
 * any: the mock then calls it, so clients can exercise their tool-call handling offline.
 */
export function wantedTool(request: ChatRequest): string | undefined {
  const tools = (request.tools ?? []) as ToolSpec[];
  const choice = request.tool_choice as string | { function?: { name?: string } } | undefined;
  if (choice && typeof choice === 'object') return choice.function?.name;
  if (choice === 'required') return tools.find((t) => t.function?.name)?.function?.name;
  return undefined;
}

/** The call streamed as OpenAI does: id and name first, then the arguments in pieces. */
export function toolCallChunks(base: { id: string; created: number; model: string }, name: string, text: string): ChatChunk[] {
  const args = JSON.stringify({ text });
  const cut = Math.ceil(args.length / 3);
  const id = `call_${base.id.slice(-24)}`;
  const out = [makeChunk(base, { tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] })];
  for (let i = 0; i < args.length; i += cut) {
    out.push(makeChunk(base, { tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + cut) } }] }));
  }
  return out;
}
