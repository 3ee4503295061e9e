import type { Order } from '@ordercast/contracts';
import { gzipSync } from 'node:zlib';
import type { Client } from 'pg';
import request from 'supertest';
import { createTestDatabase, TestDatabase } from '../support/database';
import {
  ALPHA, CHANNELS, connect, createOrder, dumpTables, EVENTS, hook, InProcessService, NOTIFICATIONS, ORDERS, startNotificationService, startOrderService, SUBSCRIPTIONS,
} from './support/services';

jest.setTimeout(60_000);

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const manyHeaders = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`X-Header-${i}`, 'v']));
/** Different watches, one per customer field: only the count is wrong. */
const watches = (count: number) => Array.from({ length: count }, (_, i) => ({ pointer: `/customer/field${i}` }));
const MASKED_SECRET = 'whsec_********';
/** Catastrophic backtracking: a regular expression in a scope schema would let one merchant stall ingest for everyone. */
const REDOS = { type: 'string', pattern: '^(a+)+$' };

interface BadRequest {
  name: string;
  service: 'orders' | 'notifications';
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  query?: Record<string, string | string[]>;
  /** An object is sent as JSON; a string or Buffer as is, with `type`. */
  body?: unknown;
  type?: string;
  headers?: Record<string, string>;
  status: number;
  /** Part of what the 400 says is wrong. */
  says?: RegExp;
}

/**
 * Requests no client should send: too large, not JSON, wrong types, unknown fields, invalid JSON
 * pointers and schemas, huge header maps, absurd pagination, deep nesting, compressed bombs. Each
 * gets a clear 4xx naming the problem, and the database is byte-for-byte the same afterwards.
 */
