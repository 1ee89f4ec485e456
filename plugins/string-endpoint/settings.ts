/** The plugin's options as `config.yaml` gives them (`plugins: { string-endpoint: {...} }`). */
export interface StringEndpointOptions {
  /** The model used when a request names none. */
  model?: string;
  /** Longest prompt accepted, in characters (code points). */
  maxChars?: number;
  /** A system message sent before every prompt. */
  system?: string;
}

/** The options with defaults applied. */
export interface Settings {
  model: string | undefined;
  maxChars: number;
  system: string | undefined;
}

export const DEFAULT_MAX_CHARS = 100_000;

export const optionsSchema = {
  type: 'object',
  properties: {
    model: { type: 'string', minLength: 1 },
    maxChars: { type: 'integer', minimum: 1, default: DEFAULT_MAX_CHARS },
    system: { type: 'string' },
  },
  additionalProperties: false,
};

/** Defaults applied here too: the loader applies the schema's, but `register` may be called directly. */
export function settingsOf(opts: StringEndpointOptions | undefined): Settings {
  return {
    model: opts?.model || undefined,
    maxChars: opts?.maxChars ?? DEFAULT_MAX_CHARS,
    system: opts?.system || undefined,
  };
}
