// The operator dashboard: sign-in, live events table with filters, detail with the attempts
// of a message, retries, manual triggers, charts, notifications and subscriptions.

import { ApiError, clearSession, createClient, itemsOf, loadSession, recentEvents, saveSession } from './api.js';
import { drawLatencyChart, drawRateChart, latencyPoints, perMinute } from './charts.js';
import { byId, h, isoToLocalInput, localInputToIso, setText } from './dom.js';
import { chainOf, notificationsOf } from './model.js';
import { alertItem, chainItem, endpointRow, eventRow, notificationRow, requestView, responseView, subscriptionRow, summaryFacts } from './views.js';

const POLL_MS = 4000;
// Right after an action the operator waits for its outcome, so the page looks more often.
const FAST_POLL_MS = 700;
const FAST_POLL_FOR_MS = 6000;
const CHARTS_EVERY_MS = 30_000;
const HOUR = 3_600_000;
const FILTER_FIELDS = ['orderId', 'scope', 'status', 'notificationId', 'subscriptionId', 'from', 'to'];
const TIME_FIELDS = new Set(['from', 'to']);

const state = {
  client: null,
  filter: {},
  offset: 0,
  limit: 50,
  selectedId: null,
  shown: { table: '', detail: '', notifications: '' },
  timer: null,
  running: null,
  again: false,
  chartsAt: 0,
  fastUntil: 0,
};

// ---- results and errors ----------------------------------------------------------------

function showResult(id, text, kind = 'ok') {
  const element = byId(id);
  element.className = `result result-${kind}`;
  element.textContent = text;
}

function setBanner(text) {
  const banner = byId('banner');
  banner.hidden = !text;
  banner.textContent = text;
}

function handleError(error, resultId) {
  if (error instanceof ApiError && error.isAuth) {
    signOut(`Signed out: ${error.message}`);
  } else if (resultId) {
    showResult(resultId, error.message, 'error');
  } else {
    setBanner(error.message);
  }
}

// ---- session -----------------------------------------------------------------------------

async function signIn(merchant, token) {
  const client = createClient({ merchant, token });
  try {
    await client.events({ limit: 1 });
  } catch (error) {
    if (error.isAuth || error.status === 400) clearSession();
    const hint = { 401: 'The API token was not accepted.', 403: 'This token belongs to another merchant.', 400: 'Check the merchant name.' }[error.status] ?? 'Could not sign in.';
    setText('sign-in-error', `${hint} (${error.message})`);
    return;
  }
  saveSession({ merchant, token });
  setText('sign-in-error', '');
  byId('token').value = '';
  start(client);
}

function start(client) {
  state.client = client;
  byId('sign-in').hidden = true;
  byId('app').hidden = false;
  byId('session').hidden = false;
  setText('session-merchant', client.merchant);
  readFilterFromUrl();
  setBanner('');
  state.chartsAt = 0;
  refresh();
  loadSubscriptions();
  byId('f-orderId').focus();
}

function signOut(message = '') {
  clearSession();
  clearTimeout(state.timer);
  Object.assign(state, { client: null, selectedId: null, shown: { table: '', detail: '', notifications: '' } });
  for (const id of ['events-body', 'detail-summary', 'detail-request', 'detail-response', 'detail-chain', 'order-notifications-body', 'subscriptions-body', 'endpoints-body', 'alerts-list', 'rate-chart', 'latency-chart', 'rate-summary', 'latency-summary']) {
    byId(id).replaceChildren();
  }
  for (const id of ['bulk-result', 'retry-result', 'trigger-result', 'order-notifications-result', 'subscriptions-result', 'health-note', 'page-info', 'events-total', 'last-updated', 'session-merchant']) setText(id, '');
  byId('app').hidden = true;
  byId('session').hidden = true;
  byId('detail').hidden = true;
  byId('sign-in').hidden = false;
  setText('sign-in-error', message);
  byId('merchant').focus();
}

// ---- filters -----------------------------------------------------------------------------

function readFilterFromUrl() {
  const params = new URLSearchParams(location.search);
  state.filter = Object.fromEntries(FILTER_FIELDS.filter((name) => params.get(name)).map((name) => [name, params.get(name)]));
  for (const name of FILTER_FIELDS) {
    const value = state.filter[name] ?? '';
    byId(`f-${name}`).value = TIME_FIELDS.has(name) ? isoToLocalInput(value) : value;
  }
  byId('t-orderId').value ||= state.filter.orderId ?? '';
}

