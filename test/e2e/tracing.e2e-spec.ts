import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';
import { startTracing, TracingHandle, tracingActive } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MAX_INGEST_ATTEMPTS } from '../../apps/notification-service/src/ingest/ingest-attempts';
import { ScopeMatcher } from '../../apps/notification-service/src/matching/scope-matcher';
import { createTestDatabase } from '../support/database';
import { TEST_SERVICE_ENV } from '../support/env';
import { createTopic, kafkaBrokers, readTopic, uniqueTopic } from '../support/kafka';
import { ALPHA, NOTIFICATIONS, ORDERS, startSystem, System } from '../support/system';
import { ReceivedRequest, WebhookSink } from '../support/webhook-sink';
import { ensureBuilt, ServiceProcess } from '../trust/support/service-process';
import { createOrder, setState } from '../trust/support/services';

/**
 * OpenTelemetry through the whole path, both services in this process on the real Kafka broker,
 * spans collected in memory: one order change is one trace, from the API request through the outbox
 * relay's publish and the ingest to the delivery attempt, whose `traceparent` the receiver gets.
 */
describe('tracing through order-service, Kafka and notification-service', () => {
  const exporter = new InMemorySpanExporter();
  const handles: (TracingHandle | null)[] = [];
  let system: System;

  beforeAll(async () => {
    handles.push(await startTracing('order-service', { exporter }), await startTracing('notification-service', { exporter }));
    system = await startSystem('kafka');
  });

  afterAll(async () => {
    await system?.close();
    for (const handle of handles) await handle?.shutdown();
  });

  /** Waits until `attempts` attempt spans of a delivery (by its webhook-id) have ended, then returns every span of its trace. */
  async function traceOfDelivery(webhookId: string, attempts = 1): Promise<ReadableSpan[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const finished = exporter.getFinishedSpans();
      const ended = finished.filter((span) => span.kind === SpanKind.CLIENT && span.attributes['ordercast.webhook_id'] === webhookId);
      // Spans end in their own time (an ingest span after its batch committed): wait until every ancestor of the attempts has ended too.
      if (ended.length >= attempts && ended.every((span) => ancestorsEnded(span, finished))) {
        return finished.filter((span) => span.spanContext().traceId === ended[0].spanContext().traceId);
      }
      if (Date.now() > deadline) throw new Error(`no attempt span for webhook-id ${webhookId}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Whether every span between `span` and the request that started it (a server span, whose own parent may be a caller's) has ended. */
  function ancestorsEnded(span: ReadableSpan, finished: ReadableSpan[]): boolean {
    const parentId = span.parentSpanContext?.spanId;
    if (parentId === undefined || span.kind === SpanKind.SERVER) return true;
    const parent = finished.find((candidate) => candidate.spanContext().spanId === parentId);
    return parent !== undefined && ancestorsEnded(parent, finished);
  }

  /** The finished spans once `done` holds for them. */
  async function finishedSpansWhen(done: (spans: ReadableSpan[]) => boolean, what: string): Promise<ReadableSpan[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const spans = exporter.getFinishedSpans();
      if (done(spans)) return spans;
      if (Date.now() > deadline) throw new Error(`no ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  function only(spans: ReadableSpan[], kind: SpanKind): ReadableSpan {
    const matching = spans.filter((span) => span.kind === kind);
    expect(matching).toHaveLength(1);
    return matching[0];
  }

  it('makes one trace of a state change, from the API request to the receiver, with each span the child of the one before', async () => {
    const order = await system.createOrder({ notifications: [{ url: system.sink.url('/erp/{order.id}'), scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [received] = await system.sink.waitFor(1, 30_000, `/erp/${order.id}`);

    const trace = await traceOfDelivery(received.headers['webhook-id'] as string);
    const api = only(trace, SpanKind.SERVER);
    const publish = only(trace, SpanKind.PRODUCER);
    const ingest = only(trace, SpanKind.CONSUMER);
    const attempt = only(trace, SpanKind.CLIENT);
    expect(trace).toHaveLength(4);

    expect(api.parentSpanContext).toBeUndefined();
    expect(api.name).toBe('PUT /api/v0/checkout/orders/:id/state');
    expect(api.attributes).toMatchObject({ 'http.route': '/api/v0/checkout/orders/:id/state', 'http.response.status_code': 200 });
    expect(publish.parentSpanContext?.spanId).toBe(api.spanContext().spanId);
    expect(publish.attributes).toMatchObject({ 'ordercast.order_id': order.id, 'messaging.operation.type': 'send' });
    expect(ingest.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(ingest.attributes).toMatchObject({ 'ordercast.order_id': order.id, 'messaging.operation.type': 'process', 'messaging.message.id': publish.attributes['messaging.message.id'] });
    expect(attempt.parentSpanContext?.spanId).toBe(ingest.spanContext().spanId);
    expect(attempt.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'ordercast.attempt': 1 });
    expect([api, publish].map((span) => span.resource.attributes['service.name'])).toEqual(['order-service', 'order-service']);
    expect([ingest, attempt].map((span) => span.resource.attributes['service.name'])).toEqual(['notification-service', 'notification-service']);

    const traceId = api.spanContext().traceId;
    expect(received.headers.traceparent).toBe(`00-${traceId}-${attempt.spanContext().spanId}-01`);
    const [event] = await system.eventsOf(order.id, { until: (e) => e.status === 'succeeded' });
    expect(event.request.headers.traceparent).toBe(received.headers.traceparent);
  });

  it('continues the trace of a caller that sends a traceparent, up to the receiver', async () => {
    const callerTraceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const order = await system.createOrder({ notifications: [{ url: system.sink.url('/wms/{order.id}'), scope: { state: ['processing'] } }] });
    await request(system.ordersHttp).put(`${ORDERS}/${order.id}/state`).set({ ...ALPHA, traceparent: `00-${callerTraceId}-${callerSpanId}-01` }).send({ currentStatus: 'processing' }).expect(200);
    const [received] = await system.sink.waitFor(1, 30_000, `/wms/${order.id}`);

    const trace = await traceOfDelivery(received.headers['webhook-id'] as string);
    expect(only(trace, SpanKind.SERVER).parentSpanContext).toMatchObject({ traceId: callerTraceId, spanId: callerSpanId, isRemote: true });
    expect(received.headers.traceparent).toMatch(new RegExp(`^00-${callerTraceId}-[0-9a-f]{16}-01$`));
  });

  it('makes every attempt of a delivery, retries claimed from the database too, a child of the ingest span, each with its own traceparent', async () => {
    system.sink.respond('/flaky', 500, 200);
    const order = await system.createOrder({ notifications: [{ url: system.sink.url('/flaky'), scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [first, second] = await system.sink.waitFor(2, 30_000, '/flaky');
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);

    const trace = await traceOfDelivery(first.headers['webhook-id'] as string, 2);
    const ingest = only(trace, SpanKind.CONSUMER);
    const attempts = trace.filter((span) => span.kind === SpanKind.CLIENT).sort((a, b) => Number(a.attributes['ordercast.attempt']) - Number(b.attributes['ordercast.attempt']));
    expect(attempts.map((span) => span.parentSpanContext?.spanId)).toEqual([ingest.spanContext().spanId, ingest.spanContext().spanId]);
    expect(attempts.map((span) => span.attributes['http.response.status_code'])).toEqual([500, 200]);
    expect([first, second].map((received) => received.headers.traceparent)).toEqual(attempts.map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`));
  });

  it('makes an attempt to a Kafka destination a producer span, child of the ingest span, whose traceparent the record carries', async () => {
    const topic = uniqueTopic('merchant.traced');
    await createTopic(kafkaBrokers(), topic, 1);
    const order = await system.createOrder({ notifications: [{ delivery: 'kafka', kafka: { brokers: kafkaBrokers(), topic }, scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [record] = await readTopic(kafkaBrokers(), topic, { expected: 1 });

    const isAttempt = (span: ReadableSpan) => span.kind === SpanKind.PRODUCER && span.attributes['ordercast.webhook_id'] === record.headers['webhook-id'];
    const spans = await finishedSpansWhen((all) => all.some((span) => isAttempt(span) && ancestorsEnded(span, all)), 'attempt span of the Kafka record and its ancestors');
    const attempt = spans.find(isAttempt) as ReadableSpan;
    const trace = spans.filter((span) => span.spanContext().traceId === attempt.spanContext().traceId);
    const ingest = only(trace, SpanKind.CONSUMER);
    expect(attempt.parentSpanContext?.spanId).toBe(ingest.spanContext().spanId);
    expect(attempt.attributes).toMatchObject({ 'messaging.system': 'kafka', 'ordercast.attempt': 1 });
    expect(attempt.status.code).toBe(SpanStatusCode.UNSET);
    expect(only(trace, SpanKind.SERVER).name).toBe('PUT /api/v0/checkout/orders/:id/state');
    expect(record.headers.traceparent).toBe(`00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`);
  });

  it('ends every ingest span of a change whose ingest keeps failing failed, the last one saying it was parked, and traces the change after it to the receiver', async () => {
    const order = await system.createOrder({ notifications: [{ url: system.sink.url('/parked/{order.id}'), scope: { state: ['processing', 'accepted'] } }] });
    const matcher = system.notifications.get(ScopeMatcher);
    const evaluate = matcher.evaluate.bind(matcher);
    const poison = jest.spyOn(matcher, 'evaluate').mockImplementation((targets, previous, current) => {
      if (current.id === order.id && current.state.currentStatus === 'processing') throw new Error(`injected failure for order ${order.id}`);
      return evaluate(targets, previous, current);
    });
    try {
      await system.setState(order.id, 'processing');
      await system.setState(order.id, 'accepted');
      const [received] = await system.sink.waitFor(1, 30_000, `/parked/${order.id}`);

      const parkedReason = `parked after ${MAX_INGEST_ATTEMPTS} attempts: injected failure for order ${order.id}`;
      // The receiver has the request before the attempt's span ends, and ingest spans end after their batch committed: wait for all three.
      const attemptOf = (all: ReadableSpan[]) => all.find((span) => span.kind === SpanKind.CLIENT && span.attributes['ordercast.webhook_id'] === received.headers['webhook-id']);
      const spans = await finishedSpansWhen((all) => {
        const sent = attemptOf(all);
        return all.some((span) => span.kind === SpanKind.CONSUMER && span.status.message === parkedReason)
          && sent !== undefined && ancestorsEnded(sent, all);
      }, 'parked ingest span, the attempt of the next change and its ingest span');
      const attempt = spans.find((span) => span.kind === SpanKind.CLIENT && span.attributes['ordercast.webhook_id'] === received.headers['webhook-id']);
      const ingest = spans.find((span) => span.spanContext().spanId === attempt?.parentSpanContext?.spanId);
      expect(ingest).toMatchObject({ kind: SpanKind.CONSUMER, status: { code: SpanStatusCode.UNSET } });
      expect(received.headers.traceparent).toBe(`00-${attempt?.spanContext().traceId}-${attempt?.spanContext().spanId}-01`);

      // Every delivery of the poison change (children of its message's producer span) failed; the last one parked it.
      const parked = spans.find((span) => span.kind === SpanKind.CONSUMER && span.status.message === parkedReason);
      const poisonPublish = spans.find((span) => span.spanContext().spanId === parked?.parentSpanContext?.spanId);
      expect(poisonPublish).toMatchObject({ kind: SpanKind.PRODUCER, attributes: { 'ordercast.order_id': order.id } });
      expect(poisonPublish?.spanContext().spanId).not.toBe(ingest?.parentSpanContext?.spanId);
      const poisonIngests = spans.filter((span) => span.kind === SpanKind.CONSUMER && span.parentSpanContext?.spanId === poisonPublish?.spanContext().spanId);
      expect(poisonIngests.length).toBeGreaterThanOrEqual(MAX_INGEST_ATTEMPTS + 1);
      expect(poisonIngests.every((span) => span.status.code === SpanStatusCode.ERROR)).toBe(true);
      expect(poisonIngests.filter((span) => span.status.message === parkedReason)).toHaveLength(1);
    } finally {
      poison.mockRestore();
    }
  });

  it("continues the operator's trace in a manual send", async () => {
    const order = await system.createOrder({
      notifications: [
        { url: system.sink.url('/manual/{order.id}'), reference: 'manual', scope: { state: ['completed'] } },
        { url: system.sink.url('/marker/{order.id}'), scope: { state: ['processing'] } },
      ],
    });
    await system.setState(order.id, 'processing');
    // The trigger reads the snapshot notification-service ingested: the marker shows the change got there.
    await system.sink.waitFor(1, 30_000, `/marker/${order.id}`);
    const callerTraceId = '0af7651916cd43dd8448eb211c80319c';
    await request(system.notificationsHttp).post(`${NOTIFICATIONS}/orders/${order.id}/trigger`)
      .set({ ...ALPHA, traceparent: `00-${callerTraceId}-b7ad6b7169203331-01` }).send({ reference: 'manual' }).expect(202);
    const [received] = await system.sink.waitFor(1, 30_000, `/manual/${order.id}`);

    const trace = await traceOfDelivery(received.headers['webhook-id'] as string);
    const api = only(trace, SpanKind.SERVER);
    expect(api.resource.attributes['service.name']).toBe('notification-service');
    expect(only(trace, SpanKind.CLIENT).parentSpanContext?.spanId).toBe(api.spanContext().spanId);
    expect(received.headers.traceparent).toMatch(new RegExp(`^00-${callerTraceId}-`));
  });
});

/** The services configured from the environment: the standard variables alone turn tracing on, and nothing does by default. */
describe('tracing configured by OTEL_* variables', () => {
  const stateChange = async (system: System, path: string): Promise<ReceivedRequest> => {
    const order = await system.createOrder({ notifications: [{ url: system.sink.url(path), scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [received] = await system.sink.waitFor(1, 30_000, path);
    return received;
  };

  it('is off without them: no tracer provider, and the receiver gets no traceparent', async () => {
    const system = await startSystem('in-process');
    try {
      expect(tracingActive()).toBe(false);
      const received = await stateChange(system, '/untraced');
      expect(received.headers.traceparent).toBeUndefined();
      expect(received.headers.tracestate).toBeUndefined();
    } finally {
      await system.close();
    }
  });

  it('has each service, started as in production, post its spans as OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, flushed at SIGTERM', async () => {
    await ensureBuilt();
    const db = await createTestDatabase();
    const [collector, receiver] = await Promise.all([WebhookSink.start(), WebhookSink.start()]);
    collector.respond('/v1/traces', { status: 200, body: '{}', headers: { 'content-type': 'application/json' } });
    const dir = mkdtempSync(join(tmpdir(), 'ordercast-tracing-'));
    const env = {
      ...TEST_SERVICE_ENV, DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: `tracing-${randomUUID().slice(0, 8)}.`,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url('/'), LOG_LEVEL: 'warn',
    };
    const services: ServiceProcess[] = [];
    let received: ReceivedRequest;
    try {
      services.push(await ServiceProcess.start('order-service', env, join(dir, 'order-service.log')));
      services.push(await ServiceProcess.start('notification-service', env, join(dir, 'notification-service.log')));
      const order = await createOrder(services[0].url, { notifications: [{ url: receiver.url('/traced'), scope: { state: ['processing'] } }] });
      await setState(services[0].url, order.id, 'processing');
      [received] = await receiver.waitFor(1, 30_000, '/traced');
    } finally {
      for (const service of services.reverse()) expect(await service.stop()).toEqual({ code: 0, signal: null });
      await Promise.all([collector.close(), receiver.close()]);
      await db.drop();
    }
    const traceId = (received.headers.traceparent as string).split('-')[1];
    const exported = collector.received('/v1/traces').flatMap((post) => (JSON.parse(post.body) as OtlpTraces).resourceSpans);
    const spansOf = (service: string) => exported
      .filter((resource) => resource.resource.attributes.some((a) => a.key === 'service.name' && a.value.stringValue === service))
      .flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans))
      .filter((span) => span.traceId === traceId)
      .map((span) => span.name);
    expect(spansOf('order-service').sort()).toEqual(['PUT /api/v0/checkout/orders/:id/state', `send ${ORDER_EVENTS_TOPIC}`]);
    expect(spansOf('notification-service').sort()).toEqual(['POST', `process ${ORDER_EVENTS_TOPIC}`]);
  });
});

/** The part of an OTLP/HTTP JSON export this suite reads. */
interface OtlpTraces {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: { traceId: string; name: string }[] }[];
  }[];
}
