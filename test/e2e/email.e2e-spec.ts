import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { parseMail } from '../support/mail';
import { ALPHA, NOTIFICATIONS, startSystem, System } from '../support/system';

jest.setTimeout(120_000);

interface ReceivedMail {
  to: string[];
  headers: Record<string, string>;
  text: string;
}


/**
 * Email delivery (Verifone Central) through both services and the real Kafka broker, to a real
 * SMTP server on loopback that refuses some recipients for good and others once.
 */
describe('email delivery through the kafka bus and a real SMTP server', () => {
  let smtp: SMTPServer;
  let system: System;
  const mails: ReceivedMail[] = [];
  const refusedOnce = new Set<string>();

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        const reject = (code: number, message: string) => callback(Object.assign(new Error(message), { responseCode: code }));
        if (address.address.startsWith('nobody@')) return reject(550, '5.1.1 <nobody@example.com>: Recipient address rejected: no such user');
        if (address.address.startsWith('busy@') && !refusedOnce.has(address.address)) {
          refusedOnce.add(address.address);
          return reject(451, '4.3.0 mailbox busy, try again later');
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), ...parseMail(Buffer.concat(chunks).toString('latin1')) });
          callback(null, 'OK: queued as 7F3A');
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    system = await startSystem('kafka', { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: 'Shop <orders@shop.example>' });
  });

  afterAll(async () => {
    await system?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const mailsTo = (address: string) => mails.filter((mail) => mail.to.includes(address));

  it('mails a plain-text description of the change and records the SMTP reply on the Event', async () => {
    const order = await system.createOrder({ notifications: [{ delivery: 'email', email: 'ops@example.com', reference: 'ops-mailbox', scope: { state: ['accepted'] } }] });
    await system.setState(order.id, 'processing');
    await system.setState(order.id, 'accepted');

    const [event] = await system.eventsOf(order.id);
    expect(event).toMatchObject({
      scope: 'state.accepted',
      status: 'succeeded',
      statusCode: null,
      attempt: 1,
      request: { url: 'mailto:ops@example.com', headers: { To: 'ops@example.com', Subject: `Order ${order.id}: state.accepted` } },
    });
    expect(event.responseBody).toMatch(/^250 .*OK: queued as 7F3A/);

    const [mail, ...more] = mailsTo('ops@example.com');
    expect(more).toHaveLength(0);
    expect(mail.headers.subject).toBe(`Order ${order.id}: state.accepted`);
    expect(mail.headers.from).toBe('Shop <orders@shop.example>');
    expect(mail.headers['content-type']).toMatch(/^text\/plain/);
    expect(mail.headers['x-ordercast-message-id']).toBe(event.messageId);
    expect(mail.text).toContain(`Order ${order.id} changed (state.accepted).`);
    expect(mail.text).toMatch(/^State:\s+processing → accepted$/m);
    expect(mail.text).toMatch(new RegExp(`^Reference:\\s+${order.reference}$`, 'm'));
    expect(mail.text).toMatch(/^Notification:\s+ops-mailbox$/m);
  });

  it('ends a delivery the server refuses for good dead at once, with the SMTP error', async () => {
    const order = await system.createOrder({ notifications: [{ delivery: 'email', email: 'nobody@example.com', scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const events = await system.eventsOf(order.id, { until: (e) => e.status === 'dead' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ attempt: 1, statusCode: null, request: { url: 'mailto:nobody@example.com' } });
    expect(events[0].error).toMatch(/^SMTP refused: 550 .*no such user/);
    expect(events[0].responseBody).toMatch(/^550 /);
    expect(mailsTo('nobody@example.com')).toHaveLength(0);
  });

  it('retries a temporary refusal on the schedule until the mail is accepted', async () => {
    const order = await system.createOrder({ notifications: [{ delivery: 'email', email: 'busy@example.com', scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const events = await system.eventsOf(order.id, { until: (e) => e.status === 'succeeded' });
    const chain = [...events].sort((a: EventRecord, b: EventRecord) => a.attempt - b.attempt);
    expect(chain.map((e) => [e.attempt, e.status])).toEqual([[1, 'failed'], [2, 'succeeded']]);
    expect(chain[0].error).toMatch(/^SMTP refused: 451 /);
    expect(chain[1].retryOf).toBe(chain[0].id);
    expect(mailsTo('busy@example.com')).toHaveLength(1);
  });

  it('mails for a subscription with delivery: email', async () => {
    const subscription = await request(system.notificationsHttp).post(`${NOTIFICATIONS}/subscriptions`).set(ALPHA)
      .send({ name: 'Declines to support', channels: ['mail-sub'], scope: { state: ['declined'] }, delivery: 'email', email: 'support@example.com' }).expect(201);
    const order = await system.createOrder({}, 'mail-sub');
    for (const state of ['processing', 'accepted', 'declined']) await system.setState(order.id, state);
    const [event] = await system.eventsOf(order.id);
    expect(event).toMatchObject({ subscriptionId: subscription.body.id, status: 'succeeded', request: { url: 'mailto:support@example.com' } });
    expect(mailsTo('support@example.com').map((mail) => mail.headers.subject)).toEqual([`Order ${order.id}: state.declined`]);
  });
});
