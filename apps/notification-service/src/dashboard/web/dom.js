// Elements are built with the DOM API and text nodes only, so nothing an event carries
// (response bodies, URLs, references) is ever parsed as markup.

export const byId = (id) => document.getElementById(id);

export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

export function setText(id, text) {
  byId(id).textContent = text ?? '';
}

const sameDay = (a, b) => a.toDateString() === b.toDateString();
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return sameDay(date, new Date()) ? timeFormat.format(date) : dateTimeFormat.format(date);
}

export function timeElement(iso) {
  return iso ? h('time', { datetime: iso, title: iso }, formatTime(iso)) : '—';
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** `https://erp.example.com/api/orders/1/import` → `erp.example.com/api/orders/1/import`. */
export function shortUrl(url) {
  if (!url) return '—';
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return url;
  }
}

export function statusBadge(status) {
  return h('span', { class: `status status-${status}` }, status);
}

/** `datetime-local` values are local wall-clock time; the API wants ISO instants. */
export function localInputToIso(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

export function isoToLocalInput(iso) {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/** Response bodies are shown pretty-printed when they are JSON, as sent otherwise. */
export function prettyBody(body) {
  if (body === null || body === undefined || body === '') return '';
  if (typeof body !== 'string') return JSON.stringify(body, null, 2);
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
