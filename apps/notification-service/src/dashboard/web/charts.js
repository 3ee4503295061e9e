// Two small charts drawn as inline SVG from events already fetched: no chart library.
// Colours come from CSS classes (app.css), so the charts follow the page's palette.

import { formatDuration, h } from './dom.js';

const STATUSES = ['succeeded', 'pending', 'failed', 'dead'];
const MINUTE = 60_000;
const WIDTH = 600;
const HEIGHT = 150;
const PAD = { top: 8, right: 8, bottom: 20, left: 40 };
const SVG = 'http://www.w3.org/2000/svg';

/** Counts per status for each of the last `minutes` whole minutes, oldest first. */
export function perMinute(events, now, minutes = 60) {
  const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  const start = end - minutes * MINUTE;
  const buckets = Array.from({ length: minutes }, (_, index) => ({ start: start + index * MINUTE, counts: Object.fromEntries(STATUSES.map((s) => [s, 0])), total: 0 }));
  for (const event of events) {
    const index = Math.floor((Date.parse(event.createdAt) - start) / MINUTE);
    const bucket = buckets[index];
    if (!bucket || !(event.status in bucket.counts)) continue;
    bucket.counts[event.status] += 1;
    bucket.total += 1;
  }
  return buckets;
}

/** Attempts that finished, as (time, duration) points. */
export function latencyPoints(events, now, minutes = 60) {
  const start = now - minutes * MINUTE;
  return events
    .filter((event) => typeof event.durationMs === 'number' && Date.parse(event.createdAt) >= start)
    .map((event) => ({ at: Date.parse(event.createdAt), ms: event.durationMs, status: event.status }));
}

function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** 0 → 1, 7 → 10, 130 → 200: a round axis maximum at or above `value`. */
function niceMax(value) {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * magnitude >= value);
  return step * magnitude;
}

function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

function frame(label, yMax, yFormat, minutes) {
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
  for (const fraction of [0, 0.5, 1]) {
    const y = PAD.top + plotHeight * (1 - fraction);
    root.append(
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y, class: fraction === 0 ? 'axis' : 'grid' }),
      svg('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, yFormat(yMax * fraction)),
    );
  }
  const ticks = [[0, `−${minutes}m`], [0.5, `−${minutes / 2}m`], [1, 'now']];
  for (const [fraction, text] of ticks) {
    const x = PAD.left + (WIDTH - PAD.left - PAD.right) * fraction;
    root.append(svg('text', { x, y: HEIGHT - 5, 'text-anchor': fraction === 0 ? 'start' : fraction === 1 ? 'end' : 'middle', class: 'tick' }, text));
  }
  return root;
}

function legendItem(status, text) {
  return h('span', { class: 'legend-item' }, h('span', { class: `swatch swatch-${status}`, 'aria-hidden': 'true' }), text);
}

export function drawRateChart(container, summary, buckets) {
  const totals = Object.fromEntries(STATUSES.map((status) => [status, buckets.reduce((sum, b) => sum + b.counts[status], 0)]));
  const all = STATUSES.reduce((sum, status) => sum + totals[status], 0);
  const yMax = niceMax(Math.max(...buckets.map((b) => b.total)));
  const label = `Deliveries per minute over the last hour: ${all} in total, ${STATUSES.map((s) => `${totals[s]} ${s}`).join(', ')}.`;
  // Counts are whole: a half-way tick of an odd maximum gets no label.
  const root = frame(label, yMax, (value) => (Number.isInteger(value) ? String(value) : ''), buckets.length);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / buckets.length;
  buckets.forEach((bucket, index) => {
    let base = PAD.top + plotHeight;
    for (const status of STATUSES) {
      const count = bucket.counts[status];
      if (!count) continue;
      const height = (count / yMax) * plotHeight;
      base -= height;
      const bar = svg('rect', { x: PAD.left + index * slot + 1, y: base, width: Math.max(1, slot - 2), height, class: `bar-${status}` });
      bar.append(svg('title', {}, `${new Date(bucket.start).toLocaleTimeString()}: ${count} ${status}`));
      root.append(bar);
    }
  });
  container.replaceChildren(root);
  summary.replaceChildren(...STATUSES.filter((s) => totals[s] > 0 || s === 'succeeded' || s === 'failed').map((s) => legendItem(s, `${totals[s]} ${s}`)));
}

export function drawLatencyChart(container, summary, points, now, minutes = 60) {
  const durations = points.map((point) => point.ms);
  const p50 = quantile(durations, 0.5);
  const p95 = quantile(durations, 0.95);
  const max = durations.length ? Math.max(...durations) : 0;
  const yMax = niceMax(max);
  const label = points.length
    ? `Attempt latency over the last hour: ${points.length} attempts, median ${formatDuration(p50)}, 95th percentile ${formatDuration(p95)}, slowest ${formatDuration(max)}.`
    : 'Attempt latency over the last hour: no finished attempts.';
  const root = frame(label, yMax, (value) => formatDuration(value).replace(' ', ''), minutes);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const end = now;
  const start = end - minutes * MINUTE;
  if (p95 !== null) {
    const y = PAD.top + plotHeight * (1 - p95 / yMax);
    root.append(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y, class: 'p95' }));
  }
  for (const point of points) {
    const x = PAD.left + plotWidth * ((point.at - start) / (end - start));
    const y = PAD.top + plotHeight * (1 - point.ms / yMax);
    const dot = svg('circle', { cx: x, cy: y, r: 2.5, class: `dot-${point.status}` });
    dot.append(svg('title', {}, `${new Date(point.at).toLocaleTimeString()}: ${formatDuration(point.ms)} (${point.status})`));
    root.append(dot);
  }
  container.replaceChildren(root);
  summary.replaceChildren(
    points.length
      ? h('span', {}, `${points.length} attempts · median ${formatDuration(p50)} · `, h('span', { class: 'p95-key' }, `p95 ${formatDuration(p95)}`), ` · slowest ${formatDuration(max)}`)
      : h('span', {}, 'No finished attempts in the last hour.'),
  );
}
