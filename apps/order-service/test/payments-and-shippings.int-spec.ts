import request from 'supertest';
import {
  ALPHA, BETA, createOrder, expectNothingChanged, ORDERS, registration, startSuite, Suite, UNKNOWN_ID,
} from './order-service.fixture';

describe('payments and shippings API', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite()));
  afterAll(() => suite.close());

  const events = async (orderId: string, type: string) =>
    (await suite.sql.query('SELECT payload FROM orders.outbox WHERE order_id = $1 AND payload->>\'type\' = $2 ORDER BY seq', [orderId, type]))
      .rows.map((row) => row.payload);

  describe('payments', () => {
    const payments = (orderId: string) => `${ORDERS}/${orderId}/payments`;
    const payment = { adapterId: 'klarna-checkout', name: 'Klarna', amount: 998, state: 'intent' };

    it('adds a payment in the order currency by default', async () => {
      const order = await createOrder(suite.http);
      const response = await request(suite.http).post(payments(order.id)).set(ALPHA).send(payment);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        adapterId: 'klarna-checkout',
        name: 'Klarna',
        amount: 998,
        currency: 'SEK',
        state: 'intent',
        created: expect.any(String),
        lastModified: response.body.created,
        notifications: [],
      });
      const { notifications, ...stored } = response.body;
      expect(notifications).toEqual([]);
      const read = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA);
      expect(read.body.payments).toEqual([stored]);
      expect(read.body.lastModified).toBe(stored.created);
    });

    it('keeps a given currency and leaves the name null when not given', async () => {
      const order = await createOrder(suite.http);
      const response = await request(suite.http).post(payments(order.id)).set(ALPHA).send({ adapterId: 'adyen', amount: 0, currency: 'EUR', state: 'authorized' });
      expect(response.body).toMatchObject({ name: null, currency: 'EUR', amount: 0, state: 'authorized' });
    });

    it('registers notifications with the payment in the same change, so one event carries both', async () => {
      const order = await createOrder(suite.http);
      const response = await request(suite.http).post(payments(order.id)).set(ALPHA)
        .send({ ...payment, notifications: [registration({ scope: { state: ['completed'] } }), registration({ adapterId: 'other', scope: { payment: ['captured'] } })] });
      expect(response.status).toBe(201);
      expect(response.body.notifications).toHaveLength(2);
      expect(response.body.notifications[0]).toMatchObject({ source: 'payment', adapterId: 'klarna-checkout', headers: { 'X-API-Key': '********' }, secret: 'whsec_********' });
      expect(response.body.notifications[1]).toMatchObject({ source: 'payment', adapterId: 'other' });

      const [event] = await events(order.id, 'order.payment.changed');
      expect(event.change).toEqual({ kind: 'payment', paymentId: response.body.id, from: null, to: 'intent' });
      expect(event.previous.payments).toEqual([]);
      expect(event.previous).not.toHaveProperty('notifications');
      expect(event.order.payments.map((p: { id: string }) => p.id)).toEqual([response.body.id]);
      expect(event.order.notifications.map((n: { id: string }) => n.id)).toEqual(response.body.notifications.map((n: { id: string }) => n.id));
      expect(await events(order.id, 'order.notifications.changed')).toEqual([]);
    });

    it.each([
      ['an unknown state', { state: 'paid' }, 'state must be one of the following values'],
      ['a negative amount', { amount: -1 }, 'amount must not be less than 0'],
      ['an amount as a string', { amount: '998' }, 'amount must be a number'],
      ['no adapterId', { adapterId: undefined }, 'adapterId must be a string'],
      ['a bad currency', { currency: 'kronor' }, 'currency must be an ISO 4217 currency code'],
      ['an unknown field', { captured: true }, 'property captured should not exist'],
      ['an invalid notification', { notifications: [registration({ scope: {} })] }, 'scope must watch something'],
    ])('refuses %s with 400 and no change', async (_, overrides, message) => {
      const order = await createOrder(suite.http);
      await expectNothingChanged(suite, order.id, async () => {
        const response = await request(suite.http).post(payments(order.id)).set(ALPHA).send({ ...payment, ...overrides });
        expect(response.status).toBe(400);
        expect(response.body.message.join('\n')).toContain(message);
      });
    });

    it('is 404 for an unknown, malformed or foreign order', async () => {
      const order = await createOrder(suite.http);
      expect((await request(suite.http).post(payments(UNKNOWN_ID)).set(ALPHA).send(payment)).status).toBe(404);
      expect((await request(suite.http).post(payments('nope')).set(ALPHA).send(payment)).status).toBe(404);
      await expectNothingChanged(suite, order.id, async () => {
        expect((await request(suite.http).post(payments(order.id)).set(BETA).send(payment)).status).toBe(404);
      });
    });

    describe('PATCH', () => {
      it('changes the state and writes one event with from and to', async () => {
        const order = await createOrder(suite.http);
        const added = (await request(suite.http).post(payments(order.id)).set(ALPHA).send(payment)).body;
        const response = await request(suite.http).patch(`${payments(order.id)}/${added.id}`).set(ALPHA).send({ state: 'authorized' });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ id: added.id, state: 'authorized', amount: 998, created: added.created });
        expect(response.body.lastModified > added.lastModified).toBe(true);
        const [, updated] = await events(order.id, 'order.payment.changed');
        expect(updated.change).toEqual({ kind: 'payment', paymentId: added.id, from: 'intent', to: 'authorized' });
        expect(updated.previous.payments[0].state).toBe('intent');
        expect(updated.order.payments[0]).toEqual(response.body);
      });

      it('changes the amount alone', async () => {
        const order = await createOrder(suite.http);
        const added = (await request(suite.http).post(payments(order.id)).set(ALPHA).send(payment)).body;
        const response = await request(suite.http).patch(`${payments(order.id)}/${added.id}`).set(ALPHA).send({ amount: 500 });
        expect(response.body).toMatchObject({ state: 'intent', amount: 500 });
        expect(await events(order.id, 'order.payment.changed')).toHaveLength(2);
      });

      it('allows any listed state after any other, such as a refund after capture', async () => {
        const order = await createOrder(suite.http);
        const added = (await request(suite.http).post(payments(order.id)).set(ALPHA).send({ ...payment, state: 'captured' })).body;
        for (const state of ['refunded', 'partly_refunded', 'removed']) {
          expect((await request(suite.http).patch(`${payments(order.id)}/${added.id}`).set(ALPHA).send({ state })).body.state).toBe(state);
        }
      });

      it.each([
        ['the same state', { state: 'intent' }],
        ['the same amount', { amount: 998 }],
        ['nothing', {}],
      ])('answers 200 and publishes nothing for %s', async (_, body) => {
        const order = await createOrder(suite.http);
        const added = (await request(suite.http).post(payments(order.id)).set(ALPHA).send(payment)).body;
        await expectNothingChanged(suite, order.id, async () => {
          const response = await request(suite.http).patch(`${payments(order.id)}/${added.id}`).set(ALPHA).send(body);
          expect(response.status).toBe(200);
          expect(response.body).toEqual({ ...added, notifications: undefined });
        });
      });

      it('refuses bad input with 400 and no change', async () => {
        const order = await createOrder(suite.http);
        const added = (await request(suite.http).post(payments(order.id)).set(ALPHA).send(payment)).body;
        await expectNothingChanged(suite, order.id, async () => {
          for (const body of [{ state: 'paid' }, { amount: -5 }, { currency: 'EUR' }]) {
            expect((await request(suite.http).patch(`${payments(order.id)}/${added.id}`).set(ALPHA).send(body)).status).toBe(400);
          }
        });
      });

      it('is 404 for an unknown or malformed payment, or a foreign order', async () => {
        const order = await createOrder(suite.http);
        const added = (await request(suite.http).post(payments(order.id)).set(ALPHA).send(payment)).body;
        await expectNothingChanged(suite, order.id, async () => {
          const unknown = await request(suite.http).patch(`${payments(order.id)}/${UNKNOWN_ID}`).set(ALPHA).send({ state: 'captured' });
          expect(unknown.status).toBe(404);
          expect(unknown.body.message).toBe(`payment ${UNKNOWN_ID} not found on order ${order.id}`);
          expect((await request(suite.http).patch(`${payments(order.id)}/nope`).set(ALPHA).send({ state: 'captured' })).status).toBe(404);
          expect((await request(suite.http).patch(`${payments(order.id)}/${added.id}`).set(BETA).send({ state: 'captured' })).status).toBe(404);
        });
      });
    });
  });

  describe('shippings', () => {
    const shippings = (orderId: string) => `${ORDERS}/${orderId}/shippings`;
    const address = { street: 'Drottninggatan 1', postalCode: '111 51', city: 'Stockholm', country: 'SE' };
    const shipping = { adapterId: 'ingrid', name: 'Home delivery', price: 49, state: 'intent', address };

    it('adds a shipping', async () => {
      const order = await createOrder(suite.http);
      const response = await request(suite.http).post(shippings(order.id)).set(ALPHA).send(shipping);
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/), adapterId: 'ingrid', name: 'Home delivery', price: 49, state: 'intent', address,
        created: expect.any(String), lastModified: response.body.created, notifications: [],
      });
      const [event] = await events(order.id, 'order.shipping.changed');
      expect(event.change).toEqual({ kind: 'shipping', shippingId: response.body.id, from: null, to: 'intent' });
    });

    it('leaves price, name and address null when not given', async () => {
      const order = await createOrder(suite.http);
      const response = await request(suite.http).post(shippings(order.id)).set(ALPHA).send({ adapterId: 'ingrid', state: 'processing' });
      expect(response.body).toMatchObject({ name: null, price: null, address: null });
    });

    it('registers notifications with the shipping in the same event', async () => {
      const order = await createOrder(suite.http);
      const response = await request(suite.http).post(shippings(order.id)).set(ALPHA).send({ ...shipping, notifications: [registration({ scope: { shipping: true } })] });
      expect(response.body.notifications[0]).toMatchObject({ source: 'shipping', adapterId: 'ingrid' });
      const [event] = await events(order.id, 'order.shipping.changed');
      expect(event.order.notifications.map((n: { id: string }) => n.id)).toEqual([response.body.notifications[0].id]);
    });

    it('updates state, price and address, each one event', async () => {
      const order = await createOrder(suite.http);
      const added = (await request(suite.http).post(shippings(order.id)).set(ALPHA).send(shipping)).body;
      const path = `${shippings(order.id)}/${added.id}`;
      expect((await request(suite.http).patch(path).set(ALPHA).send({ state: 'confirmed' })).body.state).toBe('confirmed');
      expect((await request(suite.http).patch(path).set(ALPHA).send({ price: 0 })).body.price).toBe(0);
      const moved = { ...address, street: 'Kungsgatan 2' };
      expect((await request(suite.http).patch(path).set(ALPHA).send({ address: moved })).body.address).toEqual(moved);
      const updates = (await events(order.id, 'order.shipping.changed')).slice(1);
      expect(updates.map((e) => e.change)).toEqual([
        { kind: 'shipping', shippingId: added.id, from: 'intent', to: 'confirmed' },
        { kind: 'shipping', shippingId: added.id, from: 'confirmed', to: 'confirmed' },
        { kind: 'shipping', shippingId: added.id, from: 'confirmed', to: 'confirmed' },
      ]);
      expect(updates[2].previous.shippings[0].address).toEqual(address);
      expect(updates[2].order.shippings[0].address).toEqual(moved);
    });

    it('answers 200 and publishes nothing when the update changes nothing (same address in another key order)', async () => {
      const order = await createOrder(suite.http);
      const added = (await request(suite.http).post(shippings(order.id)).set(ALPHA).send(shipping)).body;
      const reordered = { country: 'SE', city: 'Stockholm', postalCode: '111 51', street: 'Drottninggatan 1' };
      await expectNothingChanged(suite, order.id, async () => {
        const response = await request(suite.http).patch(`${shippings(order.id)}/${added.id}`).set(ALPHA).send({ state: 'intent', price: 49, address: reordered });
        expect(response.status).toBe(200);
      });
    });

    it('refuses bad input with 400 and no change', async () => {
      const order = await createOrder(suite.http);
      const added = (await request(suite.http).post(shippings(order.id)).set(ALPHA).send(shipping)).body;
      await expectNothingChanged(suite, order.id, async () => {
        for (const body of [{ ...shipping, state: 'shipped' }, { ...shipping, price: -1 }, { ...shipping, address: 'Stockholm' }, { ...shipping, carrier: 'x' }]) {
          expect((await request(suite.http).post(shippings(order.id)).set(ALPHA).send(body)).status).toBe(400);
        }
        for (const body of [{ state: 'lost' }, { price: -1 }, { address: ['x'] }, { adapterId: 'x' }]) {
          expect((await request(suite.http).patch(`${shippings(order.id)}/${added.id}`).set(ALPHA).send(body)).status).toBe(400);
        }
      });
    });

    it('is 404 for an unknown or malformed shipping, or a foreign order', async () => {
      const order = await createOrder(suite.http);
      const added = (await request(suite.http).post(shippings(order.id)).set(ALPHA).send(shipping)).body;
      await expectNothingChanged(suite, order.id, async () => {
        expect((await request(suite.http).patch(`${shippings(order.id)}/${UNKNOWN_ID}`).set(ALPHA).send({ state: 'confirmed' })).status).toBe(404);
        expect((await request(suite.http).patch(`${shippings(order.id)}/1`).set(ALPHA).send({ state: 'confirmed' })).status).toBe(404);
        expect((await request(suite.http).patch(`${shippings(order.id)}/${added.id}`).set(BETA).send({ state: 'confirmed' })).status).toBe(404);
        expect((await request(suite.http).post(shippings(order.id)).set(BETA).send(shipping)).status).toBe(404);
      });
    });
  });
});
