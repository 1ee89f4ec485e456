// Playground: one chat turn through Switchboard, streamed as it arrives, with the time to the
// first token and the generation speed.
import { api, get } from '../api.js';
import { h, ms } from '../dom.js';

let lastModel = '';
let lastPrompt = '';

/** Read an SSE body: calls onData(payload) for each event's data (lines joined by \n). */
export async function readSse(body, onData) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data = [];
  const flush = () => {
    if (data.length) {
      const payload = data.join('\n');
      data = [];
      return onData(payload);
    }
    return undefined;
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(buffer[nl] === '\r' && buffer[nl + 1] === '\n' ? nl + 2 : nl + 1);
      if (line === '') {
        if (flush() === false) {
          reader.cancel().catch(() => {});
          return;
        }
      } else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
      // comments (":...") and other fields are ignored
    }
  }
  buffer += decoder.decode();
  if (buffer.startsWith('data:')) data.push(buffer.slice(buffer[5] === ' ' ? 6 : 5));
  flush();
}

export async function render(root) {
  let controller = null;
  const datalist = h('datalist', { id: 'pg-models' });
  const model = h('input', { id: 'pg-model', type: 'text', list: 'pg-models', autocomplete: 'off', spellcheck: 'false', placeholder: 'provider/model or an alias', value: lastModel, 'data-testid': 'pg-model' });
  const prompt = h('textarea', { id: 'pg-prompt', rows: '5', placeholder: 'Say something…', 'data-testid': 'pg-prompt', value: lastPrompt });
  prompt.classList.add('prose');
  const system = h('input', { id: 'pg-system', type: 'text', placeholder: 'optional system message', autocomplete: 'off', 'data-testid': 'pg-system' });
  const streamBox = h('input', { id: 'pg-stream', type: 'checkbox', checked: true, 'data-testid': 'pg-stream' });
  const maxTokens = h('input', { id: 'pg-max', type: 'number', min: '1', max: '100000', placeholder: 'default', 'data-testid': 'pg-max-tokens' });
  const send = h('button', { type: 'submit', class: 'btn primary', 'data-testid': 'pg-send' }, 'Send');
  const stop = h('button', { type: 'button', class: 'btn', disabled: true, 'data-testid': 'pg-stop' }, 'Stop');
  const reply = h('div', { class: 'reply', 'data-testid': 'pg-reply', 'aria-live': 'polite' });
  const ttft = h('b', { 'data-testid': 'pg-ttft' }, '—');
  const total = h('b', { 'data-testid': 'pg-total' }, '—');
  const tokens = h('b', { 'data-testid': 'pg-tokens' }, '—');
  const tps = h('b', { 'data-testid': 'pg-tps' }, '—');
  const finish = h('b', { 'data-testid': 'pg-finish' }, '—');
  const state = h('span', { class: 'muted small', 'data-testid': 'pg-state', role: 'status' });

  const form = h(
    'form',
    { class: 'panel', 'data-testid': 'pg-form' },
    h('div', { class: 'field-row' }, h('div', { class: 'field' }, h('label', { for: 'pg-model' }, 'Model'), model, datalist), h('div', { class: 'field' }, h('label', { for: 'pg-system' }, 'System'), system)),
    h('div', { class: 'field' }, h('label', { for: 'pg-prompt' }, 'Message'), prompt),
    h(
      'div',
      { class: 'toolbar' },
      send,
      stop,
      h('label', { for: 'pg-stream', class: 'inline' }, streamBox, ' Stream'),
      h('label', { for: 'pg-max', class: 'inline' }, 'Max tokens ', maxTokens),
      state,
    ),
  );
  root.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Playground')),
    form,
    h(
      'section',
      { class: 'panel' },
      h('h2', null, 'Reply'),
      reply,
      h('div', { class: 'metrics' }, h('span', null, 'first token ', ttft), h('span', null, 'total ', total), h('span', null, 'tokens ', tokens), h('span', null, 'speed ', tps), h('span', null, 'finish ', finish)),
    ),
  );

  // The models every provider lists, as provider/model.
  get('/v1/admin/providers', { quiet: true }).then(
    ({ data }) => {
      const ids = [];
      for (const p of data) for (const m of p.models) ids.push(`${p.id}/${m}`);
      datalist.append(...ids.map((id) => h('option', { value: id })));
      if (!model.value && ids.length) model.value = ids.find((id) => id.endsWith('/echo')) || ids[0];
    },
    () => {},
  );

  model.addEventListener('input', () => (lastModel = model.value));
  prompt.addEventListener('input', () => (lastPrompt = prompt.value));
  prompt.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  stop.addEventListener('click', () => controller && controller.abort());

  const setText = (el, t) => (el.textContent = t);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (controller) return;
    const m = model.value.trim();
    const text = prompt.value;
    if (!m) return setText(state, 'Pick or type a model.');
    if (!text.trim()) return setText(state, 'Write a message.');
    const messages = [];
    if (system.value.trim()) messages.push({ role: 'system', content: system.value.trim() });
    messages.push({ role: 'user', content: text });
    const stream = streamBox.checked;
    const body = { model: m, messages, stream };
    if (stream) body.stream_options = { include_usage: true };
    const max = Number(maxTokens.value);
    if (maxTokens.value && max > 0) body.max_tokens = max;

    controller = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    reply.textContent = '';
    reply.classList.remove('error');
    reply.dataset.done = 'false';
    for (const el of [ttft, total, tokens, tps, finish]) el.textContent = '—';
    setText(state, 'Waiting for the first token…');
    const t0 = performance.now();
    let tFirst = null;
    let chunks = 0;
    let usage = null;
    let finishReason = null;
    const firstToken = () => {
      if (tFirst === null) {
        tFirst = performance.now();
        ttft.textContent = ms(tFirst - t0);
        setText(state, 'Streaming…');
      }
    };
    try {
      const res = await api('POST', '/v1/admin/playground', body, { raw: true, signal: controller.signal });
      if (!stream) {
        const answer = await res.json();
        firstToken();
        const choice = answer.choices && answer.choices[0];
        reply.textContent = (choice && choice.message && (choice.message.content ?? '')) || '';
        finishReason = choice ? choice.finish_reason : null;
        usage = answer.usage || null;
      } else {
        await readSse(res.body, (payload) => {
          if (payload === '[DONE]') return false;
          let chunk;
          try {
            chunk = JSON.parse(payload);
          } catch {
            return undefined;
          }
          if (chunk.error) throw Object.assign(new Error(chunk.error.message || 'the stream failed'), { inStream: true });
          if (chunk.usage) usage = chunk.usage;
          for (const c of chunk.choices || []) {
            const d = c.delta || {};
            const piece = (d.content ?? '') || '';
            const thinking = d.reasoning_content ?? d.reasoning ?? '';
            if (piece || thinking) {
              firstToken();
              chunks++;
              reply.append(document.createTextNode(piece || thinking));
              reply.scrollTop = reply.scrollHeight;
            }
            if (c.finish_reason) finishReason = c.finish_reason;
          }
          return undefined;
        });
      }
      setText(state, 'Done.');
    } catch (err) {
      if (err && err.name === 'AbortError') setText(state, 'Stopped.');
      else {
        const message = err && err.message ? err.message : String(err);
        setText(state, 'Failed.');
        if (!reply.textContent) reply.classList.add('error');
        reply.append(document.createTextNode(`${reply.textContent ? '\n\n' : ''}Error: ${message}`));
      }
    } finally {
      const tEnd = performance.now();
      total.textContent = ms(tEnd - t0);
      const out = usage && typeof usage.completion_tokens === 'number' ? usage.completion_tokens : chunks;
      tokens.textContent = usage && typeof usage.completion_tokens === 'number' ? `${out} (usage)` : `${out} chunks`;
      const genSeconds = tFirst !== null ? (tEnd - tFirst) / 1000 : 0;
      tps.textContent = out && genSeconds > 0.001 ? `${(out / genSeconds).toFixed(1)}/s` : '—';
      finish.textContent = finishReason || '—';
      reply.dataset.done = 'true';
      controller = null;
      send.disabled = false;
      stop.disabled = true;
    }
    return undefined;
  });

  return () => {
    if (controller) controller.abort();
  };
}
