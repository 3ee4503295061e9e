import { INestApplication } from '@nestjs/common';
import { SECRET_BOX, SecretBox } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { DeliveryBody } from '../src/delivery/delivery-body';
import { POLLING_ENTITIES, POLLING_MIGRATIONS, PollingModule, PollQueue } from '../src/polling';
import { PollSignal } from '../src/polling/poll-signal';
import { TEST_ENCRYPTION_KEY } from '../../../test/support/env';
import { FeatureApp, startFeatureApp } from './feature-app';

const BASE = '/api/v0/checkout/notifications';
const VISIBILITY_MS = 300;
const merchantA = { 'X-Merchant': 'merchant-a', Authorization: 'Bearer token-a' };
const merchantB = { 'X-Merchant': 'merchant-b', Authorization: 'Bearer token-b' };

function aBody(merchant: string, orderId: string, messageId: string): string {
  const body: DeliveryBody = {
    id: messageId,
    type: 'order.state.changed',
    scope: 'state.completed',
    occurredAt: new Date().toISOString(),
    sequence: 1,
    lastModified: new Date().toISOString(),
    merchant,
    channel: 'web-se',
    orderId,
    notification: { id: randomUUID(), reference: 'erp-export', description: null },
    change: { kind: 'state', from: 'accepted', to: 'completed' },
  };
  return JSON.stringify(body);
}