describe('bad input: a clear 4xx, and nothing stored changes', () => {
  let db: TestDatabase;
  let sql: Client;
  let orders: InProcessService;
  let notifications: InProcessService;
  let order: Order;
  let subscriptionId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    const env = { DATABASE_URL: db.url };
    orders = await startOrderService(env);
    notifications = await startNotificationService(env);
    order = await createOrder(orders.http, { notifications: [hook('https://erp.example.com/hook', { state: ['completed'] })] });
    subscriptionId = (await request(notifications.http).post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'erp', scope: { state: ['completed'] }, url: 'https://erp.example.com/s' }).expect(201)).body.id;
    await request(orders.http).put(`${CHANNELS}/web/notifications`).set(ALPHA).send([hook('https://erp.example.com/c', { state: ['completed'] })]).expect(200);
  });

  afterAll(async () => {
    await notifications?.close();
    await orders?.close();
    await sql?.end();
    await db?.drop();
  });

  const everything = () => dumpTables(sql);

  const validOrder = { currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 1 }] } };
  const web = { 'x-channel': 'web' };
  const registration = (extra: Record<string, unknown>) => ({ url: 'https://erp.example.com/x', scope: { state: ['completed'] }, ...extra });

  const cases = (): BadRequest[] => [
    // Size and syntax
    { name: 'body over the limit', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { ...validOrder, customer: { note: 'x'.repeat(300_000) } }, status: 413 },
    { name: 'gzip bomb (limit applies after inflating)', service: 'orders', method: 'post', path: ORDERS, headers: { ...web, 'content-encoding': 'gzip' }, type: 'application/json',
      body: gzipSync(Buffer.from(JSON.stringify({ ...validOrder, customer: { note: ' '.repeat(5_000_000) } }))), status: 413 },
    { name: 'unsupported content encoding', service: 'orders', method: 'post', path: ORDERS, headers: { ...web, 'content-encoding': 'compress' }, type: 'application/json', body: '{}', status: 415, says: /encoding/ },
    { name: 'JSON in a charset other than UTF-8', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json; charset=latin1', body: JSON.stringify(validOrder), status: 415, says: /charset/ },
    { name: 'malformed JSON', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json', body: '{"currency": "SEK", "cart": ', status: 400, says: /not valid JSON/ },
    { name: 'JSON that is neither an object nor an array', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json', body: '"SEK"', status: 400, says: /must be a JSON object/ },
    { name: 'invalid UTF-8 in a string', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json',
      body: Buffer.concat([Buffer.from('{"currency":"SEK","reference":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","cart":{"items":[{"reference":"a","name":"A","quantity":1,"unitPrice":1}]}}')]), status: 400, says: /not valid UTF-8/ },
    { name: 'a UTF-16 surrogate encoded in UTF-8 bytes (notification-service)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, type: 'application/json',
      body: Buffer.concat([Buffer.from('{"name":"bad'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","scope":{"state":["completed"]},"url":"https://x.example.com"}')]), status: 400, says: /not valid UTF-8/ },
    { name: 'a key twice in one object', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json',
      body: '{"currency":"SEK","currency":"USD","cart":{"items":[{"reference":"a","name":"A","quantity":1,"unitPrice":1}]}}', status: 400, says: /currency\W* twice in one object/ },
    { name: 'a registration URL twice', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, type: 'application/json',
      body: '{"url":"https://erp.example.com/a","url":"https://other.example.com/b","scope":{"state":["completed"]}}', status: 400, says: /url\W* twice in one object/ },
    { name: 'a key twice, escaped once (notification-service)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, type: 'application/json',
      body: '{"name":"dupkey","n\\u0061me":"dupkey2","scope":{"state":["completed"]},"url":"https://x.example.com"}', status: 400, says: /name\W* twice in one object/ },
    { name: 'an object with 20,000 keys', service: 'orders', method: 'post', path: ORDERS, headers: web,
      body: { ...validOrder, customer: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, 1])) }, status: 400, says: /at most 1000 in one object/ },
    { name: '80,000 empty objects in a free-form field (240 KiB)', service: 'orders', method: 'post', path: ORDERS, headers: web,
      body: { ...validOrder, customer: { x: Array.from({ length: 80_000 }, () => ({})) } }, status: 400, says: /array of 80000 items; at most 1000 in one array/ },
    { name: '19,990 empty cart items, gzipped to a few hundred bytes', service: 'orders', method: 'post', path: ORDERS, headers: { ...web, 'content-encoding': 'gzip' }, type: 'application/json',
      body: gzipSync(Buffer.from(JSON.stringify({ currency: 'SEK', cart: { items: Array.from({ length: 19_990 }, () => ({})), total: 0 } }))), status: 400, says: /array of 19990 items; at most 1000 in one array/ },
    { name: '25 arrays of 1,000 zeros in a subscription (notification-service)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, type: 'application/json',
      body: `{"name":"many","scope":{"state":["completed"]},"url":"https://x.example.com",${Array.from({ length: 25 }, (_, i) => `"x${i}":[${Array(1000).fill('0').join(',')}]`).join(',')}}`, status: 400, says: /more than 20000 values/ },
    { name: '1,000 empty registrations on an order: at most 100 problems listed', service: 'orders', method: 'post', path: ORDERS, headers: web,
      body: { ...validOrder, notifications: Array.from({ length: 1000 }, () => ({})) }, status: 400, says: /no more than 50 elements.*"and \d+ more problems"\]/ },
    { name: 'an integer beyond 2^53 in a free-form field', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json',
      body: '{"currency":"SEK","cart":{"items":[{"reference":"a","name":"A","quantity":1,"unitPrice":1}]},"customer":{"id":12345678901234567890}}', status: 400, says: /number beyond .* send such a value as a string/ },
    // Each distinct schema is compiled at registration and again by matching: 40 of 4.3 KB took 850 ms to accept.
    { name: 'forty 4.3 KB scope schemas on one order', service: 'orders', method: 'post', path: ORDERS, headers: web,
      body: { ...validOrder, notifications: Array.from({ length: 40 }, (_, i) => ({ invoke: 'https://erp.example.com/x', scope: '/state/currentStatus', schema: { anyOf: [{ const: `s${i}` }, { const: 'x'.repeat(4300) }] } })) },
      status: 400, says: /scope schemas may take at most 16 KiB \(UTF-8\) in one request/ },
    { name: 'a subscription scope of 48 watches with 4.3 KB schemas (notification-service)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS,
      body: { name: 'schemas', url: 'https://x.example.com', scope: Array.from({ length: 48 }, (_, i) => ({ pointer: '/state/currentStatus', schema: { not: { const: `${i}${'x'.repeat(4300)}` } } })) },
      status: 400, says: /scope schemas may take at most 16 KiB \(UTF-8\) in one request/ },
    { name: "a channel's registrations with 20 KB of schemas in all", service: 'orders', method: 'put', path: `${CHANNELS}/web/notifications`,
      body: Array.from({ length: 5 }, (_, i) => ({ invoke: 'https://erp.example.com/x', scope: '/state/currentStatus', schema: { not: { const: `${i}${'x'.repeat(4000)}` } } })),
      status: 400, says: /scope schemas may take at most 16 KiB \(UTF-8\) in one request/ },
    { name: 'malformed JSON (notification-service)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, type: 'application/json', body: '{"name":', status: 400, says: /not valid JSON/ },
    { name: 'JSON as text/plain', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'text/plain', body: JSON.stringify(validOrder), status: 415, says: /unsupported content type .*text\/plain/ },
    // Read as no body, a request whose fields are all optional would do something else than asked.
    { name: 'a form body (notification-service)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, type: 'application/x-www-form-urlencoded', body: 'name=x&enabled=false', status: 415, says: /application\/json/ },
    { name: 'deeply nested JSON', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json', body: `{"currency":"SEK","cart":{"items":[]},"customer":{"x":${nested(50_000)}}}`, status: 400, says: /nested deeper/ },
    { name: 'deeply nested scope schema', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, type: 'application/json',
      body: `{"invoke":"https://erp.example.com/x","scope":"/state/currentStatus","schema":{"allOf":${nested(50_000)}}}`, status: 400, says: /nested deeper/ },
    // Types and unknown fields
    { name: 'wrong types', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { currency: 123, cart: 'full' }, status: 400, says: /currency/ },
    { name: 'unknown field', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { ...validOrder, isAdmin: true }, status: 400, says: /isAdmin/ },
    { name: 'unknown nested field', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { ...validOrder, cart: { items: [{ ...validOrder.cart.items[0], discount: 1 }] } }, status: 400, says: /discount/ },
    { name: '__proto__ in a body', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json', body: `{"currency":"SEK","cart":{"items":[]},"__proto__":{"reference":"unchecked"}}`, status: 400, says: /__proto__/ },
    { name: 'a header named like a built-in property', service: 'orders', method: 'post', path: ORDERS, headers: web, type: 'application/json', body: `{"currency":"SEK","cart":{"items":[]},"notifications":[{"url":"https://erp.example/hook","scope":{"state":["processing"]},"headers":{"hasOwnProperty":"v"}}]}`, status: 400, says: /hasOwnProperty\\?" key/ },
    { name: 'NUL character in a string', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { ...validOrder, customer: { name: 'Ada\u0000Lovelace' } }, status: 400, says: /NUL/ },
    { name: 'NUL character in a key', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', url: 'https://x.example.com', scope: [{ pointer: '/customer', schema: { properties: { 'a\u0000': {} } } }] }, status: 400, says: /NUL/ },
    // JSON.stringify writes a lone surrogate as the escape `\ud800`, which JSON.parse turns back into one.
    { name: 'unpaired surrogate in a string', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { ...validOrder, customer: { name: 'Ada\ud800' } }, status: 400, says: /surrogate/ },
    { name: 'one registration header name in two spellings', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'X-Key': 'a', 'x-key': 'b' } }), status: 400, says: /given twice.*case-insensitive/ },
    { name: 'one subscription header name in two spellings', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', url: 'https://x.example.com', scope: { state: ['completed'] }, headers: { 'X-Key': 'a', 'X-KEY': 'b' } }, status: 400, says: /given twice/ },
    { name: 'unpaired surrogate in a registration header', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'X-Key': '\udc00' } }), status: 400, says: /surrogate/ },
    { name: 'unpaired surrogate in a key', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', url: 'https://x.example.com', scope: [{ pointer: '/customer', schema: { properties: { 'a\ud83d': {} } } }] }, status: 400, says: /surrogate/ },
    { name: 'unpaired surrogate in a string (notification-service)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'erp\ud800', scope: { state: ['completed'] }, url: 'https://x.example.com' }, status: 400, says: /surrogate/ },
    { name: 'array instead of a state', service: 'orders', method: 'put', path: `${ORDERS}/${order.id}/state`, body: { currentStatus: ['completed'] }, status: 400 },
    { name: 'null state', service: 'orders', method: 'put', path: `${ORDERS}/${order.id}/state`, body: { currentStatus: null }, status: 400 },
    { name: 'payment amount as a string', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/payments`, body: { adapterId: 'a', amount: '100', state: 'captured' }, status: 400, says: /amount/ },
    { name: 'payment amount Infinity-like', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/payments`, body: { adapterId: 'a', amount: 1e309, state: 'captured' }, status: 400 },
    { name: 'channel list is not a list', service: 'orders', method: 'put', path: `${CHANNELS}/web/notifications`, body: { url: 'https://x.example.com' }, status: 400 },
    { name: 'subscription with unknown field', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', scope: { state: ['completed'] }, url: 'https://x.example.com', merchant: 'beta' }, status: 400, says: /merchant/ },
    { name: 'subscription patch with wrong type', service: 'notifications', method: 'patch', path: `${SUBSCRIPTIONS}/${subscriptionId}`, body: { enabled: 'yes' }, status: 400, says: /enabled/ },
    { name: 'trigger with unknown field', service: 'notifications', method: 'post', path: `${NOTIFICATIONS}/orders/${order.id}/trigger`, body: { everything: true }, status: 400 },
    { name: 'bulk retry of pending', service: 'notifications', method: 'post', path: `${EVENTS}/retry`, body: { status: 'pending' }, status: 400, says: /status/ },
    { name: 'ack of 101 messages', service: 'notifications', method: 'post', path: `${NOTIFICATIONS}/ack`, body: { messageInfos: Array.from({ length: 101 }, () => ({ messageIdentifier: '00000000-0000-4000-8000-000000000000' })) }, status: 400 },
    { name: 'ack of a non-id', service: 'notifications', method: 'post', path: `${NOTIFICATIONS}/ack`, body: { messageInfos: [{ messageIdentifier: "' OR 1=1 --" }] }, status: 400 },
    // JSON pointers and schemas
    { name: 'pointer without leading slash', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: { invoke: 'https://x.example.com', scope: 'state/currentStatus' }, status: 400, says: /pointer/ },
    { name: 'pointer with a bad escape', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: { invoke: 'https://x.example.com', scope: '/state/~2' }, status: 400, says: /pointer/ },
    { name: 'empty scope', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ scope: {} }), status: 400, says: /scope/ },
    { name: 'unknown state in scope', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ scope: { state: ['shipped'] } }), status: 400, says: /shipped/ },
    { name: 'schema that is not a schema', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: { invoke: 'https://x.example.com', scope: '/state/currentStatus', schema: { type: 'nonsense' } }, status: 400, says: /schema/ },
    { name: 'schema with a remote $ref', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: { invoke: 'https://x.example.com', scope: '/state/currentStatus', schema: { $ref: 'https://evil.example.com/s.json' } }, status: 400, says: /schema/ },
    { name: 'schema with a catastrophic regular expression', service: 'orders', method: 'post', path: ORDERS, headers: web,
      body: { ...validOrder, reference: `${'a'.repeat(40)}!`, notifications: [{ invoke: 'https://x.example.com', scope: '/reference', schema: REDOS }] }, status: 400, says: /pattern/ },
    { name: 'subscription schema with a regular expression', service: 'notifications', method: 'post', path: SUBSCRIPTIONS,
      body: { name: 'x', url: 'https://x.example.com', scope: [{ pointer: '/customer', schema: { patternProperties: { '^(a|a)*$': {} } } }] }, status: 400, says: /pattern/ },
    // Scopes: a bounded list of different watches, each state at most once
    { name: '1,000 scope watches on a registration', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ scope: watches(1000) }), status: 400, says: /scope must have at most 64 watches; got 1000/ },
    { name: '1,000 states in a channel notification', service: 'orders', method: 'put', path: `${CHANNELS}/web/notifications`,
      body: [registration({ scope: { state: Array.from({ length: 1000 }, () => 'completed') } })], status: 400, says: /scope.state must list each state at most once.*got 1000/ },
    { name: 'the same watch twice (order creation)', service: 'orders', method: 'post', path: ORDERS, headers: web,
      body: { ...validOrder, notifications: [registration({ scope: [{ pointer: '/cart/total' }, { pointer: '/cart/total' }] })] }, status: 400, says: /scope\[1\] repeats scope\[0\]/ },
    { name: 'a state listed twice (subscription)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', url: 'https://x.example.com', scope: { state: ['completed', 'completed'] } }, status: 400, says: /scope.state lists .*completed.* more than once/ },
    { name: '65 scope watches (subscription patch)', service: 'notifications', method: 'patch', path: `${SUBSCRIPTIONS}/${subscriptionId}`, body: { scope: watches(65) }, status: 400, says: /at most 64 watches/ },
    { name: 'schema over 16 KiB', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: { invoke: 'https://x.example.com', scope: '/state/currentStatus', schema: { enum: Array.from({ length: 900 }, (_, i) => `state-number-${i}`) } }, status: 400, says: /16 KiB/ },
    // Header maps
    { name: '33 registration headers', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: manyHeaders }), status: 400, says: /at most 32/ },
    { name: 'header value of 5000 characters', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'X-Big': 'x'.repeat(5000) } }), status: 400, says: /X-Big/ },
    { name: 'headers over 16 KiB in all', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`,
      body: registration({ headers: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`X-Part-${i}`, 'x'.repeat(4000)])) }), status: 400, says: /16384 bytes/ },
    { name: 'header value with a line break', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'X-Split': 'a\r\nHost: evil' } }), status: 400, says: /X-Split/ },
    { name: 'header value outside Latin-1 (€)', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'X-Euro': '€uro' } }), status: 400, says: /X-Euro.*field value/ },
    { name: 'header value outside Latin-1 (emoji)', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { ...validOrder, notifications: [registration({ headers: { 'X-Smile': '😀' } })] }, status: 400, says: /X-Smile/ },
    { name: 'header value with DEL', service: 'orders', method: 'put', path: `${CHANNELS}/web/notifications`, body: [registration({ headers: { 'X-Del': 'a\u007fb' } })], status: 400, says: /X-Del/ },
    { name: 'header value with a control character (subscription)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', scope: { state: ['completed'] }, url: 'https://x.example.com', headers: { 'X-Ctl': 'a\u0001b' } }, status: 400, says: /X-Ctl/ },
    { name: 'header value outside Latin-1 (subscription patch)', service: 'notifications', method: 'patch', path: `${SUBSCRIPTIONS}/${subscriptionId}`, body: { headers: { 'X-Euro': '€' } }, status: 400, says: /X-Euro/ },
    // A masked value (as responses show secrets) is never stored as if it were the secret.
    { name: 'masked header value on a new registration', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'X-Key': '********' } }), status: 400, says: /X-Key.*masked/ },
    { name: 'masked URL credential on a new registration', service: 'orders', method: 'post', path: ORDERS, headers: web, body: { ...validOrder, notifications: [registration({ url: 'https://erp.example.com/x?token=********' })] }, status: 400, says: /token.*masked/ },
    { name: 'masked header value on a new subscription', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', scope: { state: ['completed'] }, url: 'https://x.example.com', headers: { 'X-Key': '********' } }, status: 400, says: /X-Key.*masked/ },
    { name: 'masked signing secret on a new registration', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ secret: MASKED_SECRET }), status: 400, says: /secret is masked .* no stored secret/ },
    { name: 'masked signing secret on a new subscription', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', scope: { state: ['completed'] }, url: 'https://x.example.com', secret: MASKED_SECRET }, status: 400, says: /secret is masked .* no stored secret/ },
    { name: 'masked signing secret on a subscription without one', service: 'notifications', method: 'patch', path: `${SUBSCRIPTIONS}/${subscriptionId}`, body: { secret: MASKED_SECRET }, status: 400, says: /secret is masked .* no stored secret/ },
    { name: 'header name that is not one', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'Bad Header': 'v' } }), status: 400 },
    { name: 'header Ordercast sets itself', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ headers: { 'webhook-id': 'forged' } }), status: 400, says: /webhook-id/ },
    { name: 'header value that is not a string', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', scope: { state: ['completed'] }, url: 'https://x.example.com', headers: { 'X-Num': 1 } }, status: 400, says: /X-Num/ },
    { name: '51 channel notifications', service: 'orders', method: 'put', path: `${CHANNELS}/web/notifications`, body: Array.from({ length: 51 }, () => registration({})), status: 400 },
    // Target URLs that could never be delivered, or would hide a credential
    { name: 'placeholder in the host', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ url: 'http://{order.reference}/x' }), status: 400, says: /host/ },
    { name: 'placeholder in the host (subscription)', service: 'notifications', method: 'post', path: SUBSCRIPTIONS, body: { name: 'x', scope: { state: ['completed'] }, url: 'https://{merchant}.example.com/x' }, status: 400, says: /host/ },
    { name: 'fragment in a target URL', service: 'orders', method: 'post', path: `${ORDERS}/${order.id}/notifications`, body: registration({ url: 'https://erp.example.com/x#token=S6' }), status: 400, says: /fragment/ },
    { name: 'path parameters in a target URL', service: 'orders', method: 'put', path: `${CHANNELS}/web/notifications`, body: [registration({ url: 'https://erp.example.com/x;token=S5' })], status: 400, says: /; parameters/ },
    // Pagination and query values
    { name: 'limit far too high', service: 'notifications', method: 'get', path: EVENTS, query: { limit: '100000000' }, status: 400, says: /limit/ },
    { name: 'negative limit', service: 'notifications', method: 'get', path: EVENTS, query: { limit: '-1' }, status: 400, says: /limit/ },
    { name: 'fractional limit', service: 'notifications', method: 'get', path: EVENTS, query: { limit: '1.5' }, status: 400, says: /limit/ },
    { name: 'limit given twice', service: 'notifications', method: 'get', path: EVENTS, query: { limit: ['1', '2'] }, status: 400, says: /limit/ },
    { name: 'offset that is not a number', service: 'notifications', method: 'get', path: EVENTS, query: { offset: '1e400' }, status: 400, says: /offset/ },
    { name: 'offset beyond a million', service: 'notifications', method: 'get', path: EVENTS, query: { offset: '99999999999' }, status: 400, says: /offset/ },
    { name: 'unknown query parameter', service: 'notifications', method: 'get', path: EVENTS, query: { merchant: 'beta' }, status: 400, says: /merchant/ },
    { name: 'filter given as an object', service: 'notifications', method: 'get', path: `${EVENTS}?orderId[$ne]=x`, status: 400, says: /orderId/ },
    // Every id is a UUID: a filter on anything else would answer an empty list that looks like "nothing was delivered".
    { name: 'orderId that is not an id', service: 'notifications', method: 'get', path: EVENTS, query: { orderId: 'R-1001' }, status: 400, says: /orderId must be an order id/ },
    { name: 'order_id that is not an id', service: 'notifications', method: 'get', path: EVENTS, query: { order_id: "1' OR '1'='1" }, status: 400, says: /order_id must be an order id/ },
    { name: 'notificationId that is not an id', service: 'notifications', method: 'get', path: EVENTS, query: { notificationId: 'erp' }, status: 400, says: /notificationId must be a notification id/ },
    { name: 'bulk retry of an orderId that is not an id', service: 'notifications', method: 'post', path: `${EVENTS}/retry`, body: { status: 'failed', orderId: 'R-1001' }, status: 400, says: /orderId must be an order id/ },
    { name: 'manual send of a notificationId that is not an id', service: 'notifications', method: 'post', path: `${NOTIFICATIONS}/orders/${order.id}/trigger`, body: { notificationId: 'erp' }, status: 400, says: /notificationId must be a notification id/ },
    { name: 'NUL in orderId', service: 'notifications', method: 'get', path: `${EVENTS}?orderId=%00`, status: 400, says: /query string.*NUL/ },
    // node:querystring would decode these silently (to themselves or U+FFFD), and a filter would look for something else.
    { name: 'malformed percent-encoding in a query', service: 'notifications', method: 'get', path: `${EVENTS}?reference=%zz`, status: 400, says: /percent-encoded UTF-8/ },
    { name: 'a byte that is no UTF-8 in a query', service: 'notifications', method: 'get', path: `${EVENTS}?reference=%ff`, status: 400, says: /percent-encoded UTF-8/ },
    { name: 'an encoded surrogate in a query', service: 'notifications', method: 'get', path: `${EVENTS}?reference=%ED%A0%80`, status: 400, says: /percent-encoded UTF-8/ },
    { name: 'a lone % in a query (order-service)', service: 'orders', method: 'get', path: `${ORDERS}/${order.id}?x=%`, status: 400, says: /percent-encoded UTF-8/ },
    { name: 'NUL in order_id', service: 'notifications', method: 'get', path: `${EVENTS}?order_id=%00`, status: 400, says: /NUL/ },
    { name: 'NUL in notificationId', service: 'notifications', method: 'get', path: `${EVENTS}?notificationId=%00`, status: 400, says: /NUL/ },
    { name: 'NUL in reference', service: 'notifications', method: 'get', path: `${EVENTS}?reference=a%00`, status: 400, says: /NUL/ },
    { name: 'NUL in channel', service: 'notifications', method: 'get', path: `${EVENTS}?channel=%00`, status: 400, says: /NUL/ },
    { name: 'channel filter that no channel can have', service: 'notifications', method: 'get', path: EVENTS, query: { channel: 'web shop' }, status: 400, says: /channel must be/ },
    { name: 'NUL in a poll period', service: 'notifications', method: 'get', path: `${NOTIFICATIONS}?periodStart=%00`, status: 400, says: /NUL/ },
    { name: 'NUL in a query (order-service)', service: 'orders', method: 'get', path: `${ORDERS}/${order.id}?x=%00`, status: 400, says: /NUL/ },
    { name: 'status that does not exist', service: 'notifications', method: 'get', path: EVENTS, query: { status: 'everything' }, status: 400, says: /status/ },
    { name: 'date that is not one', service: 'notifications', method: 'get', path: EVENTS, query: { from: 'yesterday' }, status: 400, says: /from/ },
    { name: 'receive 1000 messages', service: 'notifications', method: 'get', path: `${NOTIFICATIONS}/receive`, query: { maxNumberMessages: '1000' }, status: 400, says: /maxNumberMessages/ },
    { name: 'long-poll for a day', service: 'notifications', method: 'get', path: `${NOTIFICATIONS}/receive`, query: { timeoutMs: '86400000' }, status: 400, says: /timeoutMs/ },
    { name: 'period of ten years', service: 'notifications', method: 'get', path: NOTIFICATIONS, query: { periodStart: '2015-01-01T00:00:00Z', periodEnd: '2025-01-01T00:00:00Z' }, status: 400, says: /periodEnd/ },
    // Headers of the request itself
    { name: 'merchant header with a space', service: 'orders', method: 'get', path: `${ORDERS}/${order.id}`, headers: { 'x-merchant': 'alpha beta' }, status: 400 },
    { name: 'channel header too long', service: 'orders', method: 'post', path: ORDERS, headers: { 'x-channel': 'c'.repeat(101) }, body: validOrder, status: 400, says: /X-Channel/ },
    // Ids that are not ids
    { name: 'order id that is not a UUID', service: 'orders', method: 'get', path: `${ORDERS}/1%20OR%201=1`, status: 404 },
    { name: 'event id that is not a UUID', service: 'notifications', method: 'get', path: `${EVENTS}/..%2F..%2Fetc%2Fpasswd`, status: 404 },
    { name: 'path with a malformed percent-encoding', service: 'orders', method: 'get', path: `${ORDERS}/%ZZ`, status: 400 },
    { name: 'subscription id that is not a UUID', service: 'notifications', method: 'delete', path: `${SUBSCRIPTIONS}/x'y`, status: 404 },
  ];

  it('answers every bad request with the right 4xx and a message naming the problem', async () => {
    const wrong: string[] = [];
    for (const c of cases()) {
      const http = c.service === 'orders' ? orders.http : notifications.http;
      const call = request(http)[c.method](c.path).set({ ...ALPHA, ...c.headers });
      if (c.query) call.query(c.query);
      if (c.type) call.type(c.type).serialize((raw: unknown) => raw as string);
      const response = await (c.body === undefined ? call : call.send(c.body as object));
      const text = JSON.stringify(response.body);
      if (response.status !== c.status) wrong.push(`${c.name}: ${response.status} ${text.slice(0, 300)}`);
      else if (c.says && !c.says.test(text)) wrong.push(`${c.name}: ${text.slice(0, 300)} does not say ${c.says}`);
      else if (response.status < 500 && typeof response.body.message === 'undefined') wrong.push(`${c.name}: no message in ${text.slice(0, 300)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('changes nothing stored, and both services keep working', async () => {
    const before = await everything();
    for (const c of cases()) {
      const http = c.service === 'orders' ? orders.http : notifications.http;
      const call = request(http)[c.method](c.path).set({ ...ALPHA, ...c.headers });
      if (c.query) call.query(c.query);
      if (c.type) call.type(c.type).serialize((raw: unknown) => raw as string);
      await (c.body === undefined ? call : call.send(c.body as object));
    }
    // Whatever a bad request slipped through would first write a row of this dump (an order, its outbox entry, an Event), so it is compared at once.
    expect(await everything()).toEqual(before);
    await request(orders.http).get(`${ORDERS}/${order.id}`).set(ALPHA).expect(200);
    await request(notifications.http).get(EVENTS).set(ALPHA).expect(200);
    await request(orders.http).get('/health').expect(200);
    await request(notifications.http).get('/health').expect(200);
  });
});
