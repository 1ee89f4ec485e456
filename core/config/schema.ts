import type { JsonSchema } from '../contract/provider.js';

/**
 * JSON Schema of config.yaml's core keys. `expected` is our own annotation: when a union fails,
 * the validator reports it instead of every branch's complaint.
 */
const secret = { type: 'string' };
const fileRef = {
  type: 'object',
  properties: { file: { type: 'string', minLength: 1 } },
  required: ['file'],
  additionalProperties: false,
};
const envRef = {
  type: 'object',
  properties: { env: { type: 'string', minLength: 1 } },
  required: ['env'],
  additionalProperties: false,
};
const credentialObject = {
  type: 'object',
  properties: {
    value: { type: 'string' },
    /** The same as `value` (`auth.apiKeys: [{ key, name }]` reads better). */
    key: { type: 'string' },
    file: { type: 'string', minLength: 1 },
    env: { type: 'string', minLength: 1 },
    name: { type: 'string', minLength: 1 },
    tier: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    note: { type: 'string' },
  },
  additionalProperties: false,
};

/** A list of secrets: inline strings, `{ file }`, `{ env }` or `{ value, name, ... }` items. */
export const secretListSchema: JsonSchema = {
  expected: 'a string, a list, { file: path } or { env: NAME }',
  anyOf: [
    secret,
    fileRef,
    envRef,
    {
      type: 'array',
      items: { expected: 'a string or { value | key | file | env, name, tier, tags, note }', anyOf: [secret, credentialObject] },
    },
  ],
};

const timeouts = {
  type: 'object',
  properties: {
    firstByteMs: { type: 'integer', minimum: 1 },
    idleMs: { type: 'integer', minimum: 1 },
    totalMs: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
};

const modelEntry = {
  expected: 'a model id or { id, owned_by }',
  anyOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      properties: { id: { type: 'string', minLength: 1 }, owned_by: { type: 'string' }, created: { type: 'integer' }, aliases: { type: 'array', items: { type: 'string' } } },
      required: ['id'],
      // Strict: a plugin's own catalogue written here by mistake is refused, not listed as ids.
      additionalProperties: false,
      hint: "models: lists ids only; a provider's own model catalogue (how each model is called) goes under catalog:",
    },
  ],
};

const ms = { type: 'integer', minimum: 0 };
const count = { type: 'integer', minimum: 0 };

const pool = {
  type: 'object',
  properties: {
    strategy: { enum: ['round-robin', 'least-used', 'quota-aware', 'random'] },
    waitForCooldownMs: ms,
    rateLimitScope: { enum: ['model', 'credential'] },
  },
  additionalProperties: false,
};

