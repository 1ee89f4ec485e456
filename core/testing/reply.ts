import type { Reply } from './upstream.js';

/** The reply a scripted fake gives when a scenario names none: fixed, so every check can predict it. */
export const DEFAULT_REPLY: Reply = {
  pieces: ['Conformance', ' check', ' passed', ' — ', 'all', ' good.'],
  finishReason: 'stop',
  usage: { promptTokens: 11, completionTokens: 6 },
};

/** A reply that calls one tool, for providers that translate tool calls. */
export const TOOL_REPLY: Reply = {
  pieces: [],
  toolCalls: [{ id: 'call_conformance_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }],
  finishReason: 'tool_calls',
  usage: { promptTokens: 23, completionTokens: 9 },
};

/** The tool the kit offers when it asks for TOOL_REPLY (the request must declare it for most upstreams). */
export const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
  },
} as const;

/** A long reply for the abort check: a stream that would run for `pieces × delay`, unless abandoned. */
export function longReply(pieces = 200): Reply {
  return {
    pieces: Array.from({ length: pieces }, (_, i) => (i ? ` word${i}` : 'word0')),
    finishReason: 'stop',
    usage: { promptTokens: 11, completionTokens: pieces },
  };
}

/** The reply's whole text. */
export const replyText = (r: Reply): string => r.pieces.join('');
