// One provider's credential pool: every field the admin API shows, per-row actions and the
// provider-wide ones (add by paste, rotate, reset, refresh all quotas with live progress).
import { del, get, post, seg, toast } from '../api.js';
import { badge, compact, dash, fill, h, ms, num, relative, td, when } from '../dom.js';
import { confirmDialog, progressBar } from '../ui.js';

function stateCell(c) {
  const parts = [badge(c.state, c.state, 'credential-state')];
  if (c.state === 'cooling' && c.coolingUntil) parts.push(h('span', { class: 'sub', title: when(c.coolingUntil) }, `until ${when(c.coolingUntil)} (${relative(c.coolingUntil)})`));
  if (c.coolingReason && c.state === 'cooling') parts.push(h('span', { class: 'sub' }, c.coolingReason));
  if (c.state === 'disabled' && c.disabledReason) parts.push(h('span', { class: 'sub', 'data-testid': 'disabled-reason' }, c.disabledReason));
  if (c.deniedModels.length) parts.push(h('span', { class: 'sub', 'data-testid': 'denied-models' }, 'denied: ', c.deniedModels.map((m, i) => [i ? ', ' : '', h('code', null, m)])));
  return parts;
}

function limitsCell(q, observed) {
  const out = [];
  if (q) {
    const low = q.remaining !== null && q.limit ? q.remaining / q.limit < 0.1 : q.remaining === 0;
    out.push(
      h('span', { class: 'nowrap', 'data-testid': 'credential-quota' }, 'quota ', h('b', { class: low ? 'status-4' : undefined }, `${num(q.remaining)} / ${num(q.limit)}`)),
      q.resetAt ? h('span', { class: 'sub', title: when(q.resetAt) }, `resets ${relative(q.resetAt)}`) : null,
    );
  }
  for (const [model, o] of Object.entries(observed || {})) {
    const bits = [];
    if (o.limitRequests !== null || o.remainingRequests !== null) bits.push(`${compact(o.remainingRequests)}/${compact(o.limitRequests)} req`);
    if (o.limitTokens !== null || o.remainingTokens !== null) bits.push(`${compact(o.remainingTokens)}/${compact(o.limitTokens)} tok`);
    if (o.resetAt) bits.push(`reset ${relative(o.resetAt)}`);
    if (o.last429At) bits.push(`429 ${relative(o.last429At)}${o.last429Type ? ` (${o.last429Type})` : ''}`);
    out.push(h('span', { class: 'sub nowrap', 'data-testid': 'credential-observed' }, h('code', null, model), `: ${bits.join(' · ') || 'seen'}`));
  }
  return out.length ? out : dash();
}

function failuresCell(byKind) {
  const entries = Object.entries(byKind || {}).filter(([, n]) => n > 0);
  if (!entries.length) return dash();
  return h('div', { class: 'chips' }, entries.map(([k, n]) => h('span', { class: 'badge warn' }, `${k}: ${n}`)));
}

function testResult(r) {
  if (!r) return null;
  if (r.pending) return h('span', { class: 'test-result', 'data-testid': 'test-result' }, 'testing…');
  const text = r.ok ? `ok · HTTP ${r.status} · ${ms(r.ms)}` : `failed${r.status ? ` · HTTP ${r.status}` : ''}${r.ms !== undefined && r.ms !== null ? ` · ${ms(r.ms)}` : ''}${r.error ? `: ${r.error}` : ''}`;
  return h('span', { class: ['test-result', r.ok ? 'ok' : 'bad'], 'data-testid': 'test-result', 'data-ok': String(!!r.ok) }, text);
}

