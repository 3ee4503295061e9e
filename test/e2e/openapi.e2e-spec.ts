import { validate, compileErrors } from '@readme/openapi-parser';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OpenAPIV3 } from 'openapi-types';
import request from 'supertest';
import ts from 'typescript';
import { ALPHA, BETA, CHANNELS, EVENTS, NOTIFICATIONS, OPERATOR, ORDERS, startSystem, System } from '../support/system';
import { createTestPki, TestPki } from '../support/tls-certificates';

jest.setTimeout(120_000);

type Service = 'orders' | 'notifications';

/** openapi-typescript's own command line, as a client generator would run it (its ES-module dependencies do not load under Jest). */
const OPENAPI_TYPESCRIPT = join(__dirname, '..', '..', 'node_modules', 'openapi-typescript', 'bin', 'cli.js');

/** A real answer of a running service, filed under the path template and status its description gives it. */
interface Captured {
  service: Service;
  path: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  status: number;
  body: unknown;
}

/**
 * What a payment adapter does with the API descriptions: validate them, generate a typed client
 * (openapi-typescript), and compile code that assigns real answers of both running services to
 * the generated response types. A response without a schema, a field the schema lacks or gets
 * wrong, or a required field the answer does not carry is a compile error.
 */
describe('OpenAPI descriptions a typed client can be generated from', () => {
  let system: System;
  let pki: TestPki;
  let dir: string;
  const documents = {} as Record<Service, OpenAPIV3.Document>;
  const captured: Captured[] = [];

  const http = (service: Service): Server => (service === 'orders' ? system.ordersHttp : system.notificationsHttp);

  /** Sends the request, checks its status and files the answer for the type check. */
  async function capture<T = { id: string }>(
    service: Service, method: Captured['method'], url: string, path: string, status: number, body?: unknown, headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await request(http(service))[method](url).set({ ...ALPHA, ...headers }).send(body as object);
    expect({ url, status: response.status, body: response.body }).toMatchObject({ url, status });
    captured.push({ service, path, method, status, body: response.body });
    return response.body as T;
  }

  beforeAll(async () => {
    system = await startSystem('in-process');
    pki = createTestPki();
    dir = mkdtempSync(join(tmpdir(), 'ordercast-openapi-'));
    for (const service of ['orders', 'notifications'] as const) {
      documents[service] = (await request(http(service)).get('/api/docs-json').expect(200)).body as OpenAPIV3.Document;
    }
  });

  afterAll(async () => {
    await system?.close();
    pki?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('are valid OpenAPI documents', async () => {
    for (const service of ['orders', 'notifications'] as const) {
      const result = await validate(structuredClone(documents[service]));
      expect({ service, errors: result.valid ? '' : compileErrors(result) }).toEqual({ service, errors: '' });
    }
  });

  it('state the limits both services enforce, so a generated client knows them before a 400', () => {
    type Schema = OpenAPIV3.SchemaObject;
    const resolve = (service: Service, schema: OpenAPIV3.ReferenceObject | Schema | undefined): Schema => {
      if (schema && '$ref' in schema) return documents[service].components?.schemas?.[schema.$ref.split('/').pop() as string] as Schema;
      return schema as Schema;
    };
    const body = (service: Service, path: string, method: 'post' | 'put' | 'patch'): Schema => {
      const requestBody = documents[service].paths[path]?.[method]?.requestBody as OpenAPIV3.RequestBodyObject;
      return resolve(service, requestBody.content['application/json'].schema);
    };
    const property = (service: Service, schema: Schema, name: string): Schema => resolve(service, schema.properties?.[name]);
    /** What a client learns of one registration's or subscription's headers and scope. */
    const limitsOf = (service: Service, target: Schema) => {
      const headers = property(service, target, 'headers');
      const scope = property(service, target, 'scope');
      const forms = (scope.oneOf ?? []).map((form) => resolve(service, form));
      const watches = forms.find((form) => form.type === 'array') as OpenAPIV3.ArraySchemaObject;
      const states = resolve(service, forms.find((form) => form.type === 'object')?.properties?.state) as OpenAPIV3.ArraySchemaObject;
      return {
        headers: headers.maxProperties,
        headerValue: (headers.additionalProperties as Schema).maxLength,
        watches: watches?.maxItems,
        distinctWatches: watches?.uniqueItems,
        states: states?.maxItems,
        distinctStates: states?.uniqueItems,
      };
    };
    const expected = { headers: 32, headerValue: 4096, watches: 64, distinctWatches: true, states: 6, distinctStates: true };

    const registration = body('orders', '/api/v0/checkout/orders/{id}/notifications', 'post');
    const channel = body('orders', '/api/v0/checkout/channels/{channel}/notifications', 'put') as OpenAPIV3.ArraySchemaObject;
    const order = body('orders', '/api/v0/checkout/orders', 'post');
    const ordersOwn = property('orders', order, 'notifications') as OpenAPIV3.ArraySchemaObject;
    expect({
      registration: limitsOf('orders', registration),
      channel: { count: channel.maxItems, each: limitsOf('orders', resolve('orders', channel.items)) },
      order: { count: ordersOwn.maxItems, each: limitsOf('orders', resolve('orders', ordersOwn.items)) },
      created: limitsOf('notifications', body('notifications', '/api/v0/checkout/notifications/subscriptions', 'post')),
      updated: limitsOf('notifications', body('notifications', '/api/v0/checkout/notifications/subscriptions/{id}', 'patch')),
    }).toEqual({
      registration: expected,
      channel: { count: 50, each: expected },
      order: { count: 50, each: expected },
      created: expected,
      updated: expected,
    });
    expect(documents.orders.paths['/api/v0/checkout/orders/{id}/notifications']?.post?.summary).toContain('at most 50 per order');
    for (const service of ['orders', 'notifications'] as const) {
      expect({ service, description: documents[service].info.description }).toEqual({ service, description: expect.stringContaining('nested at most 64 levels deep (objects and arrays), at most 1000 keys in one object, 1000 items in one array and 20000 values in all') });
    }
  });

  it('give every response with a body its schema', () => {
    const missing: string[] = [];
    for (const service of ['orders', 'notifications'] as const) {
      for (const [path, item] of Object.entries(documents[service].paths ?? {})) {
        for (const [method, operation] of Object.entries(item ?? {})) {
          const responses = (operation as OpenAPIV3.OperationObject).responses ?? {};
          for (const [status, response] of Object.entries(responses)) {
            if (status === '204') continue;
            if (!('content' in response) || !response.content?.['application/json']?.schema) missing.push(`${service} ${method.toUpperCase()} ${path} ${status}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('generate a client whose types real answers of both services compile against', async () => {
    for (const service of ['orders', 'notifications'] as const) {
      writeFileSync(join(dir, `${service}.json`), JSON.stringify(documents[service]));
      await promisify(execFile)(process.execPath, [OPENAPI_TYPESCRIPT, join(dir, `${service}.json`), '--output', join(dir, `${service}.d.ts`)]);
    }

    // order-service: an order with a masked registration, its state, payments, shippings, registrations, channel configuration, errors.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const registration = { url: system.sink.url('/erp/{order.id}'), headers: { 'X-API-Key': 'erp-key' }, secret, scope: { state: ['processing'], payment: true } };
    const order = await capture('orders', 'post', ORDERS, '/api/v0/checkout/orders', 201, {
      reference: 'openapi-1', currency: 'SEK', country: 'SE', culture: 'sv-SE', customer: { email: 'buyer@example.com' },
      cart: { items: [{ reference: 'sku-1', name: 'Mug', quantity: 2, unitPrice: 50 }], total: 100 }, notifications: [registration],
    }, { 'x-channel': 'web' });
    await capture('orders', 'get', `${ORDERS}/${order.id}`, '/api/v0/checkout/orders/{id}', 200);
    await capture('orders', 'put', `${ORDERS}/${order.id}/state`, '/api/v0/checkout/orders/{id}/state', 409, { currentStatus: 'completed' });
    await capture('orders', 'put', `${ORDERS}/${order.id}/state`, '/api/v0/checkout/orders/{id}/state', 200, { currentStatus: 'processing' });
    const payment = await capture('orders', 'post', `${ORDERS}/${order.id}/payments`, '/api/v0/checkout/orders/{id}/payments', 201,
      { adapterId: 'stripe', amount: 100, state: 'authorized', notifications: [{ delivery: 'poll', scope: { payment: ['captured'] } }] });
    await capture('orders', 'patch', `${ORDERS}/${order.id}/payments/${payment.id}`, '/api/v0/checkout/orders/{id}/payments/{paymentId}', 200, { state: 'captured' });
    const shipping = await capture('orders', 'post', `${ORDERS}/${order.id}/shippings`, '/api/v0/checkout/orders/{id}/shippings', 201,
      { adapterId: 'postnord', price: 49, state: 'intent', address: { city: 'Malmö' } });
    await capture('orders', 'patch', `${ORDERS}/${order.id}/shippings/${shipping.id}`, '/api/v0/checkout/orders/{id}/shippings/{shippingId}', 200, { state: 'confirmed' });
    await capture('orders', 'post', `${ORDERS}/${order.id}/notifications`, '/api/v0/checkout/orders/{id}/notifications', 201,
      { reference: 'api-form', invoke: system.sink.url('/api-form'), scope: '/state/currentStatus', schema: { enum: ['accepted'] } });
    await capture('orders', 'get', `${ORDERS}/${order.id}/notifications`, '/api/v0/checkout/orders/{id}/notifications', 200);
    // The channel's notifications carry each kind of target credential (masked in the answer); only orders created later get them.
    await capture('orders', 'put', `${CHANNELS}/web/notifications`, '/api/v0/checkout/channels/{channel}/notifications', 200, [registration, ...authenticatedTargets()]);
    await capture('orders', 'get', `${CHANNELS}/web/notifications`, '/api/v0/checkout/channels/{channel}/notifications', 200);
    await capture('orders', 'get', `${ORDERS}/00000000-0000-4000-8000-000000000000`, '/api/v0/checkout/orders/{id}', 404);
    await capture('orders', 'post', ORDERS, '/api/v0/checkout/orders', 400, { currency: 'SEK', cart: {}, unknown: true }, { 'x-channel': 'web' });
    await capture('orders', 'get', '/health', '/health', 200);
    await capture('orders', 'get', '/api/v0/checkout/operator/parked-changes', '/api/v0/checkout/operator/parked-changes', 200, undefined, OPERATOR);
    await capture('orders', 'get', '/api/v0/checkout/operator/parked-changes', '/api/v0/checkout/operator/parked-changes', 403, undefined, BETA);

    // notification-service: Events, retries, the manual trigger, subscriptions (an alert one too), endpoint health, the poll queue, signing, errors.
    const [event] = await system.eventsOf(order.id, { until: (e) => e.scope === 'state.processing' && e.status === 'succeeded' });
    await capture('notifications', 'get', `${EVENTS}?orderId=${order.id}`, '/api/v0/checkout/notifications/events', 200);
    await capture('notifications', 'get', `${EVENTS}/${event.id}`, '/api/v0/checkout/notifications/events/{eventId}', 200);
    await capture('notifications', 'post', `${EVENTS}/${event.id}/retry`, '/api/v0/checkout/notifications/events/{eventId}/retry', 202);
    await capture('notifications', 'post', `${EVENTS}/retry`, '/api/v0/checkout/notifications/events/retry', 202, { status: 'failed' });
    await capture('notifications', 'post', `${NOTIFICATIONS}/orders/${order.id}/trigger`, '/api/v0/checkout/notifications/orders/{orderId}/trigger', 202, {});
    await capture('notifications', 'get', `${EVENTS}/00000000-0000-4000-8000-000000000000`, '/api/v0/checkout/notifications/events/{eventId}', 404);
    const subscription = await capture('notifications', 'post', `${NOTIFICATIONS}/subscriptions`, '/api/v0/checkout/notifications/subscriptions', 201,
      { name: 'ERP completions', channels: ['web'], scope: { state: ['completed'] }, delivery: 'webhook', url: system.sink.url('/sub'), headers: { 'X-API-Key': 'k' }, secret });
    for (const { reference, ...target } of authenticatedTargets()) {
      await capture('notifications', 'post', `${NOTIFICATIONS}/subscriptions`, '/api/v0/checkout/notifications/subscriptions', 201, { name: `ERP ${reference}`, channels: ['web'], ...target });
    }
    await capture('notifications', 'get', `${NOTIFICATIONS}/subscriptions`, '/api/v0/checkout/notifications/subscriptions', 200);
    await capture('notifications', 'patch', `${NOTIFICATIONS}/subscriptions/${subscription.id}`, '/api/v0/checkout/notifications/subscriptions/{id}', 200, { enabled: false });
    await capture('notifications', 'get', `${NOTIFICATIONS}/subscriptions/${subscription.id}`, '/api/v0/checkout/notifications/subscriptions/{id}', 200);
    await capture('notifications', 'post', `${NOTIFICATIONS}/subscriptions`, '/api/v0/checkout/notifications/subscriptions', 201,
      { name: 'ops alerts', events: ['endpoint.failing', 'delivery.dead'], delivery: 'webhook', url: system.sink.url('/alerts'), secret });
    await capture('notifications', 'get', `${NOTIFICATIONS}/endpoints`, '/api/v0/checkout/notifications/endpoints', 200);
    const received = await capture<{ messages: { messageInfo: { messageId: string } }[] }>('notifications', 'get', `${NOTIFICATIONS}/receive?timeoutMs=10000`, '/api/v0/checkout/notifications/receive', 200);
    // The poll registration made with the payment: its captured payment, and the manual trigger above.
    expect(received.messages).toHaveLength(2);
    await capture('notifications', 'post', `${NOTIFICATIONS}/ack`, '/api/v0/checkout/notifications/ack', 200,
      { messageInfos: [{ messageIdentifier: received.messages[0].messageInfo.messageId }, { messageIdentifier: '00000000-0000-4000-8000-000000000000' }] });
    const day = 86_400_000;
    await capture('notifications', 'get', `${NOTIFICATIONS}?periodStart=${new Date(Date.now() - day).toISOString()}&periodEnd=${new Date(Date.now() + day).toISOString()}`, '/api/v0/checkout/notifications', 200);
    await capture('notifications', 'post', `${NOTIFICATIONS}/secrets`, '/api/v0/checkout/notifications/secrets', 201);
    await capture('notifications', 'get', `${NOTIFICATIONS}/.well-known/jwks.json`, '/api/v0/checkout/notifications/.well-known/jwks.json', 200);
    await capture('notifications', 'get', '/health', '/health', 200);
    await capture('notifications', 'get', `${NOTIFICATIONS}/operator/parked-changes`, '/api/v0/checkout/notifications/operator/parked-changes', 200, undefined, OPERATOR);
    await capture('notifications', 'get', `${NOTIFICATIONS}/operator/parked-changes`, '/api/v0/checkout/notifications/operator/parked-changes', 401, undefined, { authorization: 'Bearer unknown' });

    expect(typeCheck(captured)).toEqual([]);
  });

  it('would catch an answer that does not match its schema', () => {
    const order = captured.find((c) => c.service === 'orders' && c.path === '/api/v0/checkout/orders/{id}' && c.status === 200);
    expect(order).toBeDefined();
    const { id: _id, ...withoutId } = order?.body as Record<string, unknown>;
    expect(typeCheck([{ ...(order as Captured), body: withoutId }]).join('\n')).toMatch(/Property 'id' is missing/);
    expect(typeCheck([{ ...(order as Captured), body: { ...(order?.body as object), undocumented: true } }]).join('\n')).toMatch(/undocumented.* does not exist in type/);
  });

  /**
   * Targets with an OAuth2 client, a client certificate and a Kafka topic with SASL, on completed
   * orders (which this suite never makes): their answers show each credential kind's masked form.
   */
  function authenticatedTargets() {
    const client = pki.issue('erp.example.com');
    const scope = { state: ['completed'] };
    return [
      { reference: 'oauth2', url: system.sink.url('/oauth2'), scope, auth: { type: 'oauth2_client_credentials', tokenUrl: system.sink.url('/token'), clientId: 'erp', clientSecret: 'client-s3cret', scope: 'orders.write' } },
      { reference: 'mtls', url: 'https://127.0.0.1:9/mtls', scope, auth: { type: 'mtls', ...client } },
      { reference: 'kafka', delivery: 'kafka', scope, kafka: { brokers: ['127.0.0.1:9092'], topic: 'erp.orders', sasl: { mechanism: 'scram-sha-512', username: 'erp', password: 'sasl-s3cret' }, ssl: true } },
    ];
  }

  /** Writes a file assigning each answer to its generated response type and compiles it strictly; returns the errors. */
  function typeCheck(answers: Captured[]): string[] {
    const lines = [
      "import type { paths as orders } from './orders';",
      "import type { paths as notifications } from './notifications';",
      ...answers.map((answer, index) =>
        `export const answer${index}: ${answer.service}[${JSON.stringify(answer.path)}][${JSON.stringify(answer.method)}]['responses'][${answer.status}]['content']['application/json'] = ${JSON.stringify(answer.body)};`),
    ];
    const file = join(dir, 'answers.ts');
    writeFileSync(file, lines.join('\n') + '\n');
    const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, skipLibCheck: false, types: [] });
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  }
});
