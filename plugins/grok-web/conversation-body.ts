import type { GrokModel } from './models.js';

export interface ConversationInput {
  message: string;
  /** Ids of uploaded files and images. */
  files: string[];
  imageCount: number;
  temporary: boolean;
  customInstruction?: string;
}

/**
 * The body of `POST /rest/app-chat/conversations/new` (reference §3): the fields every client
 * sends, then the model's dialect: v2 names a mode, v1 a model name and mode. Image models get the
 * `Drawing:` prefix that makes Grok draw.
 */
export function conversationBody(model: GrokModel, input: ConversationInput): Record<string, unknown> {
  const common = {
    message: model.image ? `Drawing: ${input.message}` : input.message,
    fileAttachments: input.files,
    imageAttachments: [],
    temporary: input.temporary,
    disableMemory: input.temporary,
    disableSearch: false,
    enableImageGeneration: true,
    enableImageStreaming: true,
    imageGenerationCount: input.imageCount,
    returnImageBytes: false,
    returnRawGrokInXaiRequest: false,
    forceConcise: false,
    enableSideBySide: true,
    sendFinalMetadata: true,
    disableTextFollowUps: false,
    isAsyncChat: false,
    responseMetadata: {},
    toolOverrides: {},
    ...(input.customInstruction ? { customPersonality: input.customInstruction } : {}),
  };
  if (model.dialect === 'v2') return { ...common, modeId: model.modeId ?? 'auto' };
  return { ...common, modelName: model.modelName ?? model.id, modelMode: model.modelMode, isReasoning: Boolean(model.reasoning), webpageUrls: [] };
}
