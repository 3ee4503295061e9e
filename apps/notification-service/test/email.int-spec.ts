import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { parseMail as parse } from '../../../test/support/mail';
import { aPayment, anOrder, sealedOrder, testBox, withState } from './fixtures/orders';
import { buildDeliveryBody, publicOrder } from '../src/delivery/delivery-body';
import { EMAIL_MESSAGE_ID_HEADER, EmailModule, EmailSender, renderEmail } from '../src/email';

interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}


describe('email delivery over SMTP (real SMTP server on loopback)', () => {
  let server: SMTPServer;
  let port: number;
  const mails: ReceivedMail[] = [];

  const order = { ...withState(anOrder({ id: 'order-42', reference: 'R-42' }), 'completed'), payments: [aPayment({ id: 'pay-1', state: 'captured' })] };
  const body = buildDeliveryBody({
    messageId: '0b7e6f3c-51a4-4f0e-9d89-6a3f1c2e4b10',
    type: 'order.state.changed',
    scope: 'state.completed',
    occurredAt: '2025-01-01T11:00:00.000Z',
    sequence: 4,
    merchant: 'acme',
    channel: 'web-se',
    orderId: 'order-42',
    notification: { id: 'sub-1', reference: 'ops mailbox', description: null },
    change: { kind: 'state', from: 'accepted', to: 'completed' },
    order: publicOrder(sealedOrder(order), testBox),
    payload: 'full',
  });

  async function senderFor(smtpUrl: string | null): Promise<{ sender: EmailSender; close: () => Promise<void> }> {
    const moduleRef = await Test.createTestingModule({ imports: [EmailModule.register({ smtpUrl, from: 'Ordercast <ordercast@shop.example>', timeoutMs: 5000 })] }).compile();
    await moduleRef.init();
    return { sender: moduleRef.get(EmailSender), close: () => moduleRef.close() };
  }

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('refused@')) {
          const error = new Error('5.1.1 <refused@example.com>: Recipient address rejected: no such user') as Error & { responseCode: number };
          error.responseCode = 550;
          return callback(error);
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            raw: Buffer.concat(chunks).toString('latin1'),
          });
          callback(null, 'OK: queued as 7F3A');
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    mails.length = 0;
  });

  it('delivers the rendered email to the recipient, with the message id header', async () => {
    const { sender, close } = await senderFor(`smtp://127.0.0.1:${port}`);
    try {
      const rendered = renderEmail(body);
      const result = await sender.send({ to: 'ops@shop.example', ...rendered, messageId: body.id });
      expect(result).toEqual({ accepted: true, response: expect.stringMatching(/^250 OK: queued as 7F3A/), messageId: `<${body.id}@ordercast>`, permanent: false });

      expect(mails).toHaveLength(1);
      const [mail] = mails;
      expect(mail.to).toEqual(['ops@shop.example']);
      expect(mail.from).toBe('ordercast@shop.example');
      const { headers, text } = parse(mail.raw);
      expect(headers.subject).toBe('Order order-42: state.completed');
      expect(headers.to).toBe('ops@shop.example');
      expect(headers[EMAIL_MESSAGE_ID_HEADER.toLowerCase()]).toBe(body.id);
      expect(headers['message-id']).toBe(`<${body.id}@ordercast>`);
      expect(headers['content-type']).toMatch(/^text\/plain; charset=utf-8/i);
      expect(text).toContain('Order order-42 changed (state.completed).');
      expect(text).toMatch(/^Reference: +R-42$/m);
      expect(text).toMatch(/^State: +accepted → completed$/m);
      expect(text).toMatch(/^Cart total: +200 SEK$/m);
      expect(text.trimEnd()).toBe(rendered.text.trimEnd());
    } finally {
      await close();
    }
  });

  it('reports a refused recipient as not accepted, with the server reply', async () => {
    const { sender, close } = await senderFor(`smtp://127.0.0.1:${port}`);
    try {
      const result = await sender.send({ to: 'refused@example.com', subject: 's', text: 't', messageId: body.id });
      expect(result).toEqual({
        accepted: false,
        response: '550 5.1.1 <refused@example.com>: Recipient address rejected: no such user',
        messageId: `<${body.id}@ordercast>`,
        permanent: true,
      });
      expect(mails).toEqual([]);
    } finally {
      await close();
    }
  });

  it('sends several emails at once over the pool', async () => {
    const { sender, close } = await senderFor(`smtp://127.0.0.1:${port}`);
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => sender.send({ to: `ops${i}@shop.example`, subject: `s${i}`, text: 't', messageId: `m-${i}` })));
      expect(results.every((result) => result.accepted)).toBe(true);
      expect(mails.map((mail) => mail.to[0]).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `ops${i}@shop.example`).sort());
    } finally {
      await close();
    }
  });

  it('fails with a clear error when SMTP_URL is not configured', async () => {
    const { sender, close } = await senderFor(null);
    try {
      await expect(sender.send({ to: 'ops@shop.example', subject: 's', text: 't', messageId: body.id })).rejects.toThrow('SMTP_URL is not configured');
    } finally {
      await close();
    }
  });

  it('fails with a readable error when the server cannot be reached', async () => {
    const closed = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], logger: false });
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const { sender, close } = await senderFor(`smtp://127.0.0.1:${freePort}`);
    try {
      await expect(sender.send({ to: 'ops@shop.example', subject: 's', text: 't', messageId: body.id })).rejects.toThrow(/^email not sent: .*ECONNREFUSED/);
    } finally {
      await close();
    }
  });

  it('refuses an SMTP_URL that is not smtp(s) at start', async () => {
    await expect(senderFor('http://mail.example.com')).rejects.toThrow('SMTP_URL must be an smtp:// or smtps:// URL with a host');
  });
});
