import { MASK } from '@ordercast/platform';
import { aRegistration, anOrder, sealedOrder, testBox } from '../../test/fixtures/orders';
import { canonicalJson } from '../signing/detached-jws';
import { buildDeliveryBody, canonicalDeliveryBody, DeliveryBodyInput, PublicOrder, publicOrder } from './delivery-body';

const registration = aRegistration({ headers: { 'X-API-Key': 'secret-key', 'X-Correlation-Id': 'c-1' }, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
const order = sealedOrder(anOrder({ notifications: [registration] }));
const input = {
  messageId: 'msg-1',
  type: 'order.state.changed',
  scope: 'state.completed',
  occurredAt: '2025-01-01T11:00:00.000Z',
  sequence: 4,
  merchant: order.merchant,
  channel: order.channel,
  orderId: order.id,
  notification: { id: registration.id, reference: registration.reference, description: registration.description },
  change: { kind: 'state', from: 'accepted', to: 'completed' },
  order: publicOrder(order, testBox),
};

describe('delivery body', () => {
  it('has the fields of the design, in order, with the message id as id', () => {
    const body = buildDeliveryBody({ ...input, payload: 'full' });
    expect(Object.keys(body)).toEqual(['id', 'type', 'scope', 'occurredAt', 'sequence', 'lastModified', 'merchant', 'channel', 'orderId', 'notification', 'change', 'order']);
    expect(body).toMatchObject({
      id: 'msg-1',
      type: 'order.state.changed',
      scope: 'state.completed',
      sequence: 4,
      orderId: order.id,
      notification: { id: registration.id, reference: 'erp-export', description: 'Send completed orders to the ERP' },
      change: { kind: 'state', from: 'accepted', to: 'completed' },
    });
    expect(body.order?.cart).toEqual(order.cart);
  });

  it('leaves the order out for payload: metadata, but keeps its lastModified', () => {
    const later = { ...input.order, lastModified: '2025-01-01T11:00:00.250Z' };
    const body = buildDeliveryBody({ ...input, order: later, payload: 'metadata' });
    expect(body).not.toHaveProperty('order');
    expect(body).toMatchObject({ orderId: order.id, occurredAt: '2025-01-01T11:00:00.000Z', lastModified: '2025-01-01T11:00:00.250Z' });
  });

  it('masks registration headers and removes signing secrets from the order', () => {
    const sent = publicOrder(order, testBox).notifications[0];
    expect(sent.headers).toEqual({ 'X-API-Key': MASK, 'X-Correlation-Id': 'c-1' });
    expect(sent).not.toHaveProperty('secret');
    expect(JSON.stringify(buildDeliveryBody({ ...input, payload: 'full' }))).not.toMatch(/secret-key|whsec_|ocs1\./);
  });

  it("shows a registration URL's scheme and host only: query credentials and a path that may hold a secret are masked", () => {
    const withToken = sealedOrder(anOrder({ notifications: [
      aRegistration({ url: 'https://erp.example.com/orders/{order.id}?Token=t0p-s3cret&format=json&API_KEY=k3y' }),
      aRegistration({ url: 'https://hooks.slack.com/services/T0AAA1111/B0BBB2222/XxYyZz0123456789abcdEFGH' }),
      aRegistration({ url: 'http://127.0.0.1:4319\\ALERTSEKRET\\x' }),
    ] }));
    expect(withToken.notifications[0].url).not.toContain('t0p-s3cret');
    expect(publicOrder(withToken, testBox).notifications.map((registration) => registration.url)).toEqual([`https://erp.example.com/${MASK}`, `https://hooks.slack.com/${MASK}`, `http://127.0.0.1:4319/${MASK}`]);
  });

  it("shows an OAuth2 token URL's scheme and host only, and masks what names another receiver's account, mailbox or topic", () => {
    const auth = { type: 'oauth2_client_credentials' as const, tokenUrl: 'https://login.example.com/tenants/SEKRET-TENANT/token?x=1', clientId: 'merchant-client-7', clientSecret: testBox.encrypt('s3cret', 'target-credentials'), scope: null, audience: null };
    const kafka = { brokers: ['kafka.example.com:9093'], topic: 'merchant-orders', sasl: { mechanism: 'plain' as const, username: 'merchant-user', password: testBox.encrypt('pw', 'target-credentials') }, ssl: true };
    const order = anOrder({ notifications: [aRegistration({ auth }), aRegistration({ url: null, delivery: 'email', email: 'ops@merchant.example' }), aRegistration({ url: null, delivery: 'kafka', kafka })] });
    const [oauth, email, topic] = publicOrder(order, testBox).notifications;
    expect(oauth.auth).toMatchObject({ tokenUrl: `https://login.example.com/${MASK}`, clientId: MASK, clientSecret: MASK });
    expect(email.email).toBe(MASK);
    expect(topic.kafka).toEqual({ brokers: ['kafka.example.com:9093'], topic: MASK, sasl: { mechanism: 'plain', username: MASK, password: MASK }, ssl: true });
    expect(JSON.stringify(publicOrder(order, testBox))).not.toMatch(/merchant-client-7|ops@merchant|merchant-orders|merchant-user|SEKRET/);
  });

  it('does not alter the order it was given', () => {
    const stored = JSON.stringify(order);
    publicOrder(order, testBox);
    expect(JSON.stringify(order)).toBe(stored);
  });
});

/** The order fixture with members a real snapshot could carry, to exercise every RFC 8785 rule. */
function orderWith(extra: Record<string, unknown>): PublicOrder {
  return Object.assign(publicOrder(sealedOrder(anOrder({ notifications: [registration] })), testBox), extra);
}

/** Names that sort differently by code point than by UTF-16 code unit: RFC 8785 wants the latter. */
const unicodeKeys = { '\u{1F600}': 'astral', '\uFFFD': 'replacement', é: 1, e: 2, E: 3, '': 'empty', '10': 'ten', '9': 'nine', 'a"b\n': 'escaped', '\u0080': 'c1' };

const varied: Array<[string, DeliveryBodyInput]> = [
  ['the plain fixture', { ...input, payload: 'full' }],
  ['payload metadata, which has no order member', { ...input, payload: 'metadata' }],
  ['a null reference and description', { ...input, notification: { id: 'n-1', reference: null, description: null }, payload: 'full' }],
  ['unicode member names at every level', { ...input, change: { kind: 'state', ...unicodeKeys }, order: orderWith({ extra: unicodeKeys }), payload: 'full' }],
  [
    'numbers in ECMAScript form',
    {
      ...input,
      change: { kind: 'payment', amounts: [1e21, 0.1, -0, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, 123456789.125, 1e300] },
      order: orderWith({ cart: { items: [], total: 0.30000000000000004 } }),
      payload: 'full',
    },
  ],
  [
    'nested objects and arrays',
    { ...input, change: { kind: 'notifications', added: ['a', 'b'], removed: [] }, order: orderWith({ deep: { z: [{ y: [null, true, { x: {} }] }], a: [[], [[1]]] } }), payload: 'full' },
  ],
  ['strings that need escaping', { ...input, type: 'quote " backslash \\ tab \t', scope: '\u2028\u0000\u001f</script>', order: orderWith({ note: 'Zoë 注文 🚚 \ud800' }), payload: 'full' }],
  ['members without a JSON value, which are left out', { ...input, order: orderWith({ gone: undefined, list: [undefined, 1] }), payload: 'full' }],
  ['the manual change with metadata', { ...input, change: { kind: 'manual' }, notification: { id: 'n-2', reference: 'ref', description: null }, payload: 'metadata' }],
];

describe('canonical body text', () => {
  it.each(varied)('is canonicalJson(buildDeliveryBody(input)) byte for byte for %s', (_name, body) => {
    const parts = { change: canonicalJson(body.change), order: () => canonicalJson(body.order) };
    expect(canonicalDeliveryBody(body, parts)).toBe(canonicalJson(buildDeliveryBody(body)));
  });

  it('takes the change and order text as given instead of serialising them again', () => {
    const text = canonicalDeliveryBody({ ...input, payload: 'full' }, { change: '"C"', order: () => '"O"' });
    expect(JSON.parse(text)).toMatchObject({ change: 'C', order: 'O' });
  });

  it('never asks for the order text of a metadata body', () => {
    const order = jest.fn(() => canonicalJson(input.order));
    canonicalDeliveryBody({ ...input, payload: 'metadata' }, { change: canonicalJson(input.change), order });
    expect(order).not.toHaveBeenCalled();
  });

  it('has every member of the body object, so a member added to the body cannot be left out of the text', () => {
    const parts = { change: canonicalJson(input.change), order: () => canonicalJson(input.order) };
    expect(Object.keys(JSON.parse(canonicalDeliveryBody({ ...input, payload: 'full' }, parts)))).toEqual(Object.keys(buildDeliveryBody({ ...input, payload: 'full' })).sort());
  });
});
