// Hand-drawn SVG charts: a stacked bar chart, one <rect> per non-zero segment.
import { compact, h, s } from './dom.js';

// Readable on light and dark panels alike.
export const PALETTE = ['#4c78db', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#8c9eb5'];
export const OTHER_COLOR = '#a0a7b4';

/** 0, a round step, ... up to at least max: about `count` ticks. */
function ticks(max, count = 4) {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) ?? 10 * mag;
  const out = [];
  for (let v = 0; v < max + step * 0.999; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

/**
 * stackedBars({
 *   labels: ['13:00', ...]                 one per bar (x axis)
 *   titles: ['Dec 2 13:00', ...]           full text for tooltips
 *   series: [{key, label, color}]          bottom to top
 *   values: [{[key]: n}, ...]              one object per bar
 *   testid, title, unit                    svg data-testid, aria label, tooltip unit
 *   width, height                          drawn at this size (px): text stays readable
 * })
 */
export function stackedBars({ labels, titles, series, values, testid, title, unit = '', width = 900, height = 240 }) {
  const W = Math.max(280, Math.round(width));
  const H = height;
  const m = { top: 12, right: 10, bottom: 28, left: 48 };
  const iw = W - m.left - m.right;
  const ih = H - m.top - m.bottom;
  const totals = values.map((v) => series.reduce((n, sr) => n + (v[sr.key] || 0), 0));
  const max = Math.max(0, ...totals);
  const yt = ticks(max);
  const top = yt[yt.length - 1] || 1;
  const y = (v) => m.top + ih - (v / top) * ih;
  const n = labels.length || 1;
  const band = iw / n;
  const bw = Math.max(1, band * (n > 60 ? 0.8 : 0.7));

  const svg = s('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title, 'data-testid': testid, preserveAspectRatio: 'xMidYMid meet' });
  svg.append(s('title', null, title));
  const grid = s('g', null);
  for (const t of yt) {
    grid.append(s('line', { class: 'grid', x1: m.left, x2: W - m.right, y1: y(t), y2: y(t) }));
    grid.append(s('text', { x: m.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, compact(t)));
  }
  svg.append(grid);

  const bars = s('g', { 'data-testid': `${testid}-bars` });
  values.forEach((v, i) => {
    let acc = 0;
    const x = m.left + i * band + (band - bw) / 2;
    for (const sr of series) {
      const val = v[sr.key] || 0;
      if (val <= 0) continue;
      const y0 = y(acc);
      const y1 = y(acc + val);
      acc += val;
      const rect = s('rect', { x: x.toFixed(2), y: y1.toFixed(2), width: bw.toFixed(2), height: Math.max(0.5, y0 - y1).toFixed(2), fill: sr.color, 'data-series': sr.key });
      rect.append(s('title', null, `${titles ? titles[i] : labels[i]} · ${sr.label}: ${val.toLocaleString()}${unit ? ` ${unit}` : ''}`));
      bars.append(rect);
    }
  });
  svg.append(bars);

  svg.append(s('line', { class: 'axis', x1: m.left, x2: W - m.right, y1: m.top + ih, y2: m.top + ih }));
  const xl = s('g', null);
  let lastX = -Infinity;
  labels.forEach((l, i) => {
    const x = m.left + i * band + band / 2;
    if (!l || x - lastX < 48) return; // keep labels apart, whatever the width
    lastX = x;
    xl.append(s('text', { x: x.toFixed(2), y: H - 8, 'text-anchor': 'middle' }, l));
  });
  svg.append(xl);
  if (max === 0) svg.append(s('text', { x: W / 2, y: m.top + ih / 2, 'text-anchor': 'middle' }, 'No traffic in this window'));
  return h('div', { class: 'chart-wrap' }, svg);
}

/** The legend for a chart's series. */
export function legend(series, testid) {
  return h(
    'div',
    { class: 'legend', 'data-testid': testid },
    series.map((sr) => {
      const sw = h('span', { class: 'swatch' });
      sw.style.background = sr.color;
      return h('span', null, sw, sr.label);
    }),
  );
}
