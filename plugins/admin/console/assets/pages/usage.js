// Usage per hour: requests and tokens, stacked by model or by client, for 24 h or 7 days.
import { get } from '../api.js';
import { legend, OTHER_COLOR, PALETTE, stackedBars } from '../charts.js';
import { compact, fill, h, num, td } from '../dom.js';
import { segmented } from '../ui.js';

const HOUR = 3600_000;
const MAX_SERIES = 9; // the rest is "other"

const state = { hours: 24, by: 'model' }; // kept across visits

export async function render(root) {
  let alive = true;
  const body = h('div', { 'data-testid': 'usage-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const reload = h('button', { type: 'button', class: 'btn ghost', 'data-testid': 'usage-reload', onclick: () => load() }, 'Reload');
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Usage'),
      h(
        'div',
        { class: 'toolbar' },
        segmented([{ value: '24', label: '24 h' }, { value: '168', label: '7 days' }], String(state.hours), (v) => ((state.hours = Number(v)), load()), 'usage-hours'),
        segmented([{ value: 'model', label: 'By model' }, { value: 'client', label: 'By client' }], state.by, (v) => ((state.by = v), draw()), 'usage-by'),
        reload,
      ),
    ),
    body,
  );

  let answer = null;
  async function load() {
    reload.disabled = true;
    try {
      answer = await get(`/v1/admin/usage?hours=${state.hours}`);
    } catch {
      return;
    } finally {
      reload.disabled = false;
    }
    if (alive) draw();
  }

  function draw() {
    if (!answer) return;
    const rows = answer.data || [];
    const keyOf = (r) => (state.by === 'model' ? r.model || '(unknown model)' : r.client || '(no client)');
    const to = Date.parse(answer.to) || Date.now();
    const start = Math.floor((Date.parse(answer.from) || to - state.hours * HOUR) / HOUR) * HOUR;
    const count = Math.max(1, Math.min(24 * 31, Math.ceil((to - start) / HOUR)));
    const hours = Array.from({ length: count }, (_, i) => start + i * HOUR);

    // Totals per series key, largest first; beyond MAX_SERIES they fold into "other".
    const totals = new Map();
    for (const r of rows) {
      const k = keyOf(r);
      const t = totals.get(k) || { key: k, requests: 0, tokensIn: 0, tokensOut: 0, errors: 0 };
      t.requests += r.requests || 0;
      t.tokensIn += r.tokensIn || 0;
      t.tokensOut += r.tokensOut || 0;
      t.errors += r.errors || 0;
      totals.set(k, t);
    }
    const ranked = [...totals.values()].sort((a, b) => b.requests - a.requests || b.tokensIn + b.tokensOut - (a.tokensIn + a.tokensOut) || a.key.localeCompare(b.key));
    const shown = ranked.length > MAX_SERIES + 1 ? ranked.slice(0, MAX_SERIES) : ranked;
    const shownKeys = new Set(shown.map((t) => t.key));
    const series = shown.map((t, i) => ({ key: t.key, label: t.key, color: PALETTE[i % PALETTE.length] }));
    if (ranked.length > shown.length) series.push({ key: '\u0000other', label: `other (${ranked.length - shown.length})`, color: OTHER_COLOR });
    const seriesKey = (r) => (shownKeys.has(keyOf(r)) ? keyOf(r) : '\u0000other');

    const reqs = hours.map(() => ({}));
    const toks = hours.map(() => ({}));
    for (const r of rows) {
      const i = Math.floor((Math.floor(Date.parse(r.hour) / HOUR) * HOUR - start) / HOUR);
      if (!(i >= 0 && i < count)) continue;
      const k = seriesKey(r);
      reqs[i][k] = (reqs[i][k] || 0) + (r.requests || 0);
      toks[i][k] = (toks[i][k] || 0) + (r.tokensIn || 0) + (r.tokensOut || 0);
    }

    const week = count > 48;
    const labels = hours.map((t) => {
      const d = new Date(t);
      if (week) return d.getHours() === 0 ? d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' }) : '';
      return `${String(d.getHours()).padStart(2, '0')}:00`;
    });
    const titles = hours.map((t) => new Date(t).toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }));
    // drawn at the panel's own width, so the text is never scaled down to nothing on a phone
    const width = Math.max(280, body.clientWidth - 34);
    const height = width < 600 ? 200 : 240;
    drawnWidth = body.clientWidth;

    const sum = ranked.reduce((a, t) => ({ requests: a.requests + t.requests, tokensIn: a.tokensIn + t.tokensIn, tokensOut: a.tokensOut + t.tokensOut, errors: a.errors + t.errors }), { requests: 0, tokensIn: 0, tokensOut: 0, errors: 0 });
    const stat = (label, value, testid) => h('div', { class: 'stat' }, h('div', { class: 'value', 'data-testid': testid }, value), h('div', { class: 'label' }, label));
    const what = state.by === 'model' ? 'Model' : 'Client';

    fill(
      body,
      h(
        'div',
        { class: 'totals' },
        stat('Requests', num(sum.requests), 'usage-total-requests'),
        stat('Tokens in', compact(sum.tokensIn), 'usage-total-tokens-in'),
        stat('Tokens out', compact(sum.tokensOut), 'usage-total-tokens-out'),
        stat('Errors', num(sum.errors), 'usage-total-errors'),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', null, `Requests per hour · by ${state.by}`),
        stackedBars({ labels, titles, series, values: reqs, testid: 'usage-chart', title: `Requests per hour by ${state.by}`, unit: 'requests', width, height }),
        legend(series, 'usage-legend'),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', null, `Tokens per hour (in + out) · by ${state.by}`),
        stackedBars({ labels, titles, series, values: toks, testid: 'usage-tokens-chart', title: `Tokens per hour by ${state.by}`, unit: 'tokens', width, height }),
        legend(series, 'usage-tokens-legend'),
      ),
      h(
        'section',
        null,
        h('h2', null, 'Totals'),
        ranked.length
          ? h(
              'div',
              { class: 'table-wrap stack' },
              h(
                'table',
                { class: 'stack', 'data-testid': 'usage-totals' },
                h('thead', null, h('tr', null, h('th', null, what), h('th', { class: 'num' }, 'Requests'), h('th', { class: 'num' }, 'Tokens in'), h('th', { class: 'num' }, 'Tokens out'), h('th', { class: 'num' }, 'Errors'), h('th', { class: 'num' }, 'Error rate'))),
                h(
                  'tbody',
                  null,
                  ranked.map((t) => {
                    const idx = series.findIndex((sr) => sr.key === t.key);
                    const sw = h('span', { class: 'swatch' });
                    sw.style.background = idx >= 0 ? series[idx].color : OTHER_COLOR;
                    return h(
                      'tr',
                      { 'data-testid': 'usage-row' },
                      td(what, null, h('span', { class: 'key' }, sw, t.key)),
                      td('Requests', { class: 'num' }, num(t.requests)),
                      td('Tokens in', { class: 'num' }, num(t.tokensIn)),
                      td('Tokens out', { class: 'num' }, num(t.tokensOut)),
                      td('Errors', { class: 'num' }, num(t.errors)),
                      td('Error rate', { class: 'num' }, t.requests ? `${((t.errors / t.requests) * 100).toFixed(1)} %` : '—'),
                    );
                  }),
                ),
              ),
            )
          : h('p', { class: 'empty' }, 'No traffic in this window.'),
      ),
    );
  }

  let drawnWidth = 0;
  let resizeTimer = null;
  const resize = new ResizeObserver(() => {
    if (Math.abs(body.clientWidth - drawnWidth) < 24) return;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => alive && draw(), 120);
  });
  resize.observe(body);

  await load();
  return () => {
    alive = false;
    resize.disconnect();
    clearTimeout(resizeTimer);
  };
}
