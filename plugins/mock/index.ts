import { setTimeout as sleep } from 'node:timers/promises';
import {
  CONTRACT_VERSION,
  UpstreamError,
  completionId,
  defineProvider,
  finishChunk,
  makeChunk,
  nowSeconds,
  usageChunk,
  type CallContext,
  type ChatChunk,
  type ChatRequest,
  type ModelInfo,
} from '../../core/index.js';
import { mockEmbeddings } from './embeddings.js';
import { countWords, lastUserText, lorem, messageText, pieces } from './text.js';
import { toolCallChunks, wantedTool } from './tools.js';

interface MockOptions {
  chunkDelayMs: number;
  firstByteLatencyMs: number;
  loremWords: number;
  embeddingDimensions: number;
}

const MODELS: ModelInfo[] = [
  { id: 'echo', owned_by: 'switchboard-mock', description: 'repeats the last user message' },
  { id: 'lorem', owned_by: 'switchboard-mock', description: 'streams lorem ipsum, max_tokens words' },
  { id: 'embed', owned_by: 'switchboard-mock', description: 'deterministic embeddings' },
];

/**
 * A deterministic, offline provider for the out-of-the-box config, demos, benchmarks and client
 * development. Nothing it says comes from a model: `echo` repeats, `lorem` recites.
 */
export default defineProvider<MockOptions>({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'mock',
  optionsSchema: {
    type: 'object',
    properties: {
      chunkDelayMs: { type: 'integer', minimum: 0, default: 0 },
      firstByteLatencyMs: { type: 'integer', minimum: 0, default: 0 },
      loremWords: { type: 'integer', minimum: 1, default: 50 },
      embeddingDimensions: { type: 'integer', minimum: 1, maximum: 8192, default: 256 },
    },
  },
  create({ options }) {
    return {
      listModels: () => MODELS,
      chat: (request, call) => stream(request, call, options),
      embeddings: async (request) => mockEmbeddings(request, options.embeddingDimensions),
    };
  },
});

async function* stream(request: ChatRequest, call: CallContext, o: MockOptions): AsyncGenerator<ChatChunk> {
  const words = answer(request, call.model, o);
  const limit = request.max_completion_tokens ?? request.max_tokens ?? Infinity;
  const base = { id: completionId(), created: nowSeconds(), model: call.model };
  const pause = async (ms: number) => {
    if (ms > 0) await sleep(ms, undefined, { signal: call.signal.toAbortSignal() });
    call.signal.throwIfAborted();
  };

  await pause(o.firstByteLatencyMs);
  yield makeChunk(base, { role: 'assistant', content: '' });
  let finish = 'stop';
  let sent = 0;
  const tool = wantedTool(request);
  if (tool) {
    for (const c of toolCallChunks(base, tool, lastUserText(request))) {
      await pause(o.chunkDelayMs);
      yield c;
    }
    finish = 'tool_calls';
  } else {
    for (const w of words) {
      if (sent >= limit) {
        finish = 'length';
        break;
      }
      await pause(o.chunkDelayMs);
      yield makeChunk(base, { content: w });
      sent++;
    }
  }
  yield finishChunk(base, finish);
  if (!request.stream || request.stream_options?.include_usage) {
    const prompt = request.messages.reduce((n, m) => n + countWords(messageText(m)), 0);
    yield usageChunk(base, { prompt_tokens: prompt, completion_tokens: sent, total_tokens: prompt + sent });
  }
}

function answer(request: ChatRequest, model: string, o: MockOptions): string[] {
  if (model === 'echo') return pieces(lastUserText(request));
  if (model === 'lorem') return lorem(request.max_completion_tokens ?? request.max_tokens ?? o.loremWords);
  throw new UpstreamError(`mock model ${model} not found`, {
    status: 404,
    body: JSON.stringify({
      error: { message: `The mock provider has no chat model '${model}' (it has echo and lorem).`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    }),
  });
}
