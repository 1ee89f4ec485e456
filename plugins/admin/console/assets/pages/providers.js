// Providers: readiness, models, open breakers and credentials by state.
import { get } from '../api.js';
import { badge, fill, h, relative, when } from '../dom.js';

const MODELS_SHOWN = 12;

function modelChips(models) {
  if (!models.length) return h('p', { class: 'muted small' }, 'No models listed.');
  const chips = h('div', { class: 'chips' });
  const show = (all) => {
    fill(chips, (all ? models : models.slice(0, MODELS_SHOWN)).map((m) => h('span', { class: 'chip' }, m)));
    if (!all && models.length > MODELS_SHOWN) {
      chips.append(h('button', { type: 'button', class: 'btn ghost small', onclick: () => show(true) }, `+${models.length - MODELS_SHOWN} more`));
    }
  };
  show(false);
  return chips;
}

function card(p) {
  const breakers = Object.entries(p.breakers || {});
  const c = p.credentials || { ok: 0, cooling: 0, disabled: 0 };
  return h(
    'section',
    { class: 'panel provider-card', 'data-testid': 'provider-card', 'data-provider': p.id },
    h(
      'div',
      { class: 'card-head' },
      h('h2', null, p.id),
      p.ready ? badge('ready', 'ok', 'provider-ready') : badge('not ready', 'bad', 'provider-ready'),
    ),
    h(
      'dl',
      { class: 'kv' },
      h('dt', null, 'Plugin'),
      h('dd', null, h('code', null, p.plugin)),
      h('dt', null, 'Credentials'),
      h(
        'dd',
        { class: 'chips', 'data-testid': 'provider-credentials' },
        badge(`${c.ok} ok`, c.ok ? 'ok' : '', 'count-ok'),
        badge(`${c.cooling} cooling`, c.cooling ? 'cooling' : '', 'count-cooling'),
        badge(`${c.disabled} disabled`, c.disabled ? 'disabled' : '', 'count-disabled'),
      ),
      h('dt', null, 'Breakers'),
      h(
        'dd',
        { 'data-testid': 'provider-breakers' },
        breakers.length
          ? h(
              'div',
              { class: 'chips' },
              breakers.map(([model, b]) =>
                h('span', { class: ['badge', b.state], title: b.until ? `may close at ${when(b.until)}` : undefined }, `${model === '*' ? 'provider-wide' : model}: ${b.state}${b.until ? ` (${relative(b.until)})` : ''}`),
              ),
            )
          : h('span', { class: 'muted' }, 'all closed'),
      ),
    ),
    h('h3', null, `Models (${p.models.length})`),
    modelChips(p.models),
    h('div', { class: 'toolbar card-foot' }, h('a', { class: 'btn small', href: `#/credentials/${encodeURIComponent(p.id)}`, 'data-testid': 'provider-open-credentials' }, 'Credentials →')),
  );
}

export async function render(root) {
  const list = h('div', { class: 'cards', 'data-testid': 'providers-list' }, h('p', { class: 'muted' }, 'Loading…'));
  const refresh = h('button', { type: 'button', class: 'btn', 'data-testid': 'providers-refresh' }, 'Refresh');
  root.append(h('div', { class: 'page-head' }, h('h1', null, 'Providers'), h('div', { class: 'toolbar' }, refresh)), list);
  const load = async () => {
    refresh.disabled = true;
    try {
      const { data } = await get('/v1/admin/providers');
      fill(list, data.length ? data.map(card) : h('p', { class: 'empty' }, 'No providers configured.'));
    } catch {
      // shown as a toast
    } finally {
      refresh.disabled = false;
    }
  };
  refresh.addEventListener('click', load);
  await load();
}
