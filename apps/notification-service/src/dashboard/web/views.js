// Builds the markup for events, their detail, notifications and subscriptions from API data.

import { formatDuration, h, prettyBody, shortUrl, statusBadge, timeElement } from './dom.js';
import { describeDelivery, describeScope } from './model.js';

const mono = (text) => h('span', { class: 'mono' }, text ?? '—');

/** An ordered target's delivery waiting for an earlier one of the order, or sent outside its sequence. */
function orderingTag(event) {
  if (event.waitingFor) return h('span', { class: 'tag tag-waiting', title: `Waiting for message ${event.waitingFor} to succeed or go dead` }, 'waiting');
  if (event.outOfSequence) return h('span', { class: 'tag', title: 'Sent outside the order\'s sequence (operator retry or manual send)' }, 'out of sequence');
  return null;
}

function attemptLabel(event) {
  return event.trigger && event.trigger !== 'automatic' ? [String(event.attempt), h('span', { class: 'tag' }, event.trigger)] : String(event.attempt);
}

/** Webhooks show their URL; poll and email deliveries have no URL, so their kind stands in. */
function targetOf(event) {
  return event.request?.url ?? (event.delivery && event.delivery !== 'webhook' ? `${event.delivery} delivery` : null);
}

export function eventRow(event, selectedId) {
  const target = targetOf(event);
  return h('tr', { dataset: { eventId: event.id }, class: event.id === selectedId ? 'selected' : null },
    h('td', {}, h('button', { type: 'button', class: 'row-open' }, timeElement(event.createdAt), h('span', { class: 'visually-hidden' }, ` ${event.scope ?? ''} ${event.status}, open details`))),
    h('td', { class: 'order', title: event.orderId }, mono(event.orderId)),
    h('td', {}, event.scope ?? '—'),
    h('td', { class: 'target', title: target ?? '' }, event.request?.method ? h('span', { class: 'method' }, event.request.method) : null, shortUrl(target)),
    h('td', {}, statusBadge(event.status), orderingTag(event)),
    h('td', { class: 'num' }, event.statusCode ?? '—'),
    h('td', { class: 'num' }, attemptLabel(event)),
    h('td', { class: 'num' }, formatDuration(event.durationMs)),
  );
}

function fact(term, value) {
  return value === null || value === undefined || value === '' ? [] : [h('dt', {}, term), h('dd', {}, value)];
}

export function summaryFacts(event) {
  return [
    ...fact('Status', [statusBadge(event.status), orderingTag(event)]),
    ...fact('Waiting for', event.waitingFor ? mono(event.waitingFor) : null),
    ...fact('Ordered', event.ordered ? (event.sequence === null || event.sequence === undefined ? 'yes, outside the sequence' : `yes, order version ${event.sequence}`) : null),
    ...fact('Held back', event.heldBack?.length ? event.heldBack.map((id) => h('div', {}, mono(id))) : null),
    ...fact('Event id', mono(event.id)),
    ...fact('Message id', mono(event.messageId)),
    ...fact('Order', mono(event.orderId)),
    ...fact('Notification', event.notificationId ? mono(event.notificationId) : null),
    ...fact('Subscription', event.subscriptionId ? mono(event.subscriptionId) : null),
    ...fact('Reference', event.reference),
    ...fact('Scope', event.scope),
    ...fact('Type', event.type),
    ...fact('Channel', event.channel),
    ...fact('Attempt', attemptLabel(event)),
    ...fact('Retry of', event.retryOf ? mono(event.retryOf) : null),
    ...fact('Created', timeElement(event.createdAt)),
    ...fact('Completed', event.completedAt ? timeElement(event.completedAt) : null),
    ...fact('Next attempt', event.nextAttemptAt ? timeElement(event.nextAttemptAt) : null),
    ...fact('Duration', event.durationMs === null || event.durationMs === undefined ? null : formatDuration(event.durationMs)),
  ];
}

function headersTable(headers, caption) {
  const entries = Object.entries(headers ?? {});
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No headers recorded.');
  return h('table', { class: 'kv' },
    h('caption', {}, caption),
    h('tbody', {}, entries.map(([name, value]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, mono(String(value)))))),
  );
}

function bodyBlock(label, body) {
  const text = prettyBody(body);
  return text ? h('pre', { class: 'body', tabindex: '0', 'aria-label': label }, text) : null;
}

export function requestView(event) {
  const request = event.request ?? {};
  return [
    h('p', { class: 'request-line' }, h('span', { class: 'method' }, request.method ?? '—'), mono(targetOf(event))),
    headersTable(request.headers, 'Headers (secret values masked)'),
    bodyBlock('Request body', request.body),
  ];
}