export async function render(root, args) {
  const { data: providers } = await get('/v1/admin/providers');
  if (!providers.length) {
    root.append(h('h1', null, 'Credentials'), h('p', { class: 'empty' }, 'No providers configured.'));
    return;
  }
  const pid = providers.some((p) => p.id === args[0]) ? args[0] : providers[0].id;
  const base = `/v1/admin/providers/${seg(pid)}`;
  root.dataset.provider = pid;
  let alive = true;
  let pollTimer = null;
  const tests = new Map(); // credential id -> last test result

  const select = h('select', { id: 'provider-select', 'data-testid': 'provider-select', 'aria-label': 'Provider' }, providers.map((p) => h('option', { value: p.id, selected: p.id === pid }, `${p.id} (${p.plugin})`)));
  select.addEventListener('change', () => {
    location.hash = `#/credentials/${encodeURIComponent(select.value)}`;
  });

  const btn = (label, testid, onclick, cls) => h('button', { type: 'button', class: ['btn', cls], 'data-testid': testid, onclick }, label);
  const addToggle = btn('Add…', 'cred-add', () => {
    addPanel.classList.toggle('hidden');
    if (!addPanel.classList.contains('hidden')) paste.focus();
  }, 'primary');
  const rotateBtn = btn('Rotate', 'cred-rotate', async () => {
    rotateBtn.disabled = true;
    try {
      const r = await post(`${base}/rotate`);
      toast(`Rotated: the next request starts at ${r.current ?? 'the first credential'} (${r.strategy}).`, 'ok');
      await load();
    } catch {
      // toast shown
    } finally {
      rotateBtn.disabled = false;
    }
  });
  const resetBtn = btn('Reset stats', 'cred-reset', async () => {
    const ok = await confirmDialog({ title: `Reset ${pid}'s stats?`, text: "Every credential's counts and the provider's breakers are cleared.", confirmLabel: 'Reset', danger: true });
    if (!ok) return;
    try {
      await post(`${base}/reset`);
      toast('Counts and breakers cleared.', 'ok');
      await load();
    } catch {
      // toast shown
    }
  });
  const quotaBtn = btn('Refresh all quotas', 'cred-refresh-quotas', () => refreshQuotas());
  const reloadBtn = btn('Reload', 'cred-reload', () => load(), 'ghost');

  // Add: a paste, one secret per line, with an optional name and tier.
  const paste = h('textarea', { id: 'add-paste', rows: '4', placeholder: 'one secret per line (blank lines and # comments are skipped)', spellcheck: 'false', autocomplete: 'off', 'data-testid': 'add-paste' });
  const nameIn = h('input', { id: 'add-name', type: 'text', placeholder: 'optional', autocomplete: 'off', 'data-testid': 'add-name' });
  const tierIn = h('input', { id: 'add-tier', type: 'text', placeholder: 'optional, e.g. pro', autocomplete: 'off', 'data-testid': 'add-tier' });
  const addStatus = h('p', { class: 'muted small', 'data-testid': 'add-status', role: 'status' });
  const addSubmit = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'add-submit' }, 'Add credentials');
  const addPanel = h(
    'form',
    { class: 'panel hidden', 'data-testid': 'add-panel' },
    h('h2', null, `Add credentials to ${pid}`),
    h('div', { class: 'field' }, h('label', { for: 'add-paste' }, 'Secrets'), paste),
    h('div', { class: 'field-row' }, h('div', { class: 'field' }, h('label', { for: 'add-name' }, 'Name'), nameIn), h('div', { class: 'field' }, h('label', { for: 'add-tier' }, 'Tier'), tierIn)),
    h('p', { class: 'muted small' }, 'With several secrets, a name is numbered (name-1, name-2…). Secrets are sent once and never shown again.'),
    h('div', { class: 'toolbar' }, addSubmit, h('button', { type: 'button', class: 'btn ghost', onclick: () => addPanel.classList.add('hidden') }, 'Cancel')),
    addStatus,
  );
  addPanel.addEventListener('submit', async (e) => {
    e.preventDefault();
    const lines = paste.value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    if (!lines.length) {
      addStatus.textContent = 'Paste at least one secret.';
      return;
    }
    const name = nameIn.value.trim();
    const tier = tierIn.value.trim();
    const body = name || tier ? { credentials: lines.map((value, i) => ({ value, ...(name ? { name: lines.length > 1 ? `${name}-${i + 1}` : name } : {}), ...(tier ? { tier } : {}) })) } : { credentials: paste.value };
    addSubmit.disabled = true;
    addStatus.textContent = 'Adding…';
    try {
      const r = await post(`${base}/credentials`, body);
      const msg = `Added ${r.added.length}${r.alreadyPresent.length ? `, ${r.alreadyPresent.length} already present` : ''}; the pool has ${r.total}.`;
      addStatus.textContent = msg;
      toast(msg, 'ok');
      paste.value = '';
      nameIn.value = '';
      tierIn.value = '';
      addPanel.classList.add('hidden');
      await load();
    } catch (err) {
      addStatus.textContent = err.message;
    } finally {
      addSubmit.disabled = false;
    }
  });

  const progress = progressBar('quota-progress');
  const progressErrors = h('ul', { 'data-testid': 'quota-progress-errors' });
  const progressPanel = h('section', { class: 'panel hidden', 'data-testid': 'quota-panel' }, h('h2', null, 'Quota refresh'), progress.el, progressErrors);

  const table = h('div', { class: 'table-wrap stack', 'data-testid': 'credentials-table' }, h('p', { class: 'muted empty' }, 'Loading…'));
  const summary = h('p', { class: 'muted small', 'data-testid': 'credentials-summary' });

  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Credentials'), h('div', { class: 'toolbar' }, h('label', { for: 'provider-select', class: 'sr-only' }, 'Provider'), select)),
    h('div', { class: 'toolbar panel' }, addToggle, rotateBtn, resetBtn, quotaBtn, h('span', { class: 'spacer' }), reloadBtn),
    addPanel,
    progressPanel,
    summary,
    table,
  );

  function row(c) {
    const isOff = c.state === 'disabled';
    const testBtn = h('button', { type: 'button', class: 'btn small', 'data-testid': 'cred-test' }, 'Test');
    const toggleBtn = h('button', { type: 'button', class: 'btn small', 'data-testid': isOff ? 'cred-enable' : 'cred-disable' }, isOff ? 'Enable' : 'Disable');
    const delBtn = h('button', { type: 'button', class: 'btn small danger', 'data-testid': 'cred-delete' }, 'Delete');
    const label = c.name || c.id;
    testBtn.addEventListener('click', async () => {
      testBtn.disabled = true;
      tests.set(c.id, { pending: true });
      fill(resultSlot, testResult(tests.get(c.id)));
      try {
        const r = await post(`${base}/credentials/${seg(c.id)}/test`, {});
        tests.set(c.id, r);
      } catch (err) {
        tests.set(c.id, { ok: false, status: err.status, error: err.message });
      }
      if (alive) await load();
    });
    toggleBtn.addEventListener('click', async () => {
      if (isOff) {
        toggleBtn.disabled = true;
        try {
          await post(`${base}/credentials/${seg(c.id)}/enable`);
          toast(`${label} enabled.`, 'ok');
        } catch {
          // toast shown
        }
      } else {
        const answer = await confirmDialog({ title: `Disable ${label}?`, text: 'It stays in the pool but takes no requests until enabled again.', confirmLabel: 'Disable', danger: true, input: { label: 'Reason (optional)', placeholder: 'disabled by an admin', maxlength: 200 } });
        if (!answer) return;
        toggleBtn.disabled = true;
        try {
          await post(`${base}/credentials/${seg(c.id)}/disable`, answer.value ? { reason: answer.value } : {});
          toast(`${label} disabled.`, 'ok');
        } catch {
          // toast shown
        }
      }
      if (alive) await load();
    });
    delBtn.addEventListener('click', async () => {
      const answer = await confirmDialog({ title: `Delete ${label}?`, text: 'It leaves the pool on every instance and stays out across restarts, even if the config lists it.', confirmLabel: 'Delete', danger: true });
      if (!answer) return;
      delBtn.disabled = true;
      try {
        await del(`${base}/credentials/${seg(c.id)}`);
        toast(`${label} deleted.`, 'ok');
        tests.delete(c.id);
      } catch {
        // toast shown
      }
      if (alive) await load();
    });
    const resultSlot = h('div', null, testResult(tests.get(c.id)));
    return h(
      'tr',
      { 'data-testid': 'credential-row', 'data-id': c.id, 'data-state': c.state },
      td('Credential', { class: 'cred' }, h('strong', { 'data-testid': 'credential-name' }, c.name || 'unnamed'), c.name === c.id ? null : h('span', { class: 'sub mono nowrap', 'data-testid': 'credential-id' }, c.id)),
      td('Tier', null, c.tier || dash()),
      td('State', null, stateCell(c)),
      td('Quota / limits', null, limitsCell(c.quota, c.observed)),
      td('Requests', { class: 'num' }, h('span', null, num(c.requests)), h('span', { class: 'sub nowrap' }, `${num(c.successes)} ok · ${num(c.failures)} failed`), c.inFlight ? h('span', { class: 'sub' }, `${c.inFlight} in flight`) : null),
      td('Failures by kind', null, failuresCell(c.failuresByKind)),
      td('Tokens', { class: 'num' }, h('span', { title: 'in' }, `${compact(c.tokensIn)} in`), h('span', { class: 'sub', title: 'out' }, `${compact(c.tokensOut)} out`)),
      td('Last used', null, c.lastUsed ? [h('span', { class: 'nowrap' }, when(c.lastUsed)), h('span', { class: 'sub' }, relative(c.lastUsed))] : dash('never')),
      td('Last error', { class: 'last-error' }, c.lastError ? h('span', { class: 'err', 'data-testid': 'credential-last-error', title: c.lastError }, c.lastError) : dash()),
      td('Actions', { class: 'actions' }, h('div', { class: 'row-actions' }, testBtn, toggleBtn, delBtn), resultSlot),
    );
  }

  const HEAD = ['Credential', 'Tier', 'State', 'Quota / limits', 'Requests', 'Failures', 'Tokens', 'Last used', 'Last error', 'Actions'];
  async function load() {
    let data;
    try {
      ({ data } = await get(`${base}/credentials`));
    } catch {
      return;
    }
    if (!alive) return;
    const counts = { ok: 0, cooling: 0, disabled: 0 };
    for (const c of data) counts[c.state] = (counts[c.state] || 0) + 1;
    summary.textContent = `${data.length} credential${data.length === 1 ? '' : 's'}: ${counts.ok} ok, ${counts.cooling} cooling, ${counts.disabled} disabled.`;
    if (!data.length) {
      fill(table, h('p', { class: 'empty' }, 'No credentials in this pool. Add some above.'));
      return;
    }
    fill(
      table,
      h(
        'table',
        { class: 'stack' },
        h('thead', null, h('tr', null, HEAD.map((t) => h('th', { class: t === 'Requests' || t === 'Tokens' ? 'num' : t === 'Actions' ? 'actions' : undefined, scope: 'col' }, t)))),
        h('tbody', null, data.map(row)),
      ),
    );
  }

  function showProgress(p) {
    progressPanel.classList.remove('hidden');
    const pct = p.total > 0 ? Math.round((p.done / p.total) * 100) : p.running ? 0 : 100;
    progress.set(p.done, p.total, p.failed, `${p.done}/${p.total}, ${p.failed} failed · ${pct} %${p.running ? ' · running…' : p.finishedAt ? ` · finished ${when(p.finishedAt)}` : ''}`);
    progress.el.dataset.running = String(!!p.running);
    fill(progressErrors, (p.errors || []).map((e) => h('li', null, typeof e === 'string' ? e : `${e.id ?? e.credential ?? ''}${e.id || e.credential ? ': ' : ''}${e.error ?? e.message ?? JSON.stringify(e)}`)));
  }

  async function poll() {
    pollTimer = null;
    if (!alive) return;
    let p;
    try {
      p = await get(`${base}/quotas/refresh`, { quiet: true });
    } catch (err) {
      if (alive) {
        toast(`Quota refresh: ${err.message}`, 'error');
        quotaBtn.disabled = false;
      }
      return;
    }
    if (!alive) return;
    showProgress(p);
    if (p.running) pollTimer = setTimeout(poll, 500);
    else {
      quotaBtn.disabled = false;
      toast(`Quotas refreshed: ${p.done}/${p.total}${p.failed ? `, ${p.failed} failed` : ''}.`, p.failed ? 'error' : 'ok', { timeout: p.failed ? 0 : 4000 });
      await load();
    }
  }

  async function refreshQuotas() {
    quotaBtn.disabled = true;
    try {
      const p = await post(`${base}/quotas/refresh`, undefined, { quiet: true });
      showProgress(p);
    } catch (err) {
      if (err.status === 409) {
        toast('A quota refresh is already running: following it.', 'info');
      } else {
        quotaBtn.disabled = false;
        progressPanel.classList.remove('hidden');
        progress.set(0, 0, 0, `Not available: ${err.message}`);
        progress.el.dataset.running = 'false';
        fill(progressErrors);
        toast(err.message, 'error');
        return;
      }
    }
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, 500);
  }

  await load();
  // A refresh started earlier (or elsewhere) still running: follow it.
  get(`${base}/quotas/refresh`, { quiet: true }).then(
    (p) => {
      if (alive && p.running) {
        quotaBtn.disabled = true;
        showProgress(p);
        pollTimer = setTimeout(poll, 500);
      }
    },
    () => {},
  );

  return () => {
    alive = false;
    if (pollTimer) clearTimeout(pollTimer);
  };
}
