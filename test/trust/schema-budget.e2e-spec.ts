import request from 'supertest';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import {
  ALPHA, BETA, CHANNELS, createOrder, InProcessService, ORDERS, startNotificationService, startTrustStack, SUBSCRIPTIONS, topicPrefix, TrustStack,
} from './support/services';

jest.setTimeout(120_000);

/** The schema of the incident: anyOf chained through $defs, two references per level, 22 levels (about 1.5 KB). */
function anyOfChain(levels: number): Record<string, unknown> {
  const $defs: Record<string, unknown> = { [`l${levels}`]: { type: 'string', minLength: 3 } };
  for (let level = 0; level < levels; level += 1) $defs[`l${level}`] = { anyOf: [{ $ref: `#/$defs/l${level + 1}` }, { $ref: `#/$defs/l${level + 1}` }] };
  return { $defs, $ref: '#/$defs/l0' };
}

const BOMB = anyOfChain(22);
/** uniqueItems over an array the merchant controls, with nothing bounding its length. */
const UNIQUE_UNBOUNDED = { type: 'array', uniqueItems: true };
/** The same, registrable: bounded by maxItems. On an array of 12,000 nodes it is over the matching budget. */
const UNIQUE_BOUNDED = { type: 'array', uniqueItems: true, maxItems: 1000 };
// More than matching's 10,000 nodes under one pointer, within a body's 1,000 items per array and 20,000 values.
const TAGS = Array.from({ length: 1000 }, (_, i) => Array.from({ length: 11 }, (_, j) => i * 11 + j));

/**
 * Matching has a budget: a schema whose evaluation cost cannot be bounded is refused at
 * registration on both services (400 naming the problem), and a schema that passes registration
 * but would blow the per-change budget is a recorded non-match: no crash, no stall for other
 * merchants, and nothing left to crash the next start.
 */