export function responseView(event) {
  if (event.status === 'pending' && event.statusCode === null) return [h('p', { class: 'muted' }, 'Not attempted yet.')];
  return [
    h('p', {}, event.statusCode ? h('strong', {}, `HTTP ${event.statusCode}`) : h('span', { class: 'muted' }, 'No HTTP response')),
    event.error && event.error !== `HTTP ${event.statusCode}` ? h('p', { class: 'error' }, event.error) : null,
    bodyBlock('Response body', event.responseBody) ?? h('p', { class: 'muted' }, 'Empty response body.'),
    event.responseTruncated ? h('p', { class: 'muted' }, 'The body was truncated when it was stored.') : null,
  ];
}

export function chainItem(event, currentId) {
  const current = event.id === currentId;
  return h('li', {},
    h('button', { type: 'button', class: 'chain-item', dataset: { eventId: event.id }, 'aria-current': current ? 'true' : null },
      h('span', { class: 'chain-attempt' }, `#${event.attempt}`),
      statusBadge(event.status),
      h('span', {}, event.trigger ?? 'automatic'),
      h('span', { class: 'num' }, event.statusCode ?? '—'),
      h('span', { class: 'num' }, formatDuration(event.durationMs)),
      timeElement(event.createdAt),
    ),
  );
}

export function notificationRow(group, { onShow, onSend }) {
  const label = group.notificationId ? (group.reference ?? group.notificationId) : `subscription ${group.subscriptionId ?? ''}`;
  return h('tr', {},
    h('th', { scope: 'row' }, label, group.notificationId && group.reference ? h('span', { class: 'id-line mono muted', title: group.notificationId }, group.notificationId) : null),
    h('td', { class: 'target', title: group.url ?? '' }, shortUrl(group.url)),
    h('td', {}, group.scopes.join(', ') || '—'),
    h('td', {}, statusBadge(group.latest.status)),
    h('td', { class: 'num' }, group.count),
    h('td', { class: 'row-actions' },
      group.notificationId ? h('button', { type: 'button', class: 'quiet', onclick: () => onShow(group), 'aria-label': `Show events of ${label}` }, 'Events') : null,
      group.notificationId ? h('button', { type: 'button', class: 'quiet', onclick: () => onSend(group), 'aria-label': `Send ${label} now` }, 'Send now') : null,
    ),
  );
}

export function subscriptionRow(subscription, onToggle) {
  const name = subscription.name ?? subscription.id;
  const delivery = typeof subscription.delivery === 'object' && subscription.delivery !== null
    ? subscription.delivery
    : { kind: subscription.delivery, url: subscription.url ?? subscription.invoke, email: subscription.email };
  const channels = Array.isArray(subscription.channels) && subscription.channels.length ? subscription.channels.join(', ') : 'all';
  const toggle = h('input', { type: 'checkbox', role: 'switch', 'aria-label': `Enabled: ${name}`, onchange: (e) => onToggle(subscription, e.target) });
  toggle.checked = Boolean(subscription.enabled);
  return h('tr', {},
    h('th', { scope: 'row' }, name),
    h('td', {}, channels),
    h('td', {}, Array.isArray(subscription.events) && subscription.events.length ? `alerts: ${subscription.events.join(', ')}` : describeScope(subscription.scope)),
    h('td', { class: 'target' }, describeDelivery(delivery)),
    h('td', {}, h('label', { class: 'switch' }, toggle, h('span', { 'aria-hidden': 'true' }, subscription.enabled ? 'On' : 'Off'))),
  );
}

/** One endpoint's health: success rate over the window, the last failure, and its breaker as the instances last reported it. */
export function endpointRow(endpoint) {
  const rate = endpoint.attempts ? `${Math.round(endpoint.successRate * 1000) / 10}%` : '—';
  const failure = endpoint.lastFailure;
  return h('tr', { dataset: { endpoint: endpoint.url } },
    h('th', { scope: 'row', class: 'target' }, endpoint.url),
    h('td', { class: 'num' }, rate),
    h('td', { class: 'num' }, `${endpoint.succeeded} / ${endpoint.attempts}`),
    h('td', {}, failure ? [timeElement(failure.at), ' ', mono(failure.statusCode === null ? failure.error ?? 'error' : `HTTP ${failure.statusCode}`)] : '—'),
    h('td', {}, h('span', { class: `status status-${endpoint.breaker === 'open' ? 'dead' : 'succeeded'}` }, endpoint.breaker)),
  );
}

export function alertItem(alert) {
  return h('li', { dataset: { alertType: alert.type } }, timeElement(alert.createdAt), ' ', mono(alert.type), ' ', statusBadge(alert.status));
}
