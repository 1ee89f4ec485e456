import { branded } from '../contract/brand.js';
import { ERRORS, type ErrorId } from './registry.js';

export interface ErrorEnvelope {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface GatewayErrorOptions {
  param?: string | null;
  /** Overrides the registry (used to pass an upstream's own 4xx through). */
  status?: number;
  type?: string;
  code?: string | null;
  /** Extra response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
}

const BRAND = branded('GatewayError');

/** An error meant for the client: it knows its status and renders as the OpenAI envelope. */
export class GatewayError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return BRAND.is(value);
  }

  readonly [BRAND.mark] = true;
  readonly id: ErrorId;
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string> | undefined;

  constructor(id: ErrorId, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const spec: { status?: number; type?: string; code?: string | null } = ERRORS[id];
    this.name = 'GatewayError';
    this.id = id;
    this.status = options.status ?? spec.status ?? 500;
    this.type = options.type ?? spec.type ?? 'server_error';
    this.code = options.code !== undefined ? options.code : (spec.code ?? null);
    this.param = options.param ?? null;
    this.headers = options.headers;
  }

  toEnvelope(): ErrorEnvelope {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A fatal start-up problem (config, plugin loading); `lines` are shown one per line. */
export class StartupError extends Error {
  constructor(
    readonly id: ErrorId,
    message: string,
    readonly lines: readonly string[] = [],
  ) {
    super(lines.length ? `${message}\n${lines.join('\n')}` : message);
    this.name = 'StartupError';
    this.#headline = message;
  }

  readonly #headline: string;

  /** The message on one line, for an API answer: `x is not valid YAML: line 27, column 3: ...; ...`. */
  oneLine(): string {
    if (!this.lines.length) return this.#headline;
    const head = this.#headline.endsWith(':') ? this.#headline : `${this.#headline}:`;
    return `${head} ${this.lines.join('; ')}`;
  }
}
