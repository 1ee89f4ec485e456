// Talking to Switchboard: same origin, cookie session, the CSRF token on every change, errors in
// the OpenAI envelope shown as toasts, and any 401 sends the browser back to the sign-in page.
import { h } from './dom.js';

let csrfToken = null;
let expiresAt = null;

export class ApiError extends Error {
  constructor(status, message, code, param) {
    super(message);
    this.status = status;
    this.code = code ?? null;
    this.param = param ?? null;
  }
}

function toLogin() {
  if (document.body.dataset.leaving === '1') return;
  document.body.dataset.leaving = '1';
  location.href = '/admin';
}

/** Fetch the session's CSRF token (once, at start). */
export async function startSession() {
  const s = await api('GET', '/v1/admin/session', undefined, { quiet: true });
  csrfToken = s.csrfToken;
  expiresAt = s.expiresAt;
  return s;
}

export function session() {
  return { csrfToken, expiresAt };
}

export function headers(method, extra = {}) {
  const out = { accept: 'application/json', ...extra };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) out['x-csrf-token'] = csrfToken;
  return out;
}

async function readError(res) {
  let message = `HTTP ${res.status} ${res.statusText || ''}`.trim();
  let code;
  let param;
  try {
    const text = await res.text();
    try {
      const body = JSON.parse(text);
      if (body && body.error) {
        if (typeof body.error.message === 'string') message = body.error.message;
        code = body.error.code;
        param = body.error.param;
      }
    } catch {
      if (text) message = `${message}: ${text.slice(0, 200)}`;
    }
  } catch {
    // body unreadable: keep the status line
  }
  return new ApiError(res.status, message, code, param);
}

/**
 * One JSON call. Throws ApiError on a non-2xx answer (after showing it, unless `quiet`).
 * `raw: true` answers the Response itself (for streams), still after the error handling.
 */
export async function api(method, path, body, opts = {}) {
  const init = { method, credentials: 'same-origin', headers: headers(method), signal: opts.signal };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  } else if (method === 'POST') {
    init.headers['content-type'] = 'application/json';
    init.body = '{}';
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    const e = new ApiError(0, `Could not reach Switchboard: ${err instanceof Error ? err.message : String(err)}`);
    if (!opts.quiet) toast(e.message, 'error');
    throw e;
  }
  if (res.status === 401) {
    toLogin();
    throw new ApiError(401, 'The session has ended: sign in again.');
  }
  if (!res.ok) {
    const e = await readError(res);
    if (!opts.quiet) toast(e.message, 'error');
    throw e;
  }
  if (opts.raw) return res;
  const text = await res.text();
  return text ? JSON.parse(text) : {};
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

export async function logout() {
  try {
    await fetch('/admin/logout', { method: 'POST', credentials: 'same-origin', headers: headers('POST', { 'content-type': 'application/json' }), body: '{}' });
  } finally {
    location.href = '/admin';
  }
}

// Toasts: errors stay until dismissed; others fade after a few seconds.
export function toast(message, kind = 'info', { timeout } = {}) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h(
    'div',
    { class: ['toast', kind], role: kind === 'error' ? 'alert' : 'status', 'data-testid': kind === 'error' ? 'toast-error' : 'toast' },
    h('span', { class: 'msg' }, message),
    h('button', { type: 'button', class: 'btn ghost close', 'aria-label': 'Dismiss', 'data-testid': 'toast-close', onclick: () => item.remove() }, '×'),
  );
  box.append(item);
  while (box.children.length > 5) box.firstElementChild.remove();
  const ttl = timeout ?? (kind === 'error' ? 0 : 4000);
  if (ttl) setTimeout(() => item.remove(), ttl);
  return item;
}

/** Encode one path segment (credential ids hold `…` and `·`). */
export const seg = (s) => encodeURIComponent(s);