const throttle = {
  type: 'object',
  properties: {
    minIntervalMs: ms,
    scope: { enum: ['credential', 'model'] },
    maxConcurrent: count,
    queueLimit: count,
    queueTimeoutMs: { type: 'integer', minimum: 1 },
    windows: {
      type: 'array',
      maxItems: 4,
      items: {
        type: 'object',
        properties: { requests: { type: 'integer', minimum: 1 }, windowMs: { type: 'integer', minimum: 1000 } },
        required: ['requests', 'windowMs'],
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
};

const cooldowns = {
  type: 'object',
  properties: { transientSkipRequests: count, rateLimitedMs: ms, quotaExhaustedMs: ms, disableAfterClientErrors: count },
  additionalProperties: false,
};

const retry = {
  type: 'object',
  properties: { attempts: { type: 'integer', minimum: 1, maximum: 20 }, initialDelayMs: ms, maxDelayMs: ms },
  additionalProperties: false,
};

const breaker = {
  type: 'object',
  properties: {
    type: { enum: ['consecutive', 'sampling'] },
    consecutiveFailures: { type: 'integer', minimum: 1 },
    threshold: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    samplingDurationMs: { type: 'integer', minimum: 1000 },
    minimumRps: { type: 'number', minimum: 0 },
    halfOpenAfterMs: { type: 'integer', minimum: 1 },
    goneRecoveryMs: { type: 'integer', minimum: 1 },
  },
  additionalProperties: false,
};

const bulkhead = {
  type: 'object',
  properties: { maxConcurrent: count, queue: count },
  additionalProperties: false,
};

/** Keys every `providers[]` entry may have; the rest belong to the plugin's own schema. */
export const providerCoreProperties: Record<string, JsonSchema> = {
  id: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
  plugin: { type: 'string', minLength: 1 },
  enabled: { type: 'boolean', default: true },
  apiKey: { type: 'string' },
  credentials: secretListSchema,
  timeouts,
  models: { type: 'array', items: modelEntry },
  modelsCacheTtlMs: { type: 'integer', minimum: 0, default: 600_000 },
  pool,
  throttle,
  cooldowns,
  retry,
  breaker,
  bulkhead,
};

const target = {
  expected: '"provider/model" or { provider, model }',
  anyOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      properties: { provider: { type: 'string', minLength: 1 }, model: { type: 'string', minLength: 1 } },
      required: ['provider', 'model'],
      additionalProperties: false,
    },
  ],
};

/** What `server.logLevel`, `LOG_LEVEL` and `--log-level` accept (pino's levels). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema: JsonSchema = {
  type: 'object',
  properties: {
    server: {
      type: 'object',
      properties: {
        host: { type: 'string', minLength: 1, default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8000 },
        bodyLimit: { type: 'integer', minimum: 1024, default: 20 * 1024 * 1024 },
        logLevel: { enum: [...LOG_LEVELS], default: 'info' },
        accessLog: { type: 'boolean', default: true },
        trustProxy: { type: 'boolean', default: false },
        shutdownGraceMs: { type: 'integer', minimum: 0, default: 10_000 },
        cors: {
          type: 'object',
          properties: {
            // Each entry's form is checked in load.ts, which can say what an origin looks like.
            origins: { expected: '"*" or a list of origins', anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: false,
      default: {},
    },
    auth: {
      type: 'object',
      properties: {
        apiKeys: secretListSchema,
        adminKey: secretListSchema,
      },
      additionalProperties: false,
      default: {},
    },
    state: {
      type: 'object',
      properties: {
        driver: { enum: ['file', 'memory', 'redis'], default: 'file' },
        path: { type: 'string', minLength: 1, default: './data/state.json' },
        debounceMs: { type: 'integer', minimum: 0, default: 1000 },
        url: { type: 'string', pattern: '^rediss?://' },
        keyPrefix: { type: 'string', default: 'switchboard:' },
        connectTimeoutMs: { type: 'integer', minimum: 1, default: 2000 },
        syncIntervalMs: { type: 'integer', minimum: 20, maximum: 60000, default: 500 },
        commandTimeoutMs: { type: 'integer', minimum: 1, default: 500 },
      },
      additionalProperties: false,
      default: {},
    },
    responses: {
      type: 'object',
      properties: {
        ttlHours: { type: 'number', exclusiveMinimum: 0, default: 720 },
        maxStored: { type: 'integer', minimum: 0, default: 1000 },
      },
      additionalProperties: false,
      default: {},
    },
    usage: {
      type: 'object',
      properties: {
        retentionDays: { type: 'integer', minimum: 1, maximum: 3660, default: 30 },
      },
      additionalProperties: false,
      default: {},
    },
    providers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: providerCoreProperties,
        required: ['id', 'plugin'],
        additionalProperties: true,
      },
    },
    models: {
      type: 'object',
      additionalProperties: {
        expected: '"provider/model", a list of them, or { targets: [...], description }',
        anyOf: [
          target,
          { type: 'array', minItems: 1, items: target },
          {
            type: 'object',
            properties: {
              targets: { type: 'array', minItems: 1, items: target },
              description: { type: 'string' },
            },
            required: ['targets'],
            additionalProperties: false,
          },
        ],
      },
      default: {},
    },
    plugins: {
      type: 'object',
      additionalProperties: { expected: 'an options object, true or null', type: ['object', 'boolean', 'null'] },
      default: {},
    },
  },
  required: ['providers'],
  additionalProperties: false,
};