describe('poll queue (real PostgreSQL)', () => {
  let feature: FeatureApp;
  let app: INestApplication;
  let queue: PollQueue;
  let dataSource: DataSource;

  const http = () => request(app.getHttpServer());
  const receive = (query: string, auth = merchantA) => http().get(`${BASE}/receive${query}`).set(auth);
  const ack = (ids: string[], auth = merchantA) => http().post(`${BASE}/ack`).set(auth).send({ messageInfos: ids.map((messageIdentifier) => ({ messageIdentifier })) });
  const receivedIds = (response: request.Response): string[] => response.body.messages.map((m: { messageInfo: { messageId: string } }) => m.messageInfo.messageId);

  /** The JSON text queued for each message id. */
  const bodies = new Map<string, string>();

  /** Queues `count` messages for the merchant; returns their ids in creation order. */
  async function enqueue(merchant: string, count = 1): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    for (const id of ids) bodies.set(id, aBody(merchant, 'o-1', id));
    await queue.enqueue(ids.map((messageId) => ({ merchant, messageId, eventId: randomUUID(), orderId: `order-${messageId.slice(0, 8)}`, body: bodies.get(messageId)! })));
    return ids;
  }

  /** Waits until PostgreSQL's clock has passed these messages' visibility timeout: the condition itself, where a sleep would guess. */
  async function untilVisibilityPassed(ids: string[]): Promise<void> {
    for (;;) {
      const [{ passed }] = await dataSource.query(`SELECT bool_and("visible_at" <= now()) AS passed FROM notifications.poll_messages WHERE id = ANY($1::uuid[])`, [ids]);
      if (passed) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends a request now: supertest sends only once its result is awaited. */
  const sent = (test: request.Test): Promise<request.Response> => test.then((response) => response);

  /**
   * The next long-poll as the queue sees it: `waiting` once it subscribed to enqueue signals (it
   * is in the request and looking), `done` once it let go of them (it answered or gave up).
   */
  function nextLongPoll(): { waiting: Promise<void>; done: Promise<void> } {
    const signal = app.get(PollSignal);
    let markWaiting = () => undefined as void;
    let markDone = () => undefined as void;
    const progress = { waiting: new Promise<void>((resolve) => (markWaiting = resolve)), done: new Promise<void>((resolve) => (markDone = resolve)) };
    const spy = jest.spyOn(signal, 'subscribe').mockImplementationOnce((merchant: string) => {
      spy.mockRestore();
      const wakeup = signal.subscribe(merchant);
      markWaiting();
      return { wait: (timeoutMs, abort) => wakeup.wait(timeoutMs, abort), close: () => (wakeup.close(), markDone()) };
    });
    return progress;
  }

  const row = async (id: string): Promise<{ receive_count: number; acked_at: Date | null; visible_at: Date } | undefined> =>
    (await dataSource.query(`SELECT receive_count, acked_at, visible_at FROM notifications.poll_messages WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    feature = await startFeatureApp({
      feature: PollingModule.register({ visibilityMs: VISIBILITY_MS, purgeIntervalMs: 0 }),
      entities: POLLING_ENTITIES,
      migrations: POLLING_MIGRATIONS,
      tokens: { 'token-a': 'merchant-a', 'token-b': 'merchant-b' },
      globals: [{ provide: SECRET_BOX, useValue: new SecretBox(TEST_ENCRYPTION_KEY) }],
    });
    ({ app, dataSource } = feature);
    queue = app.get(PollQueue);
  });

  beforeEach(() => dataSource.query(`TRUNCATE notifications.poll_messages`));

  afterAll(() => feature?.close());

  it('needs a merchant and its token', async () => {
    await http().get(`${BASE}/receive`).set('X-Merchant', 'merchant-a').expect(401);
    await http().get(`${BASE}/receive`).set({ 'X-Merchant': 'merchant-b', Authorization: 'Bearer token-a' }).expect(403);
  });

  it('receives with autoAck: the messages with their bodies, acknowledged at once and never received again', async () => {
    const ids = await enqueue('merchant-a', 3);
    const response = await receive('?autoAck=true').expect(200);
    expect(response.body.autoAckFailedMessages).toEqual([]);
    expect(receivedIds(response).sort()).toEqual([...ids].sort());
    const [message] = response.body.messages;
    expect(message).toEqual({
      messageInfo: { messageId: expect.any(String), receiptHandle: expect.stringMatching(/^[0-9a-f]{64}$/) },
      createdAt: expect.any(String),
      orderNotification: expect.objectContaining({ id: message.messageInfo.messageId, merchant: 'merchant-a', scope: 'state.completed' }),
    });
    // The body as a webhook would get it, down to the order of its fields.
    expect(JSON.stringify(message.orderNotification)).toBe(bodies.get(message.messageInfo.messageId));

    await untilVisibilityPassed(ids);
    expect((await receive('').expect(200)).body.messages).toEqual([]);
    expect((await row(ids[0]))?.acked_at).toBeInstanceOf(Date);
  });

  it('hides a received, unacknowledged message for the visibility timeout, then gives it again with a new receipt handle', async () => {
    const [id] = await enqueue('merchant-a');
    const first = await receive('').expect(200);
    expect(receivedIds(first)).toEqual([id]);
    expect((await receive('').expect(200)).body.messages).toEqual([]);

    // A long-poll returns it once the visibility timeout is over (and would return empty after 20 s otherwise).
    const second = await receive('?timeoutMs=20000').expect(200);
    expect(receivedIds(second)).toEqual([id]);
    expect(second.body.messages[0].messageInfo.receiptHandle).not.toBe(first.body.messages[0].messageInfo.receiptHandle);
    expect(second.body.messages[0].createdAt).toBe(first.body.messages[0].createdAt);
    expect((await row(id))?.receive_count).toBe(2);
  });

  it('gives at most maxNumberMessages, oldest first', async () => {
    const ids = await enqueue('merchant-a', 1);
    ids.push(...(await enqueue('merchant-a', 1)), ...(await enqueue('merchant-a', 1)));
    expect(receivedIds(await receive('?maxNumberMessages=2').expect(200))).toEqual(ids.slice(0, 2));
    expect(receivedIds(await receive('').expect(200))).toEqual(ids.slice(2));
  });

  it('acknowledges by messageId, lists an unknown id as failed, and is idempotent', async () => {
    const [first, second] = await enqueue('merchant-a', 2);
    await receive('').expect(200);
    const unknown = randomUUID();

    const response = await ack([first, unknown]).expect(200);
    expect(response.body).toEqual({ ackFailedMessages: [{ messageIdentifier: unknown, reason: 'unknown message' }] });
    const ackedAt = (await row(first))?.acked_at;
    expect(ackedAt).toBeInstanceOf(Date);

    expect((await ack([first]).expect(200)).body).toEqual({ ackFailedMessages: [] });
    expect((await row(first))?.acked_at).toEqual(ackedAt);

    // Both were received together: once the unacknowledged one is visible again, so would the other be.
    expect(receivedIds(await receive('?timeoutMs=20000').expect(200))).toEqual([second]);
  });

  it('long-polls: returns as soon as a message is enqueued during the wait', async () => {
    // A wait that ran out would answer with no messages: getting the message shows the enqueue ended it.
    const poll = nextLongPoll();
    const pending = sent(receive('?timeoutMs=20000').expect(200));
    await poll.waiting;
    const [id] = await enqueue('merchant-a');
    expect(receivedIds(await pending)).toEqual([id]);
  });

  it('long-polls: finds a message another instance enqueued (no in-process signal) at its next re-check', async () => {
    const poll = nextLongPoll();
    const pending = sent(receive('?timeoutMs=20000').expect(200));
    await poll.waiting;
    const otherInstance = new PollQueue(dataSource, new PollSignal(), { visibilityMs: VISIBILITY_MS });
    const id = randomUUID();
    await otherInstance.enqueue([{ merchant: 'merchant-a', messageId: id, eventId: null, orderId: 'o-2', body: aBody('merchant-a', 'o-2', id) }]);
    expect(receivedIds(await pending)).toEqual([id]);
  });

  it('long-polls: returns empty after timeoutMs when nothing arrives, and ignores other merchants', async () => {
    const poll = nextLongPoll();
    const started = Date.now();
    const pending = sent(receive('?timeoutMs=600').expect(200));
    await poll.waiting;
    await enqueue('merchant-b');
    const response = await pending;
    expect(response.body).toEqual({ messages: [], autoAckFailedMessages: [] });
    // A lower bound only: it holds on any machine, however slow.
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('stops a long-poll whose client went away, so autoAck does not swallow a message nobody reads', async () => {
    const poll = nextLongPoll();
    const gone = receive('?timeoutMs=20000&autoAck=true');
    void gone.catch(() => undefined); // sends it; the abort below rejects it
    await poll.waiting;
    gone.abort();
    // Only the abort can end it before its 20 s, which are past the test's own timeout.
    await poll.done;
    const [id] = await enqueue('merchant-a');
    expect(receivedIds(await receive('').expect(200))).toEqual([id]);
  });

  it('lists every message of a period, acknowledged or not, oldest first', async () => {
    const [acked, received, untouched] = await enqueue('merchant-a', 3);
    await enqueue('merchant-b');
    await ack([acked]).expect(200);
    await dataSource.query(`UPDATE notifications.poll_messages SET created_at = created_at - interval '1 millisecond' * (CASE id WHEN $1::uuid THEN 3 WHEN $2::uuid THEN 2 ELSE 1 END)`, [acked, received]);
    await receive('?maxNumberMessages=1').expect(200);
    const old = randomUUID();
    await queue.enqueue([{ merchant: 'merchant-a', messageId: old, eventId: null, orderId: 'o-old', body: aBody('merchant-a', 'o-old', old) }]);
    await dataSource.query(`UPDATE notifications.poll_messages SET created_at = now() - interval '3 days' WHERE id = $1`, [old]);

    const start = new Date(Date.now() - 60_000).toISOString();
    const end = new Date(Date.now() + 60_000).toISOString();
    const response = await http().get(BASE).query({ periodStart: start, periodEnd: end }).set(merchantA).expect(200);
    expect(response.body.truncated).toBe(false);
    expect(response.body.messagesResponses.map((m: { messageInfo: { messageId: string }; acknowledged: boolean }) => [m.messageInfo.messageId, m.acknowledged]))
      .toEqual([[acked, true], [received, false], [untouched, false]]);
    expect(response.body.messagesResponses[0]).toEqual({
      messageInfo: { messageId: acked },
      createdAt: expect.any(String),
      acknowledged: true,
      orderNotification: expect.objectContaining({ id: acked, orderId: 'o-1' }),
    });

    const wider = await http().get(BASE).query({ periodStart: new Date(Date.now() - 5 * 86_400_000).toISOString(), periodEnd: end }).set(merchantA).expect(200);
    expect(wider.body.messagesResponses.map((m: { messageInfo: { messageId: string } }) => m.messageInfo.messageId)).toEqual([old, acked, received, untouched]);
  });

  it('never gives one message to two concurrent receivers', async () => {
    const ids = await enqueue('merchant-a', 50);
    const responses = await Promise.all(Array.from({ length: 10 }, () => receive('?autoAck=true').expect(200)));
    const got = responses.flatMap(receivedIds);
    expect(got).toHaveLength(50);
    expect(new Set(got)).toEqual(new Set(ids));

    // Without autoAck too, with a visibility timeout long enough that nothing comes back during the test.
    const more = await enqueue('merchant-a', 50);
    const patient = new PollQueue(dataSource, new PollSignal(), { visibilityMs: 60_000 });
    const batches = await Promise.all(Array.from({ length: 10 }, () => patient.receive('merchant-a', { maxNumberMessages: 10, timeoutMs: 0, autoAck: false })));
    const claimed = batches.flat().map((message) => message.messageInfo.messageId);
    expect(claimed).toHaveLength(50);
    expect(new Set(claimed)).toEqual(new Set(more));
  });

  it("keeps merchants apart: B cannot receive, acknowledge or list A's messages", async () => {
    const [id] = await enqueue('merchant-a');
    expect((await receive('', merchantB).expect(200)).body.messages).toEqual([]);
    expect((await ack([id], merchantB).expect(200)).body.ackFailedMessages).toEqual([{ messageIdentifier: id, reason: 'unknown message' }]);
    const period = { periodStart: new Date(Date.now() - 60_000).toISOString(), periodEnd: new Date(Date.now() + 60_000).toISOString() };
    expect((await http().get(BASE).query(period).set(merchantB).expect(200)).body.messagesResponses).toEqual([]);
    expect(receivedIds(await receive('').expect(200))).toEqual([id]);
  });

  it('enqueues idempotently and inside the caller transaction', async () => {
    const [id] = await enqueue('merchant-a');
    await queue.enqueue([{ merchant: 'merchant-a', messageId: id, eventId: null, orderId: 'other', body: aBody('merchant-a', 'other', id) }]);
    const rolledBack = randomUUID();
    await expect(dataSource.transaction(async (manager) => {
      await queue.enqueue([{ merchant: 'merchant-a', messageId: rolledBack, eventId: null, orderId: 'o-3', body: aBody('merchant-a', 'o-3', rolledBack) }], manager);
      throw new Error('the caller fails after enqueueing');
    })).rejects.toThrow('the caller fails');
    const rows: Array<{ id: string; order_id: string }> = await dataSource.query(`SELECT id, order_id FROM notifications.poll_messages`);
    expect(rows).toEqual([{ id, order_id: expect.stringMatching(/^order-/) }]);
  });

  it('expires messages after their 30 days: not received, acknowledged as expired, purged in batches', async () => {
    const expired = await enqueue('merchant-a', 5);
    const [live] = await enqueue('merchant-a');
    const [row0] = await dataSource.query(`SELECT expires_at - created_at AS kept FROM notifications.poll_messages WHERE id = $1`, [live]);
    expect(row0.kept).toEqual(expect.objectContaining({ days: 30 }));
    await dataSource.query(`UPDATE notifications.poll_messages SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [expired]);

    expect((await ack([expired[0]]).expect(200)).body.ackFailedMessages).toEqual([{ messageIdentifier: expired[0], reason: 'message expired' }]);
    expect(receivedIds(await receive('?autoAck=true').expect(200))).toEqual([live]);

    await expect(queue.purgeExpired(2)).resolves.toBe(5);
    const left: Array<{ id: string }> = await dataSource.query(`SELECT id FROM notifications.poll_messages`);
    expect(left).toEqual([{ id: live }]);
    expect((await ack([expired[1]]).expect(200)).body.ackFailedMessages).toEqual([{ messageIdentifier: expired[1], reason: 'unknown message' }]);
  });

  it('answers bad parameters with 400 and changes nothing', async () => {
    const [id] = await enqueue('merchant-a');
    const before = await row(id);

    for (const query of ['?maxNumberMessages=0', '?maxNumberMessages=11', '?maxNumberMessages=two', '?timeoutMs=-1', '?timeoutMs=20001', '?autoAck=yes', '?autoAck=true&limit=5']) {
      const response = await receive(query);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.message).toEqual(expect.any(Array));
    }
    const tooMany = Array.from({ length: 101 }, () => ({ messageIdentifier: randomUUID() }));
    for (const body of [{}, { messageInfos: [] }, { messageInfos: tooMany }, { messageInfos: [{ messageIdentifier: 'not-a-uuid' }] },
      { messageInfos: [{ messageIdentifier: id, receiptHandle: 'x' }] }, { messageInfos: [{ messageIdentifier: id }], extra: true }]) {
      const response = await http().post(`${BASE}/ack`).set(merchantA).send(body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    const day = 86_400_000;
    const iso = (offsetDays: number) => new Date(Date.now() + offsetDays * day).toISOString();
    for (const query of [{}, { periodStart: iso(-1) }, { periodStart: iso(0), periodEnd: iso(-1) }, { periodStart: iso(-32), periodEnd: iso(0) },
      { periodStart: 'yesterday', periodEnd: iso(0) }, { periodStart: '2026-04-05T00:00:00', periodEnd: '2026-04-06T00:00:00' }]) {
      const response = await http().get(BASE).query(query).set(merchantA);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
    const tooLong = await http().get(BASE).query({ periodStart: iso(-32), periodEnd: iso(0) }).set(merchantA);
    expect(tooLong.body.message).toEqual(['periodEnd must be at most 31 days after periodStart']);

    expect(await row(id)).toEqual(before);
    expect(before).toEqual(expect.objectContaining({ receive_count: 0, acked_at: null }));
  });

  it('accepts J.P. Morgan style nanosecond timestamps for the period', async () => {
    const [id] = await enqueue('merchant-a');
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const response = await http().get(BASE).query({ periodStart: `${today}T00:00:00.000000000Z`, periodEnd: `${tomorrow}T00:00:00.000000000Z` }).set(merchantA).expect(200);
    expect(response.body.messagesResponses.map((m: { messageInfo: { messageId: string } }) => m.messageInfo.messageId)).toEqual([id]);
  });
});
