import { SpanKind, startSpan, TraceCarrier, TraceHeaders, TraceSpan, tracingActive } from './tracing';

/** A message about to be published, with the trace context stored with it (the outbox row's). */
export interface TracedMessage {
  /** The message's id (the change id). */
  id: string;
  topic: string;
  /** The partition key (the order id). */
  key: string;
  traceContext: TraceHeaders | null;
}

/** The producer span of each message being published, by message id; empty when tracing is off. */
export type PublishSpans = ReadonlyMap<string, TraceSpan>;

const NONE: PublishSpans = new Map();

/**
 * A producer span per message, child of the context stored with it (a new trace when none was).
 * Its `headers` are what the message carries to the consumer, so the consumer continues this span.
 */
export function startPublishSpans(service: string, messages: readonly TracedMessage[]): PublishSpans {
  if (!tracingActive()) return NONE;
  const spans = new Map<string, TraceSpan>();
  for (const message of messages) {
    const span = startSpan(service, `send ${message.topic}`, SpanKind.PRODUCER, message.traceContext, {
      'messaging.operation.type': 'send', 'messaging.destination.name': message.topic, 'messaging.message.id': message.id, 'ordercast.order_id': message.key,
    });
    if (span) spans.set(message.id, span);
  }
  return spans;
}

/** What became of the messages: those `sent` end well, the `refused` (for good) and, after a `failure`, the rest end failed. */
export interface PublishOutcomeOf {
  sent: readonly string[];
  refused: readonly { id: string; reason: string }[];
  failure: string | null;
}

export function endPublishSpans(spans: PublishSpans, outcome: PublishOutcomeOf): void {
  if (spans.size === 0) return;
  const sent = new Set(outcome.sent);
  const refused = new Map(outcome.refused.map(({ id, reason }) => [id, reason]));
  for (const [id, span] of spans) {
    if (refused.has(id)) span.fail(`refused for good by the event bus: ${refused.get(id)}`);
    else if (!sent.has(id)) span.fail(outcome.failure ?? 'not published');
    span.end();
  }
}

/** A received message: where it came from and its headers, which carry the producer's context. */
export interface ReceivedMessage {
  topic: string;
  key: string;
  headers: TraceCarrier;
}

/** The consumer span of one received message, child of the producer span in its headers (a new trace when it has none); null when tracing is off. */
export function startProcessSpan(service: string, message: ReceivedMessage, id: string): TraceSpan | null {
  return startSpan(service, `process ${message.topic}`, SpanKind.CONSUMER, message.headers, {
    'messaging.operation.type': 'process', 'messaging.destination.name': message.topic, 'messaging.message.id': id, 'ordercast.order_id': message.key,
  });
}
