// The notification-service API as the dashboard uses it. The merchant and token live in
// sessionStorage only (gone when the tab closes) and travel as headers, never in a URL or cookie.

const BASE = '/api/v0/checkout/notifications';
const SESSION_KEY = 'ordercast.dashboard.session';
// The events API's largest page: enough for an order's history and for the last hour's charts.
const RECENT_LIMIT = 500;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }

  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    return typeof session?.merchant === 'string' && typeof session?.token === 'string' ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ merchant: session.merchant, token: session.token }));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/** Lists come back either bare or as `{ data: [...] }`; the dashboard only needs the items. */
export function itemsOf(body) {
  if (Array.isArray(body)) return body;
  return Array.isArray(body?.data) ? body.data : [];
}

function describeError(status, body) {
  const detail = Array.isArray(body?.message) ? body.message.join('; ') : body?.message;
  const label = body?.error ? `${status} ${body.error}` : `HTTP ${status}`;
  return detail ? `${label}: ${detail}` : label;
}

export function createClient({ merchant, token }) {
  async function request(method, path, { query, body } = {}) {
    const url = new URL(BASE + path, location.origin);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
    }
    const headers = { Accept: 'application/json', 'X-Merchant': merchant, Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, 'The service did not answer. Check that it is running and reachable.');
    }
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    if (!response.ok) throw new ApiError(response.status, describeError(response.status, parsed));
    return parsed;
  }

  const id = encodeURIComponent;
  return {
    merchant,
    events: (query) => request('GET', '/events', { query }),
    event: (eventId) => request('GET', `/events/${id(eventId)}`),
    retry: (eventId) => request('POST', `/events/${id(eventId)}/retry`),
    bulkRetry: (body) => request('POST', '/events/retry', { body }),
    trigger: (orderId, body) => request('POST', `/orders/${id(orderId)}/trigger`, { body }),
    subscriptions: () => request('GET', '/subscriptions'),
    endpoints: () => request('GET', '/endpoints'),
    setSubscriptionEnabled: (subscriptionId, enabled) => request('PATCH', `/subscriptions/${id(subscriptionId)}`, { body: { enabled } }),
  };
}

/** The newest events matching `query`, for grouping and charts on this side. */
export async function recentEvents(client, query) {
  return itemsOf(await client.events({ ...query, limit: RECENT_LIMIT, offset: 0 }));
}
