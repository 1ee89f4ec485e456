/**
 * JSON schemas for the OpenAI front door. They check what Switchboard itself relies on and the
 * types OpenAI would reject, and let every other field through to the upstream untouched.
 */
const nullable = (type: string | string[]) => ({ type: [...(Array.isArray(type) ? type : [type]), 'null'] });

const stop = { type: ['string', 'array', 'null'], items: { type: 'string' }, maxItems: 4 };

export const chatBodySchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] },
          content: { type: ['string', 'array', 'null'] },
          name: { type: 'string' },
          tool_calls: { type: 'array' },
          tool_call_id: { type: 'string' },
        },
      },
    },
    stream: nullable('boolean'),
    stream_options: { type: ['object', 'null'], properties: { include_usage: { type: 'boolean' } } },
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 128 },
    max_tokens: { type: ['integer', 'null'], minimum: 1 },
    max_completion_tokens: { type: ['integer', 'null'], minimum: 1 },
    stop,
    presence_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    frequency_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    tools: { type: 'array', items: { type: 'object', required: ['type'] } },
    tool_choice: { type: ['string', 'object'] },
    response_format: { type: 'object', required: ['type'] },
    user: { type: 'string' },
    seed: nullable('integer'),
    logprobs: nullable('boolean'),
  },
} as const;

export const completionsBodySchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model: { type: 'string', minLength: 1 },
    prompt: {
      anyOf: [{ type: 'string' }, { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string' } }],
    },
    suffix: nullable('string'),
    echo: nullable('boolean'),
    stream: nullable('boolean'),
    stream_options: { type: ['object', 'null'], properties: { include_usage: { type: 'boolean' } } },
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 1 },
    best_of: { type: ['integer', 'null'], minimum: 1, maximum: 1 },
    // the legacy API's logprobs is a count of top tokens, not chat's boolean
    logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 5 },
    max_tokens: { type: ['integer', 'null'], minimum: 1 },
    stop,
    presence_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    frequency_penalty: { type: ['number', 'null'], minimum: -2, maximum: 2 },
    logit_bias: { type: ['object', 'null'], additionalProperties: { type: 'number', minimum: -100, maximum: 100 } },
    seed: nullable('integer'),
    user: { type: 'string' },
  },
} as const;

export const embeddingsBodySchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: {
      anyOf: [
        { type: 'string' },
        { type: 'array', minItems: 1, items: { type: 'string' } },
        { type: 'array', minItems: 1, items: { type: 'integer' } },
        { type: 'array', minItems: 1, items: { type: 'array', items: { type: 'integer' } } },
      ],
    },
    encoding_format: { enum: ['float', 'base64'] },
    dimensions: { type: 'integer', minimum: 1 },
    user: { type: 'string' },
  },
} as const;

export const imagesBodySchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model: { type: 'string', minLength: 1 },
    prompt: { type: 'string', minLength: 1 },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 10 },
    response_format: { enum: ['url', 'b64_json', null] },
    size: { type: ['string', 'null'] },
    quality: { type: ['string', 'null'] },
    style: { type: ['string', 'null'] },
    user: { type: 'string' },
  },
} as const;
