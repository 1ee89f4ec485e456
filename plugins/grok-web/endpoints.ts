import type { Agent } from 'undici';
import {
  GatewayError,
  UpstreamError,
  completionId,
  nowSeconds,
  usageChunk,
  type CallContext,
  type ChatChunk,
  type ChatRequest,
  type ImageRequest,
  type ImagesResponse,
} from '../../core/index.js';
import type { GrokClient } from './client.js';
import { converse } from './conversation.js';
import type { GeneratedImages } from './generated-images.js';
import { prepareMessage, type MessageOptions } from './message.js';
import type { GrokModel } from './models.js';
import { GrokTranslator, type ThinkingMode } from './translate.js';

export interface EndpointOptions extends MessageOptions {
  temporary: boolean;
  customInstruction?: string;
  thinking: ThinkingMode;
  filteredTags: string[];
  /** Images a chat answer asks Grok for. */
  imageCount: number;
  showSearchSources: boolean;
}

/** Grok makes at most this many images per conversation (`imageGenerationCount`). */
const MAX_IMAGES_PER_CALL = 4;

/** Rough token count for usage Grok does not report (marked `estimated`). */
const estimate = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/**
 * What the plugin serves, as conversations: a chat completion is one (its chunks, the generated
 * images linked at the end, an estimated usage); an image generation is as many as `n` needs.
 */
export class GrokEndpoints {
  constructor(
    private readonly client: GrokClient,
    private readonly models: ReadonlyMap<string, GrokModel>,
    private readonly generated: GeneratedImages,
    private readonly options: EndpointOptions,
    private readonly imageAgent: Agent,
  ) {}

  async *chat(request: ChatRequest, call: CallContext): AsyncGenerator<ChatChunk> {
    const model = this.#model(request.model);
    const { message, files } = await prepareMessage(this.client, request, call, this.options, this.imageAgent);
    const hide = (request as { reasoning_effort?: string }).reasoning_effort === 'none';
    const id = completionId();
    const t = this.#translator(model, id, hide ? 'hide' : this.options.thinking);
    yield* converse(this.client, t, model, this.#input(message, files, this.options.imageCount), call, this.options.chatTransport);
    if (!t.done && !t.text && !t.images.length) throw UpstreamError.malformed('Grok ended the answer without a word');
    yield* t.finish(t.images.length ? await this.generated.links(t.images, call) : []);
    if (request.stream_options?.include_usage || !request.stream) {
      const prompt = estimate(message);
      const completion = estimate(t.text + t.reasoning);
      const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, estimated: true };
      yield usageChunk({ id, created: nowSeconds(), model: model.id }, usage);
    }
  }

  /** `/v1/images/generations`: conversations on the image model until `n` images (at most 4 each). */
  async images(request: ImageRequest, call: CallContext): Promise<ImagesResponse> {
    const model = this.#model(request.model);
    if (!model.image) {
      const which = [...this.models.values()].filter((m) => m.image).map((m) => m.id);
      throw new GatewayError('SWB_ERR_UNSUPPORTED_OPERATION', `${model.id} does not generate images; use ${which.join(' or ') || 'an image model'}`, { param: 'model' });
    }
    const n = request.n ?? 1;
    const made: string[] = [];
    for (let round = 0; made.length < n && round < Math.ceil(n / MAX_IMAGES_PER_CALL); round++) {
      const t = this.#translator(model, '', 'hide');
      const input = this.#input(request.prompt, [], Math.min(MAX_IMAGES_PER_CALL, n - made.length));
      for await (const _ of converse(this.client, t, model, input, call, this.options.chatTransport));
      made.push(...t.images);
    }
    if (!made.length) throw new GatewayError('SWB_ERR_CONTENT_POLICY', 'Grok withheld every image it made for this prompt (moderated).', { param: 'prompt' });
    return { created: nowSeconds(), data: await this.generated.generated(made.slice(0, n), call, request.response_format ?? 'url') };
  }

  #model(id: string): GrokModel {
    const model = this.models.get(id);
    if (!model) throw new UpstreamError(`unknown Grok model ${id}`, { status: 404, body: JSON.stringify({ error: { message: `Unknown model: ${id}` } }) });
    return model;
  }

  #translator(model: GrokModel, id: string, thinking: ThinkingMode): GrokTranslator {
    const { filteredTags, showSearchSources } = this.options;
    return new GrokTranslator({ id, created: nowSeconds(), model: model.id }, { thinking, filteredTags, showSearchSources });
  }

  #input(message: string, files: string[], imageCount: number) {
    return { message, files, imageCount, temporary: this.options.temporary, customInstruction: this.options.customInstruction };
  }
}
