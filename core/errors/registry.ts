/**
 * Every error Switchboard can produce, in one place. HTTP errors become the OpenAI envelope
 * `{"error":{"message","type","param","code"}}`; start-up errors stop the process. Each id is
 * documented in docs/errors.md (a test enforces it).
 */
export interface ErrorSpec {
  /** HTTP status; absent for start-up errors. */
  status?: number;
  /** OpenAI `error.type`. */
  type?: string;
  /** OpenAI `error.code`. */
  code?: string | null;
}

/** nginx's status for "the client closed the connection before the answer": logs, metrics, usage. */
export const CLIENT_CLOSED = 499;

export const ERRORS = {
  SWB_ERR_INVALID_JSON: { status: 400, type: 'invalid_request_error', code: 'invalid_json' },
  SWB_ERR_MISSING_PARAM: { status: 400, type: 'invalid_request_error', code: 'missing_required_parameter' },
  SWB_ERR_INVALID_TYPE: { status: 400, type: 'invalid_request_error', code: 'invalid_type' },
  SWB_ERR_INVALID_VALUE: { status: 400, type: 'invalid_request_error', code: 'invalid_value' },
  SWB_ERR_UNSUPPORTED_OPERATION: { status: 400, type: 'invalid_request_error', code: 'unsupported_operation' },
  SWB_ERR_UNSUPPORTED_TOOL: { status: 400, type: 'invalid_request_error', code: 'unsupported_tool' },
  SWB_ERR_UNSUPPORTED_CONTENT: { status: 400, type: 'invalid_request_error', code: 'unsupported_content' },
  SWB_ERR_MISSING_API_KEY: { status: 401, type: 'invalid_request_error', code: 'missing_api_key' },
  SWB_ERR_INVALID_API_KEY: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  SWB_ERR_MODEL_ACCESS_DENIED: { status: 403, type: 'permission_error', code: 'model_access_denied' },
  SWB_ERR_LOGIN_FAILED: { status: 401, type: 'invalid_request_error', code: 'invalid_admin_key' },
  SWB_ERR_CSRF: { status: 403, type: 'permission_error', code: 'csrf_check_failed' },
  SWB_ERR_TOO_MANY_LOGINS: { status: 429, type: 'rate_limit_error', code: 'too_many_login_attempts' },
  SWB_ERR_UNKNOWN_URL: { status: 404, type: 'invalid_request_error', code: 'unknown_url' },
  SWB_ERR_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'model_not_found' },
  SWB_ERR_FILE_NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'file_not_found' },
  SWB_ERR_RESPONSE_NOT_FOUND: { status: 404, type: 'invalid_request_error', code: 'response_not_found' },
  SWB_ERR_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', code: 'request_too_large' },
  SWB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error', code: 'unsupported_media_type' },
  SWB_ERR_BAD_URL: { status: 400, type: 'invalid_request_error', code: 'invalid_url' },
  SWB_ERR_BAD_REQUEST: { status: 400, type: 'invalid_request_error', code: 'bad_request' },
  SWB_ERR_REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', code: 'request_timeout' },
  SWB_ERR_UPGRADE_REQUIRED: { status: 426, type: 'invalid_request_error', code: 'upgrade_required' },
  SWB_ERR_URL_TOO_LONG: { status: 414, type: 'invalid_request_error', code: 'url_too_long' },
  SWB_ERR_HEADERS_TOO_LARGE: { status: 431, type: 'invalid_request_error', code: 'headers_too_large' },
  SWB_ERR_CONTENT_POLICY: { status: 400, type: 'invalid_request_error', code: 'content_policy_violation' },
  SWB_ERR_UPSTREAM_REJECTED: { status: 400, type: 'invalid_request_error', code: null },
  SWB_ERR_UPSTREAM_RATE_LIMITED: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  SWB_ERR_CREDENTIALS_EXHAUSTED: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  SWB_ERR_QUEUE_FULL: { status: 429, type: 'rate_limit_error', code: 'queue_full' },
  SWB_ERR_INTERNAL: { status: 500, type: 'server_error', code: 'internal_error' },
  SWB_ERR_UPSTREAM_ERROR: { status: 502, type: 'upstream_error', code: 'upstream_error' },
  SWB_ERR_BAD_UPSTREAM_RESPONSE: { status: 502, type: 'upstream_error', code: 'bad_upstream_response' },
  SWB_ERR_NO_UPSTREAM: { status: 503, type: 'service_unavailable', code: 'no_upstream_available' },
  SWB_ERR_NOT_READY: { status: 503, type: 'service_unavailable', code: 'not_ready' },
  SWB_ERR_CIRCUIT_OPEN: { status: 503, type: 'service_unavailable', code: 'circuit_open' },
  SWB_ERR_QUEUE_TIMEOUT: { status: 503, type: 'service_unavailable', code: 'queue_timeout' },
  SWB_ERR_PROVIDER_BUSY: { status: 503, type: 'service_unavailable', code: 'provider_busy' },
  SWB_ERR_NO_CREDENTIALS: { status: 503, type: 'service_unavailable', code: 'no_credentials' },
  SWB_ERR_STATE_UNAVAILABLE: { status: 503, type: 'service_unavailable', code: 'state_unavailable' },
  SWB_ERR_AMBIGUOUS_TOKEN: { status: 409, type: 'invalid_request_error', code: 'ambiguous_token' },
  SWB_ERR_SHUTTING_DOWN: { status: 503, type: 'service_unavailable', code: 'server_shutting_down' },
  SWB_ERR_UPSTREAM_TIMEOUT: { status: 504, type: 'timeout_error', code: 'upstream_timeout' },
  SWB_ERR_CONFIG_INVALID: {},
  SWB_ERR_CONFIG_UNREADABLE: {},
  SWB_ERR_PLUGIN_LOAD: {},
  SWB_ERR_PLUGIN_CONTRACT: {},
  SWB_ERR_LISTEN: {},
  SWB_ERR_REDIS_UNREACHABLE: {},
} as const satisfies Record<string, ErrorSpec>;

export type ErrorId = keyof typeof ERRORS;
