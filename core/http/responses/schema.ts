/**
 * The JSON schema of `POST /v1/responses`: the types the front door relies on and OpenAI would
 * reject, each failure a 400 naming the field. Input items are checked while they are translated
 * (input.ts), where the message can name `input[3].content[0].type`.
 */
const nullable = (type: string) => ({ type: [type, 'null'] });

const textFormat = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { enum: ['text', 'json_object', 'json_schema'] },
    name: { type: 'string', minLength: 1 },
    schema: { type: 'object' },
    strict: nullable('boolean'),
    description: { type: 'string' },
  },
  if: { properties: { type: { const: 'json_schema' } } },
  then: { required: ['name', 'schema'] },
} as const;

export const responsesBodySchema = {
  type: 'object',
  required: ['model'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { type: ['string', 'array'], items: { type: 'object' } },
    instructions: nullable('string'),
    tools: { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' }, name: { type: 'string' } } } },
    tool_choice: {
      anyOf: [
        { enum: ['auto', 'none', 'required'] },
        { type: 'object', required: ['type'], properties: { type: { type: 'string' }, name: { type: 'string' } } },
      ],
    },
    parallel_tool_calls: nullable('boolean'),
    max_output_tokens: { type: ['integer', 'null'], minimum: 1 },
    temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
    top_p: { type: ['number', 'null'], minimum: 0, maximum: 1 },
    top_logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 20 },
    text: { type: ['object', 'null'], properties: { format: textFormat, verbosity: nullable('string') } },
    reasoning: { type: ['object', 'null'], properties: { effort: nullable('string'), summary: nullable('string') } },
    metadata: { type: ['object', 'null'], maxProperties: 16, additionalProperties: { type: 'string', maxLength: 512 } },
    user: { type: 'string' },
    stream: nullable('boolean'),
    store: nullable('boolean'),
    previous_response_id: nullable('string'),
    background: nullable('boolean'),
    include: { type: ['array', 'null'], items: { type: 'string' } },
    truncation: { enum: ['auto', 'disabled', null] },
  },
} as const;