function applyFilters() {
  const form = byId('filters');
  state.filter = {};
  for (const name of FILTER_FIELDS) {
    const raw = form.elements[name].value.trim();
    const value = TIME_FIELDS.has(name) ? localInputToIso(raw) : raw;
    if (value) state.filter[name] = value;
  }
  state.offset = 0;
  state.chartsAt = 0;
  byId('bulk-confirm').hidden = true;
  // Filters live in the address so an operator can share the view; the token never does.
  const query = new URLSearchParams(state.filter).toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
  if (state.filter.orderId) byId('t-orderId').value = state.filter.orderId;
  refresh();
}

// ---- refresh loop ------------------------------------------------------------------------

function schedule() {
  clearTimeout(state.timer);
  if (!state.client || !byId('live').checked || document.hidden) return;
  state.timer = setTimeout(refresh, Date.now() < state.fastUntil ? FAST_POLL_MS : POLL_MS);
}

/** One pass over everything on screen. Overlapping calls collapse into one more pass. */
function refresh() {
  if (!state.client) return Promise.resolve();
  if (state.running) {
    state.again = true;
    return state.running;
  }
  const { client } = state;
  const ordersEvents = new Map();
  const eventsOfOrder = (orderId) => {
    if (!ordersEvents.has(orderId)) ordersEvents.set(orderId, recentEvents(client, { orderId }));
    return ordersEvents.get(orderId);
  };
  state.running = (async () => {
    try {
      const work = [loadEvents(), loadOrderNotifications(eventsOfOrder)];
      if (state.selectedId) work.push(loadDetail(state.selectedId, eventsOfOrder));
      if (Date.now() < state.fastUntil || Date.now() - state.chartsAt > CHARTS_EVERY_MS) work.push(loadCharts(), loadHealth());
      await Promise.all(work);
      if (client !== state.client) return;
      setBanner('');
      setText('last-updated', `Updated ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      if (client === state.client) handleError(error);
    } finally {
      state.running = null;
      if (state.again) {
        state.again = false;
        refresh();
      } else {
        schedule();
      }
    }
  })();
  return state.running;
}

/** After an action: look again soon and often for a while, charts included. */
function expectChanges() {
  state.fastUntil = Date.now() + FAST_POLL_FOR_MS;
}

// ---- events table ------------------------------------------------------------------------

async function loadEvents() {
  const { client } = state;
  const body = await client.events({ ...state.filter, limit: state.limit, offset: state.offset });
  // Answers that arrive after sign-out are dropped, so nothing is shown without a session.
  if (client !== state.client) return;
  const events = itemsOf(body);
  const pagination = body?.pagination ?? { offset: state.offset, limit: state.limit, size: events.length, totalSize: events.length };
  const signature = JSON.stringify([events, pagination]);
  if (signature === state.shown.table) return;
  state.shown.table = signature;

  const tbody = byId('events-body');
  const focusedId = document.activeElement?.closest?.('#events-body tr')?.dataset.eventId;
  tbody.replaceChildren(...events.map((event) => eventRow(event, state.selectedId)));
  if (focusedId) tbody.querySelector(`tr[data-event-id="${CSS.escape(focusedId)}"] .row-open`)?.focus();

  byId('events-empty').hidden = events.length > 0;
  const { offset, size, totalSize } = pagination;
  setText('events-total', `· ${totalSize}`);
  setText('page-info', size ? `${offset + 1}–${offset + size} of ${totalSize}` : `0 of ${totalSize}`);
  byId('page-prev').disabled = offset === 0;
  byId('page-next').disabled = offset + size >= totalSize;
}

function markSelectedRow() {
  for (const row of byId('events-body').rows) row.classList.toggle('selected', row.dataset.eventId === state.selectedId);
}

// ---- detail ------------------------------------------------------------------------------

async function openEvent(id) {
  state.selectedId = id;
  state.shown.detail = '';
  setText('retry-result', '');
  markSelectedRow();
  const detail = byId('detail');
  detail.hidden = false;
  try {
    await loadDetail(id, (orderId) => recentEvents(state.client, { orderId }));
  } catch (error) {
    handleError(error, 'retry-result');
  }
  if (state.selectedId === id) detail.focus();
}

function closeDetail() {
  const id = state.selectedId;
  state.selectedId = null;
  state.shown.detail = '';
  byId('detail').hidden = true;
  markSelectedRow();
  byId('events-body').querySelector(`tr[data-event-id="${CSS.escape(id ?? '')}"] .row-open`)?.focus();
}

async function loadDetail(id, eventsOfOrder) {
  const { client } = state;
  const event = await client.event(id);
  const chain = chainOf(event, await eventsOfOrder(event.orderId));
  // The operator may have opened another event (or signed out) while this one loaded.
  if (state.selectedId !== id || client !== state.client) return;
  const signature = JSON.stringify([event, chain]);
  if (signature === state.shown.detail) return;
  state.shown.detail = signature;

  setText('detail-heading', `Attempt ${event.attempt} · ${event.scope ?? event.type ?? 'event'}`);
  byId('detail-summary').replaceChildren(...summaryFacts(event));
  byId('detail-request').replaceChildren(...requestView(event).filter(Boolean));
  byId('detail-response').replaceChildren(...responseView(event).filter(Boolean));
  byId('detail-chain').replaceChildren(...chain.map((attempt) => chainItem(attempt, event.id)));
  const retry = byId('retry-one');
  retry.disabled = event.status === 'pending';
  retry.title = retry.disabled ? 'A pending delivery cannot be retried' : '';
}

async function retrySelected() {
  const id = state.selectedId;
  const button = byId('retry-one');
  button.disabled = true;
  showResult('retry-result', 'Sending retry…', 'pending');
  try {
    const created = await state.client.retry(id);
    showResult('retry-result', `Retry sent as attempt ${created.attempt}; its result appears under "Attempts of this message".`);
    expectChanges();
    state.shown.detail = '';
    await refresh();
  } catch (error) {
    handleError(error, 'retry-result');
    button.disabled = false;
  }
}

// ---- bulk retry --------------------------------------------------------------------------

function bulkRequest() {
  const { orderId, notificationId, from, status } = state.filter;
  return { status: status === 'dead' ? 'dead' : 'failed', ...(orderId && { orderId }), ...(notificationId && { notificationId }), ...(from && { since: from }) };
}

async function askBulkRetry() {
  const request = bulkRequest();
  setText('bulk-result', '');
  try {
    const body = await state.client.events({ status: request.status, orderId: request.orderId, notificationId: request.notificationId, from: request.since, limit: 1 });
    const count = body?.pagination?.totalSize ?? itemsOf(body).length;
    if (count === 0) {
      showResult('bulk-result', `No ${request.status} deliveries match: nothing to retry.`, 'info');
      return;
    }
    const scope = [request.orderId && `order ${request.orderId}`, request.notificationId && `notification ${request.notificationId}`, request.since && `since ${new Date(request.since).toLocaleString()}`].filter(Boolean).join(', ');
    setText('bulk-confirm-text', `Retry ${count} ${request.status} ${count === 1 ? 'delivery' : 'deliveries'} ${scope ? `for ${scope}` : 'across all orders'}?`);
    byId('bulk-confirm').hidden = false;
    byId('bulk-confirm-yes').focus();
  } catch (error) {
    handleError(error, 'bulk-result');
  }
}

async function bulkRetry() {
  byId('bulk-confirm').hidden = true;
  showResult('bulk-result', 'Queuing retries…', 'pending');
  try {
    const { count } = await state.client.bulkRetry(bulkRequest());
    showResult('bulk-result', `Queued ${count} ${count === 1 ? 'retry' : 'retries'}.`);
    expectChanges();
    refresh();
  } catch (error) {
    handleError(error, 'bulk-result');
  }
  byId('bulk-retry').focus();
}

// ---- manual trigger ----------------------------------------------------------------------

async function trigger(orderId, notificationId, resultId) {
  showResult(resultId, `Sending order ${orderId}…`, 'pending');
  try {
    const created = itemsOf(await state.client.trigger(orderId, notificationId ? { notificationId } : {}));
    showResult(resultId, `Sent order ${orderId}: ${created.length} ${created.length === 1 ? 'delivery' : 'deliveries'} created.`);
    expectChanges();
    refresh();
  } catch (error) {
    handleError(error, resultId);
  }
}

// ---- notifications of the filtered order -------------------------------------------------

async function loadOrderNotifications(eventsOfOrder) {
  const { client } = state;
  const { orderId } = state.filter;
  const groups = orderId ? notificationsOf(await eventsOfOrder(orderId)) : [];
  if (client !== state.client) return;
  const signature = JSON.stringify([orderId, groups]);
  if (signature === state.shown.notifications) return;
  state.shown.notifications = signature;

  setText('order-notifications-heading', orderId ? `Notifications on order ${orderId}` : 'Notifications on the order');
  const hint = !orderId ? 'Filter by an order id to list the notifications its events went to.' : groups.length ? '' : 'No events for this order yet.';
  setText('order-notifications-hint', hint);
  byId('order-notifications-hint').hidden = !hint;
  byId('order-notifications').hidden = groups.length === 0;
  byId('order-notifications-body').replaceChildren(...groups.map((group) => notificationRow(group, {
    onShow: (g) => {
      byId('f-notificationId').value = g.notificationId;
      applyFilters();
      byId('events-heading').scrollIntoView({ block: 'start' });
    },
    onSend: (g) => trigger(orderId, g.notificationId, 'order-notifications-result'),
  })));
}

// ---- subscriptions -----------------------------------------------------------------------

async function loadSubscriptions() {
  const table = byId('subscriptions');
  const { client } = state;
  try {
    const subscriptions = itemsOf(await client.subscriptions());
    if (client !== state.client) return;
    setText('subscriptions-note', subscriptions.length ? '' : 'No subscriptions for this merchant.');
    table.hidden = subscriptions.length === 0;
    byId('subscriptions-body').replaceChildren(...subscriptions.map((subscription) => subscriptionRow(subscription, toggleSubscription)));
  } catch (error) {
    if (client !== state.client) return;
    table.hidden = true;
    if (error.status === 404) setText('subscriptions-note', 'Subscriptions are not available on this service.');
    else handleError(error, 'subscriptions-result');
  }
}

async function toggleSubscription(subscription, input) {
  const enabled = input.checked;
  const name = subscription.name ?? subscription.id;
  input.disabled = true;
  try {
    await state.client.setSubscriptionEnabled(subscription.id, enabled);
    showResult('subscriptions-result', `${name} ${enabled ? 'enabled' : 'disabled'}.`);
    await loadSubscriptions();
  } catch (error) {
    input.checked = !enabled;
    handleError(error, 'subscriptions-result');
  } finally {
    input.disabled = false;
  }
}

// ---- charts ------------------------------------------------------------------------------

async function loadCharts() {
  const { client } = state;
  const now = Date.now();
  state.chartsAt = now;
  const filter = Object.fromEntries(Object.entries(state.filter).filter(([name]) => !TIME_FIELDS.has(name)));
  const events = await recentEvents(client, { ...filter, from: new Date(now - HOUR).toISOString() });
  if (client !== state.client) return;
  drawRateChart(byId('rate-chart'), byId('rate-summary'), perMinute(events, now));
  drawLatencyChart(byId('latency-chart'), byId('latency-summary'), latencyPoints(events, now), now);
}

// ---- endpoint health ---------------------------------------------------------------------

async function loadHealth() {
  const { client } = state;
  const report = await client.endpoints();
  if (client !== state.client) return;
  byId('endpoints').hidden = report.data.length === 0;
  setText('health-note', report.data.length ? '' : 'No deliveries in the last hour.');
  byId('endpoints-body').replaceChildren(...report.data.map(endpointRow));
  byId('alerts-list').replaceChildren(...report.alerts.map(alertItem));
  byId('alerts-empty').hidden = report.alerts.length > 0;
}

// ---- wiring ------------------------------------------------------------------------------

function wire() {
  byId('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const merchant = byId('merchant').value.trim();
    const token = byId('token').value.trim();
    if (!merchant || !token) {
      setText('sign-in-error', 'Enter the merchant and its API token.');
      return;
    }
    signIn(merchant, token);
  });
  byId('sign-out').addEventListener('click', () => signOut());

  byId('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters();
  });
  // The form clears its fields after the reset event, so apply on the next turn.
  byId('filters').addEventListener('reset', () => setTimeout(applyFilters));

  byId('live').addEventListener('change', () => (byId('live').checked ? refresh() : clearTimeout(state.timer)));
  document.addEventListener('visibilitychange', () => (document.hidden ? clearTimeout(state.timer) : refresh()));

  byId('events-body').addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-event-id]');
    if (row) openEvent(row.dataset.eventId);
  });
  byId('page-prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - state.limit);
    refresh();
  });
  byId('page-next').addEventListener('click', () => {
    state.offset += state.limit;
    refresh();
  });
  byId('page-size').addEventListener('change', (event) => {
    state.limit = Number(event.target.value);
    state.offset = 0;
    refresh();
  });

  byId('detail-close').addEventListener('click', closeDetail);
  byId('detail').addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeDetail();
  });
  byId('detail-chain').addEventListener('click', (event) => {
    const item = event.target.closest('button[data-event-id]');
    if (item) openEvent(item.dataset.eventId);
  });
  byId('retry-one').addEventListener('click', retrySelected);

  byId('bulk-retry').addEventListener('click', askBulkRetry);
  byId('bulk-confirm-yes').addEventListener('click', bulkRetry);
  byId('bulk-confirm-no').addEventListener('click', () => {
    byId('bulk-confirm').hidden = true;
    byId('bulk-retry').focus();
  });

  byId('trigger-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const orderId = byId('t-orderId').value.trim();
    if (!orderId) {
      showResult('trigger-result', 'Enter the order id to send.', 'error');
      return;
    }
    trigger(orderId, byId('t-notificationId').value.trim(), 'trigger-result');
  });
  byId('subscriptions-reload').addEventListener('click', loadSubscriptions);
}

wire();
const saved = loadSession();
if (saved) signIn(saved.merchant, saved.token);
