// Live requests: the recent ones, then each finished request as the server streams it.
import { get } from '../api.js';
import { badge, compact, dash, h, ms, td, when } from '../dom.js';

const MAX_ROWS = 200;

function statusClass(status) {
  return `status-${String(status || 0).charAt(0)}`;
}

function row(r, fresh) {
  return h(
    'tr',
    { class: fresh ? 'fresh' : undefined, 'data-testid': 'live-row', 'data-req-id': r.reqId, 'data-status': r.status },
    td('Time', { class: 'nowrap' }, when(r.time)),
    td('Client', null, r.client ?? dash()),
    td('Model', null, h('code', null, r.model ?? '—'), r.route ? h('span', { class: 'sub' }, r.route) : null),
    td('Provider', null, r.provider ?? dash()),
    td('Credential', null, r.credential ? h('span', { class: 'mono' }, r.credential) : dash()),
    td('Status', null, h('span', { class: statusClass(r.status), 'data-testid': 'live-status-code' }, String(r.status ?? '—')), r.attempts > 1 ? h('span', { class: 'sub' }, `${r.attempts} attempts`) : null),
    td('Time taken', { class: 'num' }, ms(r.ms), r.ttfbMs !== null && r.ttfbMs !== undefined ? h('span', { class: 'sub' }, `first byte ${ms(r.ttfbMs)}`) : null),
    td('Tokens', { class: 'num' }, r.tokensIn === null && r.tokensOut === null ? dash() : `${compact(r.tokensIn ?? 0)} → ${compact(r.tokensOut ?? 0)}`, r.stream ? h('span', { class: 'sub' }, 'stream') : null),
  );
}

export async function render(root) {
  let alive = true;
  let paused = false;
  let ready = false;
  const early = []; // events that arrived before the first list
  const held = []; // events that arrived while paused
  const seen = new Set();

  const status = badge('connecting', 'info', 'live-status');
  const pending = h('span', { class: 'muted small', 'data-testid': 'live-pending' });
  const pauseBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'live-pause', 'aria-pressed': 'false' }, 'Pause');
  const tbody = h('tbody', { 'data-testid': 'live-rows' });
  const emptyRow = h('tr', { class: 'empty-row' }, h('td', { colspan: '8', class: 'empty wide' }, 'No requests yet. They appear here as they finish.'));
  const table = h(
    'div',
    { class: 'table-wrap stack' },
    h('table', { class: 'stack compact', 'data-testid': 'live-table' }, h('thead', null, h('tr', null, ['Time', 'Client', 'Model', 'Provider', 'Credential', 'Status', 'Time taken', 'Tokens'].map((t) => h('th', { class: t === 'Time taken' || t === 'Tokens' ? 'num' : undefined }, t)))), tbody),
  );
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Live requests'), h('div', { class: 'toolbar' }, status, pending, pauseBtn)), table);

  const setStatus = (text, kind) => {
    status.textContent = text;
    status.className = `badge ${kind}`;
  };

  function trim() {
    while (tbody.children.length > MAX_ROWS) {
      const last = tbody.lastElementChild;
      if (last.dataset.reqId) seen.delete(last.dataset.reqId);
      last.remove();
    }
  }

  function prepend(r, fresh) {
    if (r.reqId && seen.has(r.reqId)) return;
    if (r.reqId) seen.add(r.reqId);
    emptyRow.remove();
    tbody.prepend(row(r, fresh));
  }

  function showPending() {
    pending.textContent = held.length ? `${held.length} new while paused` : '';
  }

  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    pauseBtn.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      for (const r of held.splice(0)) prepend(r, true);
      trim();
      setStatus(source && source.readyState === EventSource.OPEN ? 'live' : 'connecting', source && source.readyState === EventSource.OPEN ? 'ok' : 'info');
    } else setStatus('paused', 'warn');
    showPending();
  });

  let source = null;
  function connect() {
    source = new EventSource('/v1/admin/requests/stream', { withCredentials: true });
    source.addEventListener('open', () => {
      if (alive && !paused) setStatus('live', 'ok');
    });
    source.addEventListener('message', (e) => {
      if (!alive) return;
      let r;
      try {
        r = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!ready) early.push(r);
      else if (paused) {
        held.push(r);
        if (held.length > MAX_ROWS) held.shift();
        showPending();
      } else {
        prepend(r, true);
        trim();
      }
    });
    source.addEventListener('error', () => {
      if (!alive) return;
      if (source.readyState === EventSource.CLOSED) {
        setStatus('disconnected', 'bad');
        // Perhaps the session ended: a 401 here sends the browser to the sign-in page.
        get('/v1/admin/session', { quiet: true }).then(
          () => {
            if (alive) setTimeout(() => alive && connect(), 3000);
          },
          () => {},
        );
      } else setStatus('reconnecting', 'warn');
    });
  }
  connect();

  try {
    const { data } = await get('/v1/admin/requests');
    if (!alive) return;
    // newest first: prepend oldest first
    for (const r of [...data].slice(0, MAX_ROWS).reverse()) prepend(r, false);
  } catch {
    // toast shown
  }
  ready = true;
  for (const r of early.splice(0)) prepend(r, true);
  trim();
  if (!tbody.children.length) tbody.append(emptyRow);

  return () => {
    alive = false;
    if (source) source.close();
  };
}