describe('schema budget (real PostgreSQL, real Kafka)', () => {
  let stack: TrustStack;
  let sink: RecordingSink;
  let notifications: InProcessService;
  const env = { KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('schema-budget'), LOG_LEVEL: 'warn' };

  beforeAll(async () => {
    sink = await RecordingSink.start();
    stack = await startTrustStack(env);
    notifications = stack.notifications;
  });

  // The stack's close() would close the instance it started, which the restart replaced.
  afterAll(async () => {
    await notifications?.close();
    await stack?.orders.close();
    await stack?.sql.end();
    await stack?.db.drop();
    await sink?.close();
  });

  const orders = () => request(stack.orders.http);
  const api = () => request(notifications.http);
  const watch = (pointer: string, schema: unknown) => [{ pointer, schema }];
  const registration = (schema: unknown) => ({ url: sink.url('/never'), scope: '/customer/name', schema });
  const messages = (response: request.Response) => (response.body.message as string[]).join('\n');

  it('refuses the anyOf/$defs chain and uniqueItems over an unbounded array at registration on both services, naming the problem', async () => {
    const order = await createOrder(stack.orders.http);
    const cases: [unknown, RegExp][] = [
      [BOMB, /anyOf\/oneOf\/allOf\/not\/if 22 levels deep \(through \$ref\); at most 8 allowed/],
      [UNIQUE_UNBOUNDED, /uniqueItems at \/ needs maxItems of at most 1000 beside it/],
    ];
    for (const [schema, problem] of cases) {
      expect(messages(await orders().post(ORDERS).set({ ...ALPHA, 'x-channel': 'web' })
        .send({ currency: 'SEK', cart: { items: [], total: 0 }, notifications: [registration(schema)] }).expect(400))).toMatch(problem);
      expect(messages(await orders().post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(registration(schema)).expect(400))).toMatch(problem);
      expect(messages(await orders().put(`${CHANNELS}/web/notifications`).set(ALPHA).send([registration(schema)]).expect(400))).toMatch(problem);
      expect(messages(await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'bomb', url: sink.url('/never'), scope: watch('/customer/tags', schema) }).expect(400)))
        .toMatch(problem);
      expect(messages(await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'bomb', url: sink.url('/never'), scope: '/customer/tags', schema }).expect(400)))
        .toMatch(problem);
    }
    // Nothing was stored by the refusals.
    expect((await orders().get(`${ORDERS}/${order.id}/notifications`).set(ALPHA).expect(200)).body).toEqual([]);
    expect((await orders().get(`${CHANNELS}/web/notifications`).set(ALPHA).expect(200)).body).toEqual([]);
    expect((await api().get(SUBSCRIPTIONS).set(ALPHA).expect(200)).body).toEqual([]);

    const subscription = (await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'fine', url: sink.url('/never'), scope: { state: ['completed'] }, enabled: false }).expect(201)).body;
    expect(messages(await api().patch(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).send({ scope: watch('/customer/tags', BOMB) }).expect(400))).toMatch(/22 levels deep/);
    await api().delete(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).expect(204);
  });

  it('refuses a schema that does not compile, or uses an unknown format, instead of never matching', async () => {
    for (const [schema, problem] of [
      [{ type: 'nonsense' }, /schema is not a valid JSON Schema/],
      [{ type: 'string', format: 'e-mail' }, /unknown format "e-mail"/],
      [{ emum: ['completed'] }, /unknown keyword: "emum"/],
    ] as const) {
      expect(messages(await orders().post(ORDERS).set({ ...ALPHA, 'x-channel': 'web' })
        .send({ currency: 'SEK', cart: { items: [], total: 0 }, notifications: [registration(schema)] }).expect(400))).toMatch(problem);
      expect(messages(await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'bad', url: sink.url('/never'), scope: watch('/customer/email', schema) }).expect(400)))
        .toMatch(problem);
    }
  });

  it('honours format: an email schema matches an address and not something else', async () => {
    const path = `/format-${Date.now()}`;
    const subscription = (await api().post(SUBSCRIPTIONS).set(BETA).send({ name: 'emails', url: sink.url(path), scope: watch('/customer/email', { type: 'string', format: 'email' }) }).expect(201)).body;
    // Each order also notifies a marker on creation, which proves its change was matched.
    const marker = (name: string) => [{ url: sink.url(`${path}/marker/${name}`), scope: { state: ['checkout'] } }];
    const valid = await createOrder(stack.orders.http, { customer: { email: 'buyer@shop.example' }, notifications: marker('valid') }, BETA);
    const invalid = await createOrder(stack.orders.http, { customer: { email: 'not an address' }, notifications: marker('invalid') }, BETA);
    await sink.until(() => sink.received(`${path}/marker/valid`).length === 1 && sink.received(`${path}/marker/invalid`).length === 1, 30_000, () => 'markers');
    await sink.until(() => sink.received(path).length === 1, 30_000, () => 'the valid address');
    expect(JSON.parse(sink.received(path)[0].body)).toMatchObject({ orderId: valid.id, notification: { id: subscription.id } });
    expect(sink.received(path).map((r) => JSON.parse(r.body).orderId)).not.toContain(invalid.id);
    await api().patch(`${SUBSCRIPTIONS}/${subscription.id}`).set(BETA).send({ enabled: false }).expect(200);
  });

  it('records a schema over the per-change budget as a non-match, keeps other merchants flowing, and survives a restart', async () => {
    const output = jest.spyOn(process.stdout, 'write');
    const path = `/budget-${Date.now()}`;
    const heavy = (await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'unique tags', url: sink.url(`${path}/alpha`), scope: watch('/customer/tags', UNIQUE_BOUNDED) }).expect(201)).body;
    await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'unique tags again', url: sink.url(`${path}/alpha`), scope: watch('/customer/tags', UNIQUE_BOUNDED) }).expect(201);
    const beta = (await api().post(SUBSCRIPTIONS).set(BETA).send({ name: 'beta orders', url: sink.url(`${path}/beta`), scope: { state: ['checkout'] } }).expect(201)).body;

    const big = await createOrder(stack.orders.http, { customer: { tags: TAGS }, notifications: [{ url: sink.url(`${path}/marker`), scope: { state: ['checkout'] } }] });
    const other = await createOrder(stack.orders.http, {}, BETA);
    await sink.until(() => sink.received(`${path}/marker`).length === 1 && sink.received(`${path}/beta`).length === 1, 30_000, () => 'the big order matched and beta delivered');
    expect(sink.received(`${path}/alpha`)).toEqual([]);
    expect(JSON.parse(sink.received(`${path}/beta`)[0].body).orderId).toBe(other.id);

    const metrics = (await api().get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^ordercast_match_refusals_total\{kind="value"\} [1-9]/m);
    const lines = output.mock.calls.map(([chunk]) => String(chunk)).filter((line) => line.includes('over the matching budget'));
    output.mockRestore();
    expect(lines.map((line) => JSON.parse(line))).toContainEqual(expect.objectContaining({
      subscriptionId: heavy.id, orderId: big.id, merchant: 'alpha', pointer: '/customer/tags', kind: 'value', reason: expect.stringMatching(/more than 10000 nodes/),
    }));
    // One line per change, however many of its watches were refused: both of alpha's count in it.
    const forBig = lines.map((line) => JSON.parse(line)).filter((line) => line.orderId === big.id);
    expect(forBig).toHaveLength(1);
    expect(forBig[0].watchesRefused).toBe(2);
    expect((await stack.sql.query(`SELECT count(*)::int AS n FROM notifications.parked_changes`)).rows[0].n).toBe(0);

    // A restart finds nothing to choke on and delivers at once.
    await notifications.close();
    notifications = await startNotificationService({ DATABASE_URL: stack.db.url, ...env });
    const after = await createOrder(stack.orders.http, {}, BETA);
    await sink.until(() => sink.received(`${path}/beta`).some((r) => JSON.parse(r.body).orderId === after.id), 30_000, () => 'beta after the restart');
    expect((await stack.sql.query(`SELECT count(*)::int AS n FROM notifications.ingest_attempts WHERE attempts > 1`)).rows[0].n).toBe(0);
    await api().patch(`${SUBSCRIPTIONS}/${beta.id}`).set(BETA).send({ enabled: false }).expect(200);
  });
});
