/**
 * JSON schemas for `/v1/messages`: the shapes Anthropic documents, strictly enough that a bad body
 * is a 400 naming the field (`messages[0].content[1].source.data`), loosely enough that fields
 * this version does not know pass (and are then dropped, see request.ts).
 */
const cacheControl = { type: 'object', required: ['type'], properties: { type: { type: 'string' } } };

const textBlock = { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' }, cache_control: cacheControl } };

const imageSource = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['base64', 'url'] }, media_type: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' } },
  allOf: [
    { if: { properties: { type: { const: 'base64' } } }, then: { required: ['media_type', 'data'], properties: { media_type: { enum: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] } } } },
    { if: { properties: { type: { const: 'url' } } }, then: { required: ['url'], properties: { url: { type: 'string', minLength: 1 } } } },
  ],
};

/** One `then` per block type: ajv reports the first field the block lacks or gets wrong. */
const when = (type: string, then: Record<string, unknown>) => ({ if: { properties: { type: { const: type } } }, then });

const block = {
  type: 'object',
  required: ['type'],
  properties: {
    // Any type: an upstream that speaks Messages takes block types newer than this version, and
    // the translation for other targets refuses what it does not know, naming the block.
    type: { type: 'string', minLength: 1 },
    cache_control: cacheControl,
  },
  allOf: [
    when('text', { required: ['text'], properties: { text: { type: 'string' } } }),
    when('image', { required: ['source'], properties: { source: imageSource } }),
    when('tool_use', { required: ['id', 'name', 'input'], properties: { id: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, input: { type: 'object' } } }),
    when('tool_result', {
      required: ['tool_use_id'],
      properties: {
        tool_use_id: { type: 'string', minLength: 1 },
        is_error: { type: 'boolean' },
        content: {
          type: ['string', 'array'],
          items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } }, allOf: [when('text', { required: ['text'], properties: { text: { type: 'string' } } }), when('image', { required: ['source'], properties: { source: imageSource } })] },
        },
      },
    }),
    when('thinking', { required: ['thinking'], properties: { thinking: { type: 'string' }, signature: { type: 'string' } } }),
    when('redacted_thinking', { required: ['data'], properties: { data: { type: 'string' } } }),
  ],
};

const message = {
  type: 'object',
  required: ['role', 'content'],
  properties: {
    // Anthropic has only user and assistant; Claude Code also sends a system message, folded in.
    role: { enum: ['user', 'assistant', 'system'] },
    content: { type: ['string', 'array'], items: block },
  },
};

const tool = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: { type: 'string' },
    input_schema: { type: 'object' },
    type: { type: 'string' },
    cache_control: cacheControl,
  },
  // Custom tools need a schema; Anthropic's own tool types (refused in request.ts) do not.
  if: { not: { required: ['type'] } },
  then: { required: ['input_schema'] },
};

// Structured outputs: `output_config.format`, and `output_format` as the beta had it.
const outputFormat = { type: ['object', 'null'], required: ['type', 'schema'], properties: { type: { const: 'json_schema' }, schema: { type: 'object' } } };

const properties = {
  model: { type: 'string', minLength: 1 },
  messages: { type: 'array', minItems: 1, items: message },
  system: { type: ['string', 'array'], items: textBlock },
  stop_sequences: { type: 'array', items: { type: 'string' } },
  stream: { type: 'boolean' },
  temperature: { type: 'number', minimum: 0, maximum: 1 },
  top_p: { type: 'number', minimum: 0, maximum: 1 },
  top_k: { type: 'integer', minimum: 0 },
  metadata: { type: 'object', properties: { user_id: { type: ['string', 'null'] } } },
  tools: { type: 'array', items: tool },
  tool_choice: {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: ['auto', 'any', 'tool', 'none'] }, name: { type: 'string' }, disable_parallel_tool_use: { type: 'boolean' } },
    if: { properties: { type: { const: 'tool' } } },
    then: { required: ['name'] },
  },
  thinking: {
    type: 'object',
    required: ['type'],
    properties: { type: { enum: ['enabled', 'disabled', 'adaptive'] }, budget_tokens: { type: 'integer', minimum: 1024 } },
    if: { properties: { type: { const: 'enabled' } } },
    then: { required: ['budget_tokens'] },
  },
  output_config: { type: 'object', properties: { format: outputFormat } },
  output_format: outputFormat,
};

export const messagesBodySchema = {
  type: 'object',
  required: ['model', 'max_tokens', 'messages'],
  properties: { ...properties, max_tokens: { type: 'integer', minimum: 1 } },
} as const;

/** count_tokens takes the same body without `max_tokens`. */
export const countTokensBodySchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties,
} as const;
