import type { INestApplication } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { loadConfig } from '@ordercast/platform';
import { NotificationServiceConfig } from '../apps/notification-service/src/config/notification-service.config';
import { createNotificationServiceApp } from '../apps/notification-service/src/create-notification-service-app';
import type { EventRecord } from '../apps/notification-service/src/events/event-record';
import { aChangeEvent, anOrder, aRegistration, sealedEvent, withState } from '../apps/notification-service/test/fixtures/orders';
import { createTestDatabase, TestDatabase } from './support/database';
import { TEST_ENCRYPTION_KEY } from './support/env';
import { SinkResponse, WebhookSink } from './support/webhook-sink';

const MERCHANT = 'alpha';
const TOKEN = 'alpha-token-1';
const SINK_SECRET = 'sink-api-key-do-not-show';
const DOWN: SinkResponse = { status: 503, body: JSON.stringify({ error: 'receiver is down for maintenance' }), headers: { 'Content-Type': 'application/json' } };
const ARTIFACTS = join(__dirname, 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('operator dashboard (real notification-service, headless Chromium)', () => {
  let database: TestDatabase;
  let sink: WebhookSink;
  let app: INestApplication;
  let baseUrl: string;
  let browser: Browser;

  const api = async (path: string): Promise<{ data: EventRecord[] }> => {
    const response = await fetch(`${baseUrl}/api/v0/checkout/notifications${path}`, { headers: { 'X-Merchant': MERCHANT, Authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as { data: EventRecord[] };
  };

  /** Waits, through the API, until the order has an Event in `status`. */
  const waitForStatus = async (orderId: string, status: EventRecord['status']): Promise<void> => {
    for (const started = Date.now(); Date.now() - started < 30_000;) {
      const { data } = await api(`/events?orderId=${orderId}`);
      if (data.some((event) => event.status === status)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`order ${orderId} has no ${status} event`);
  };

  /**
   * Sends an order to `completed` through the bus, as order-service's outbox relay would; its
   * webhook answers with `responses` in turn (200 without them).
   */
  const completeOrder = async (...responses: (SinkResponse | number)[]): Promise<string> => {
    const registration = aRegistration({ url: sink.url('/orders/{order.id}'), headers: { 'X-Api-Key': SINK_SECRET } });
    const accepted = anOrder({ merchant: MERCHANT, state: { currentStatus: 'accepted', transitions: [] }, notifications: [registration] });
    if (responses.length) sink.respond(`/orders/${accepted.id}`, ...responses);
    const event = aChangeEvent(accepted, withState(accepted, 'completed', new Date().toISOString()));
    await app.get<EventBus>(EVENT_BUS).publish(ORDER_EVENTS_TOPIC, [{ key: event.orderId, value: JSON.stringify(sealedEvent(event)) }]);
    return event.orderId;
  };

  const signIn = async (page: Page, token: string): Promise<void> => {
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByLabel('Merchant', { exact: true }).fill(MERCHANT);
    await page.getByLabel('API token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    sink = await WebhookSink.start();
    const config = loadConfig(NotificationServiceConfig, {
      PORT: '0',
      DATABASE_URL: database.url,
      API_TOKENS: `${MERCHANT}:${TOKEN}`,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      ALLOW_PRIVATE_TARGETS: 'true',
      RETRY_SCHEDULE: '50ms',
      LOG_LEVEL: 'warn',
    });
    app = await createNotificationServiceApp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await sink?.close();
    await database?.drop();
  });

  it('serves the page without auth under a strict Content-Security-Policy', async () => {
    const page = await fetch(`${baseUrl}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(await page.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    const script = await fetch(`${baseUrl}/dashboard/app.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${baseUrl}/dashboard/..%2Fdashboard.module.ts`)).status).toBe(404);
  });

  it('lets an operator find a dead delivery of an order, retry it and see the new attempt succeed', async () => {
    const otherOrderId = await completeOrder();
    // One automatic retry after 50 ms, both refused: a failed attempt, then a dead one; the operator's retry gets through.
    const orderId = await completeOrder(DOWN, DOWN, 200);
    await waitForStatus(orderId, 'dead');
    await waitForStatus(otherOrderId, 'succeeded');

    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const problems: string[] = [];
    // Script errors and CSP violations; failed requests show in the page itself.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await signIn(page, TOKEN);
    const rows = page.locator('#events-body tr');
    await rows.filter({ hasText: otherOrderId }).first().waitFor();
    await rows.filter({ hasText: orderId }).first().waitFor();

    const filters = page.getByRole('region', { name: 'Filters' });
    await filters.getByLabel('Order id', { exact: true }).fill(orderId);
    await filters.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction((id) => {
      const shown = Array.from(document.querySelectorAll('#events-body tr'));
      return shown.length === 2 && shown.every((row) => row.textContent?.includes(id));
    }, orderId);
    expect(new URL(page.url()).searchParams.get('orderId')).toBe(orderId);

    await rows.filter({ hasText: 'dead' }).getByRole('button').click();
    const detail = page.getByRole('complementary');
    await detail.getByText('HTTP 503', { exact: true }).waitFor();
    await detail.getByText('receiver is down for maintenance').waitFor();
    await detail.getByText(sink.url(`/orders/${orderId}`)).waitFor();
    expect(await detail.getByRole('row', { name: /X-Api-Key/i }).textContent()).toContain('********');
    const chain = page.locator('#detail-chain li');
    expect(await chain.count()).toBe(2);

    await detail.getByRole('button', { name: 'Retry this delivery' }).click();
    await page.getByText(/Retry sent as attempt 3/).waitFor();
    await chain.filter({ hasText: 'retry' }).filter({ hasText: 'succeeded' }).waitFor();
    expect(await chain.count()).toBe(3);
    await rows.filter({ hasText: 'retry' }).filter({ hasText: 'succeeded' }).waitFor();
    expect(sink.received(`/orders/${orderId}`)).toHaveLength(3);
    const notifications = page.getByRole('region', { name: `Notifications on order ${orderId}` });
    expect(await notifications.getByRole('row', { name: /erp-export/ }).textContent()).toMatch(/succeeded\s*3/);
    // The charts count the order's last hour: the failed attempt, the dead one and the retry.
    await page.getByRole('img', { name: /Deliveries per minute over the last hour: 3 in total, 1 succeeded, 0 pending, 1 failed, 1 dead/ }).waitFor();

    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(await page.content()).not.toContain(SINK_SECRET);
    expect(await page.evaluate(() => ({ local: localStorage.length, cookie: document.cookie, session: sessionStorage.length }))).toEqual({ local: 0, cookie: '', session: 1 });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows each endpoint's health: success rate, attempts, last failure and breaker, and that no alert was sent", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signIn(page, TOKEN);
    const health = page.getByRole('region', { name: /Endpoint health/ });
    const row = health.getByRole('row', { name: new URL(sink.url()).origin });
    await row.waitFor();
    // The previous test's two orders: one delivered, one failed, dead and then retried by the operator.
    const cells = await row.locator('th, td').allTextContents();
    expect(cells.map((cell) => cell.trim())).toEqual([new URL(sink.url()).origin, '50%', '2 / 4', expect.stringMatching(/HTTP 503$/), 'closed']);
    await health.getByText('No alerts sent.').waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-health.png'), fullPage: true });
    await page.close();
  });

  it('shows a delivery of an ordered target waiting for the earlier one of its order, and which one', async () => {
    const registration = aRegistration({ url: sink.url('/ordered/{order.id}'), scope: [{ pointer: '/state/currentStatus' }], ordered: true });
    const checkout = anOrder({ merchant: MERCHANT, notifications: [registration] });
    const processing = withState(checkout, 'processing', new Date().toISOString());
    const accepted = withState(processing, 'accepted', new Date().toISOString());
    // The first call hangs until the delivery timeout: the second delivery waits for it meanwhile.
    sink.respond(`/ordered/${checkout.id}`, { status: 200, delayMs: 30_000 }, 200);
    const changes = [aChangeEvent(checkout, processing), aChangeEvent(processing, accepted)];
    await app.get<EventBus>(EVENT_BUS).publish(ORDER_EVENTS_TOPIC, changes.map((event) => ({ key: event.orderId, value: JSON.stringify(sealedEvent(event)) })));
    let waiting: EventRecord | undefined;
    for (const started = Date.now(); !waiting && Date.now() - started < 30_000;) {
      waiting = (await api(`/events?orderId=${checkout.id}`)).data.find((event) => event.waitingFor !== null);
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(waiting).toMatchObject({ scope: 'state.accepted', status: 'pending' });

    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signIn(page, TOKEN);
    const row = page.locator('#events-body tr').filter({ hasText: checkout.id }).filter({ hasText: 'state.accepted' });
    await row.filter({ hasText: 'waiting' }).waitFor();
    await row.getByRole('button').click();
    const detail = page.getByRole('complementary');
    await detail.getByText('Waiting for', { exact: true }).waitFor();
    await detail.getByText(waiting?.waitingFor as string, { exact: true }).waitFor();
    await page.close();
  });

  it("lists the merchant's subscriptions and disables one from the page", async () => {
    const headers = { 'X-Merchant': MERCHANT, Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    const created = await fetch(`${baseUrl}/api/v0/checkout/notifications/subscriptions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'erp-completed', channels: ['web'], scope: { state: ['completed'] }, url: sink.url('/subscription') }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signIn(page, TOKEN);
    const toggle = page.getByRole('switch', { name: 'Enabled: erp-completed' });
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(true);
    await toggle.click();
    await page.getByText('erp-completed disabled.').waitFor();
    const stored = await fetch(`${baseUrl}/api/v0/checkout/notifications/subscriptions/${id}`, { headers });
    expect(((await stored.json()) as { enabled: boolean }).enabled).toBe(false);
    await page.close();
  });

  it('shows an error and no data for a wrong token', async () => {
    const page = await browser.newPage();
    await signIn(page, 'not-the-right-token');
    await page.getByRole('alert').filter({ hasText: 'The API token was not accepted' }).waitFor();
    expect(await page.locator('#app').isVisible()).toBe(false);
    expect(await page.locator('#events-body tr').count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-wrong-token.png') });
    await page.close();
  });
});
