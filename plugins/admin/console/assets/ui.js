// Small shared widgets: a confirm dialog, a segmented toggle, a progress bar.
import { h } from './dom.js';

/**
 * A modal confirm. With `input` ({label, placeholder, maxlength}) it asks for a text too.
 * Resolves to null when cancelled, else {value}.
 */
export function confirmDialog({ title, text, confirmLabel = 'OK', danger = false, input }) {
  return new Promise((resolve) => {
    const field = input ? h('input', { type: 'text', id: 'dialog-input', placeholder: input.placeholder, maxlength: input.maxlength, 'data-testid': 'dialog-input' }) : null;
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', null, title),
      text ? h('p', null, text) : null,
      field ? h('div', { class: 'field' }, h('label', { for: 'dialog-input' }, input.label), field) : null,
      h(
        'div',
        { class: 'toolbar' },
        h('button', { type: 'button', class: 'btn', value: 'cancel', 'data-testid': 'dialog-cancel', onclick: () => done(null) }, 'Cancel'),
        h('button', { type: 'submit', class: ['btn', danger ? 'danger' : 'primary'], value: 'ok', 'data-testid': 'dialog-confirm' }, confirmLabel),
      ),
    );
    const dialog = h('dialog', { 'data-testid': 'dialog' }, form);
    let settled = false;
    const done = (value) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      done({ value: field ? field.value.trim() : '' });
    });
    dialog.addEventListener('cancel', () => done(null));
    document.body.append(dialog);
    dialog.showModal();
    (field || form.querySelector('[value=ok]')).focus();
  });
}

/** A segmented toggle: options [{value, label}]; calls onChange(value). */
export function segmented(options, current, onChange, testid) {
  const wrap = h('div', { class: 'seg', role: 'group', 'data-testid': testid });
  const buttons = options.map((o) =>
    h(
      'button',
      {
        type: 'button',
        class: ['btn', o.value === current ? 'active' : ''],
        'aria-pressed': String(o.value === current),
        'data-value': o.value,
        'data-testid': `${testid}-${o.value}`,
        onclick: () => {
          for (const b of buttons) {
            const on = b.dataset.value === o.value;
            b.classList.toggle('active', on);
            b.setAttribute('aria-pressed', String(on));
          }
          onChange(o.value);
        },
      },
      o.label,
    ),
  );
  wrap.append(...buttons);
  return wrap;
}

/** A progress bar: returns {el, set(done, total, failed, label)}. */
export function progressBar(testid) {
  const fillEl = h('div', { class: 'progress-fill' });
  const bar = h('div', { class: 'progress-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0' }, fillEl);
  const label = h('div', { class: 'progress-label', 'data-testid': `${testid}-label` });
  const el = h('div', { class: 'progress', 'data-testid': testid }, bar, label);
  return {
    el,
    set(done, total, failed, text) {
      const pct = total > 0 ? Math.round((done / total) * 100) : done === total ? 100 : 0;
      fillEl.style.width = `${pct}%`;
      fillEl.classList.toggle('failed', failed > 0);
      bar.setAttribute('aria-valuenow', String(pct));
      el.dataset.done = String(done);
      el.dataset.total = String(total);
      el.dataset.failed = String(failed);
      el.dataset.percent = String(pct);
      label.textContent = text ?? `${done}/${total}, ${failed} failed · ${pct} %`;
    },
  };
}
