// Settings: the effective config (secrets masked), reload, and the image cache.
import { get, post, toast } from '../api.js';
import { bytes, fill, h, num } from '../dom.js';
import { confirmDialog, progressBar } from '../ui.js';

export async function render(root) {
  let alive = true;
  const pathLine = h('p', { class: 'muted small', 'data-testid': 'config-path' });
  const pre = h('pre', { class: 'json', 'data-testid': 'config-json', tabindex: '0' }, 'Loading…');
  const reloadBtn = h('button', { type: 'button', class: 'btn primary', 'data-testid': 'config-reload' }, 'Reload config');
  const answer = h('div', { class: 'answer', 'data-testid': 'reload-answer', role: 'status' });
  const images = h('div', { 'data-testid': 'images' }, h('p', { class: 'muted' }, 'Loading…'));
  const clearBtn = h('button', { type: 'button', class: 'btn danger', 'data-testid': 'images-clear' }, 'Clear cache');

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Settings')),
    h('section', { class: 'panel' }, h('div', { class: 'card-head' }, h('h2', null, 'Configuration'), reloadBtn), pathLine, answer, pre),
    h('section', { class: 'panel' }, h('div', { class: 'card-head' }, h('h2', null, 'Image cache'), clearBtn), images),
  );

  async function loadConfig() {
    try {
      const r = await get('/v1/admin/config');
      if (!alive) return;
      pathLine.textContent = r.path ? `From ${r.path} · secrets are masked` : 'Not read from a file · secrets are masked';
      pre.textContent = JSON.stringify(r.config, null, 2);
    } catch (err) {
      if (alive) pre.textContent = `Could not load the config: ${err.message}`;
    }
  }

  async function loadImages() {
    try {
      const { data } = await get('/v1/admin/images');
      if (!alive) return;
      if (!data.length) {
        fill(images, h('p', { class: 'muted' }, 'No image cache configured.'));
        clearBtn.disabled = true;
        return;
      }
      clearBtn.disabled = false;
      fill(
        images,
        data.map((d) => {
          const bar = progressBar('images-usage');
          bar.set(d.bytes, d.maxBytes || d.bytes, 0, `${num(d.entries)} entr${d.entries === 1 ? 'y' : 'ies'} · ${bytes(d.bytes)}${d.maxBytes ? ` of ${bytes(d.maxBytes)}` : ''}`);
          return h('div', { class: 'field', 'data-testid': 'images-dir' }, h('code', null, d.dir), bar.el);
        }),
      );
    } catch (err) {
      if (alive) fill(images, h('p', { class: 'muted' }, `Could not read the image cache: ${err.message}`));
    }
  }

  reloadBtn.addEventListener('click', async () => {
    reloadBtn.disabled = true;
    answer.className = 'answer';
    answer.textContent = 'Reloading…';
    try {
      const r = await post('/v1/admin/reload');
      answer.className = `answer ${r.success ? 'ok' : 'bad'}`;
      fill(
        answer,
        h('div', null, r.message || (r.success ? 'Reloaded.' : 'Reload failed.')),
        r.applied && r.applied.length ? h('div', { class: 'muted small' }, `Applied: ${r.applied.join(', ')}`) : null,
        r.restart_needed && r.restart_needed.length ? h('div', { class: 'small' }, `Needs a restart: ${r.restart_needed.join(', ')}`) : null,
      );
      await loadConfig();
    } catch (err) {
      answer.className = 'answer bad';
      answer.textContent = err.message;
    } finally {
      reloadBtn.disabled = false;
    }
  });

  clearBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: 'Clear the image cache?', text: 'Cached generated images are deleted; links to them stop working.', confirmLabel: 'Clear', danger: true });
    if (!ok) return;
    clearBtn.disabled = true;
    try {
      const r = await post('/v1/admin/images/clear');
      toast(`Cleared ${r.cleared} cached image${r.cleared === 1 ? '' : 's'}.`, 'ok');
    } catch {
      // toast shown
    }
    await loadImages();
  });

  await Promise.all([loadConfig(), loadImages()]);
  return () => {
    alive = false;
  };
}
