// DOM building without innerHTML: every value goes in as text, so names, model ids and upstream
// error texts can never become markup.

/**
 * h('button', {class: 'btn', onclick: fn, 'data-testid': 'x'}, 'Label', child, [more])
 * Attributes: `class`, `on<event>` (a function, added as a listener), booleans (set when true),
 * `dataset` / `style` objects are not accepted as strings (CSP: no style attributes).
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      else if (k === 'style') throw new Error('style attributes are blocked by the CSP: use a class or el.style');
      else if (k === 'value') el.value = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
/** An SVG element; attributes set as given (numbers become strings). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  clear(el);
  return append(el, children);
}

export function badge(text, kind, testid) {
  return h('span', { class: ['badge', kind], 'data-testid': testid }, text);
}

// Formatting

const nf = new Intl.NumberFormat();
export function num(n) {
  return n === null || n === undefined ? '—' : nf.format(n);
}

export function compact(n) {
  if (n === null || n === undefined) return '—';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 0 : 1)}B`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n * 100) / 100);
}

export function bytes(n) {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

export function ms(n) {
  if (n === null || n === undefined) return '—';
  if (n >= 10_000) return `${(n / 1000).toFixed(1)} s`;
  return `${Math.round(n)} ms`;
}

/** A short local date-time. */
export function when(isoString) {
  if (!isoString) return '—';
  const d = new Date(isoString);
  if (Number.isNaN(d.getTime())) return String(isoString);
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return sameDay ? time : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${time}`;
}

/** "in 3 min" / "5 s ago" for a time near now. */
export function relative(isoString) {
  if (!isoString) return '';
  const t = Date.parse(isoString);
  if (Number.isNaN(t)) return '';
  const diff = Math.round((t - Date.now()) / 1000);
  const a = Math.abs(diff);
  if (a < 5) return 'just now';
  const span = a < 60 ? `${a} s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 86400 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return diff >= 0 ? `in ${span}` : `${span} ago`;
}

/** A <td> with a label for the phone card layout; its content in one block (the card's value column). */
export function td(label, attrs, ...children) {
  return h('td', { ...(attrs || {}), 'data-label': label }, h('div', { class: 'cell' }, ...children));
}

/** The placeholder for an empty value (hidden in the phone card layout). */
export function dash(text = '—') {
  return h('span', { class: 'muted dash' }, text);
}
