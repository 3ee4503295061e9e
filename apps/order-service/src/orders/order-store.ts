import { ConflictException, HttpException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Change, ChangeType, Order, ORDER_EVENTS_TOPIC, OrderChangeEvent, PreviousOrder, Registration } from '@ordercast/contracts';
import {
  activeTraceHeaders, BatchLimits, inAutocommitScope, KeyedLine, packedText, packTexts, preparedStatement, runPrepared, timeOrderedId, TurnBatcher,
} from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { MAX_REGISTRATIONS_PER_ORDER, tooManyRegistrations } from '../notifications/order-registrations';
import { OutboxSignal } from '../outbox/outbox-signal';
import { MerchantPublishRate } from './merchant-publish-rate';
import { BudgetedChange, OrderBudget } from './order-budget';
import { OrderCache } from './order-cache';
import { orderTooLarge } from './order-too-large';
import { OrderEntity } from './order.entity';

/** A change to an order, as a command handler describes it; the store stamps and records it. */
export interface OrderChange {
  type: Exclude<ChangeType, 'order.created'>;
  change: Change;
  /** The order after the change; `lastModified` is set by the store. */
  order: Order;
}

/**
 * Computes a change from the current order, or returns null when the request changes nothing
 * (then nothing is written or published). Throwing writes nothing. It may run more than once
 * for one request (when a concurrent change wins), so it must have no side effects.
 */
export type ApplyChange = (current: Order, now: Date) => OrderChange | null;

/**
 * Reads and writes orders. Every write stores the order and the change event describing it
 * (in the outbox) in one statement, so atomically, then wakes the outbox relay once the
 * request's transaction committed (OutboxSignal). Every write is held to the order's byte budget
 * first ({@link OrderBudget}), measured on the very JSON it stores: a write past it is refused
 * with 413 and writes nothing; so is one past the merchant's publish rate ({@link MerchantPublishRate}),
 * with 429. The outbox row keeps the trace context of the request, if it is
 * traced, for the relay to continue.
 */
@Injectable()
export class OrderStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxSignal,
    private readonly budget: OrderBudget,
    private readonly cache: OrderCache,
    private readonly rate: MerchantPublishRate,
  ) {}

  /**
   * The merchant's order; another merchant's order is as unknown as a missing one. A prepared
   * statement, like the writes: building the query through TypeORM cost the order API's reads more
   * CPU than the statement itself (BENCH_PROFILE, `GET /orders/{id}` alone). A read of an
   * autocommit request (the order API's GETs) shares its statement with the merchant's other reads
   * of the same turn of the event loop ({@link TurnBatcher}); in a transaction it runs alone.
   */
  async find(merchant: string, orderId: string): Promise<Order> {
    const [document] = inAutocommitScope() ? [await this.reads.submit(merchant, orderId)] : await this.readOrders(merchant, [orderId]);
    if (!document) throw orderNotFound(orderId);
    return JSON.parse(document) as Order;
  }

  /** The documents of `ids` (undefined for an unknown one), as text: each reader parses its own. */
  private readonly readOrders = async (merchant: string, ids: string[]): Promise<Array<string | undefined>> => {
    // The route's pipe lets only UUIDs through (lower case, as PostgreSQL writes them); this holds it
    // here too, since one id PostgreSQL refused would fail every read of a batch.
    const rows = await runPrepared<{ id: string; document: string }>(this.dataSource, READ_ORDERS, [[...new Set(ids.filter((id) => UUID.test(id)))], merchant]);
    const documents = new Map(rows.map((row) => [row.id, row.document]));
    return ids.map((id) => documents.get(id));
  };

  /** Writes `changes` in one statement (WRITE_CHANGES): each one's new revision, or undefined when its order moved on. */
  private readonly writeChanges = async (merchant: string, changes: ChangeWrite[]): Promise<Array<string | undefined>> => {
    const { bytes, ranges } = packTexts(changes.flatMap((c) => [c.document, c.payload]));
    const rows = changes.map((c, index) => ({
      id: c.orderId, version: c.version, revision: c.revision, state: c.state, last_modified: c.lastModified, event_id: c.eventId,
      trace_context: c.traceContext, event_type: c.eventType, document: ranges[2 * index], payload: ranges[2 * index + 1],
    }));
    const written = await runPrepared<{ event_id: string; revision: string }>(this.dataSource, WRITE_CHANGES, [merchant, ORDER_EVENTS_TOPIC, JSON.stringify(rows), bytes]);
    const revisions = new Map(written.map((row) => [row.event_id, row.revision]));
    return changes.map((c) => revisions.get(c.eventId));
  };

  /** Reads and changes of autocommit requests: one statement for the merchant's of a turn of the event loop. */
  private readonly reads = new TurnBatcher(this.readOrders);
  private readonly writes = new TurnBatcher(this.writeChanges, WRITE_BATCH_LIMITS);

  /**
   * One statement, so one round trip: copies the channel's configured notifications (with ids
   * of their own) in front of the order's, then stores the order and its `order.created` event.
   * Reading the configuration in the same statement means an order created after a channel's
   * configuration was replaced carries the new one, whichever instance replaced it; so the
   * statement also checks the count and byte limits with the copies, and stores nothing past them.
   * Returns the order as stored.
   */
  async create(order: Order): Promise<Order> {
    const event = changeEvent('order.created', { kind: 'created' }, null, order, new Date(order.created), 1);
    const document = JSON.stringify(order);
    const serialized = serializeChangeEvent(event, document);
    const ownBytes = Buffer.byteLength(document);
    const eventBytes = Buffer.byteLength(serialized);
    this.assertWithinBudget({ previousBytes: null, orderBytes: ownBytes, eventBytes });
    // The channel's notifications are copied in by the statement: charged as last seen, settled after.
    const expectedCopies = this.rate.expectedCopies(order.merchant, order.channel);
    // Charged before the statement, refunded when it wrote nothing (a transaction that later rolls back keeps its charge: it did the work).
    const [stored] = await this.rate.spend(order.merchant, eventBytes + expectedCopies, async () => {
      const rows = await runPrepared<{ notifications: Registration[]; revision: string; copiedBytes: number }>(this.dataSource, CREATE_ORDER, [
        order.id, order.merchant, order.channel, order.reference, order.state.currentStatus, document, order.created,
        event.id, ORDER_EVENTS_TOPIC, serialized, MAX_REGISTRATIONS_PER_ORDER, ownBytes, this.budget.orderBytes, activeTraceHeaders(),
      ]);
      return { result: rows, used: rows.length === 1 };
    });
    if (!stored) throw await this.refusal(order, ownBytes);
    this.rate.settleCopies(order.merchant, order.channel, expectedCopies, stored.copiedBytes);
    this.outbox.notify();
    const created = { ...order, notifications: stored.notifications };
    this.cache.set(order.merchant, order.id, { version: 1, revision: stored.revision, document: JSON.stringify(created) });
    return created;
  }

  /**
   * Why CREATE_ORDER stored nothing: too many registrations with the channel's, or too many bytes.
   * Neither, when the channel's configuration was replaced in between: then the caller may retry.
   */
  private async refusal(order: Order, ownBytes: number): Promise<Error> {
    const [row] = await this.dataSource.query<{ count: number; bytes: number }[]>(
      `SELECT jsonb_array_length(registrations) AS count, octet_length(registrations::text) AS bytes
         FROM orders.channel_notifications WHERE merchant = $1 AND channel = $2`,
      [order.merchant, order.channel],
    );
    const configured = row ?? { count: 0, bytes: 0 };
    if (configured.count + order.notifications.length > MAX_REGISTRATIONS_PER_ORDER) {
      return tooManyRegistrations(0, configured.count + order.notifications.length);
    }
    const orderBytes = ownBytes + configured.bytes;
    const problem = this.budget.problem({ previousBytes: null, orderBytes, eventBytes: orderBytes });
    return problem === null ? new ConflictException(`the notifications of channel ${order.channel} changed meanwhile, retry`) : orderTooLarge(problem, this.budget);
  }

  private assertWithinBudget(change: BudgetedChange): void {
    const problem = this.budget.problem(change);
    if (problem !== null) throw orderTooLarge(problem, this.budget);
  }

  /**
   * This instance's changes of one order, one after another: each then starts from the order the
   * one before it left (in the cache), and concurrent changes of one order (twenty payments added
   * at once) all go through, where racing each other they lost round after round and some ended in
   * 409. Changes of different orders are not held up, and still share statements. A change stops
   * waiting once the one in front has run for a second (the version check keeps it right either
   * way), so a database that stops answering does not add up the waits of a whole line.
   */
  private readonly changing = new KeyedLine(1000);

  /**
   * Applies a change with optimistic concurrency: read the order and its version, then one
   * statement that updates the order only if the version is still the one read and inserts the
   * change event only if it did. A concurrent change makes the write match nothing; the change is
   * then computed again from the order it left. The update's row lock still orders one order's
   * events: a later change's insert (and its `seq`) happens only after the earlier change committed.
   *
   * An order this instance wrote last is not read again: the change is computed from the cached
   * order ({@link OrderCache}) and written under the same version check, one round trip in all.
   * Only a write that matched is trusted: when it matches nothing, or the cached order refuses the
   * change (which the current one might not), the change is computed again from the database.
   */
  async change(merchant: string, orderId: string, apply: ApplyChange): Promise<Order> {
    // Only requests that hold no connection while they wait: a request in a transaction (an
    // Idempotency-Key) holds its connection from its first statement, and a line of them waiting behind
    // changes that need a connection took the whole pool for good (attack of 2026-12-02). Those race
    // under the version check, as before the line.
    if (!inAutocommitScope()) return this.changeNow(merchant, orderId, apply);
    return this.changing.run(`${merchant}\n${orderId}`, () => this.changeNow(merchant, orderId, apply));
  }

  private async changeNow(merchant: string, orderId: string, apply: ApplyChange): Promise<Order> {
    const cached = this.cache.get(merchant, orderId);
    // The change's event carries the order at least once: when the merchant's publish allowance cannot
    // pay for that, it is refused before the order is parsed and the change computed (a 429 costs nothing).
    this.rate.refuseUnlessAvailable(merchant, cached?.document.length ?? 1);
    if (cached) {
      try {
        const written = await this.write(merchant, orderId, apply, { document: JSON.parse(cached.document) as Order, version: cached.version, revision: cached.revision });
        if (written && written !== 'unchanged') return written;
      } catch (error) {
        if (!(error instanceof HttpException)) throw error;
      }
      this.cache.delete(merchant, orderId);
    }
    for (let attempt = 0; attempt < MAX_CHANGE_ATTEMPTS; attempt += 1) {
      const [row] = await runPrepared<StoredOrder>(this.dataSource, READ_FOR_CHANGE, [orderId, merchant]);
      if (!row) throw orderNotFound(orderId);
      const outcome = await this.write(merchant, orderId, apply, row);
      if (outcome === 'unchanged') return row.document;
      if (outcome) return outcome;
    }
    throw new ConflictException(`order ${orderId} changed concurrently, retry`);
  }

  /**
   * Computes the change from `current` and writes it if the row is still the one read (its
   * `revision`, PostgreSQL's `xmin`, which every update of the row changes, also one made outside
   * this service) and so at `current.version`:
   * the order after it, `'unchanged'` when the request changes nothing, or null when the version
   * moved on (nothing written). Refusals of `apply` and of the budget are thrown.
   */
  private async write(merchant: string, orderId: string, apply: ApplyChange, current: StoredOrder): Promise<Order | 'unchanged' | null> {
    const now = new Date();
    const outcome = apply(current.document, now);
    if (!outcome) return 'unchanged';
    const next: Order = { ...outcome.order, lastModified: now.toISOString() };
    const event = changeEvent(outcome.type, outcome.change, current.document, next, now, current.version + 1);
    const document = JSON.stringify(next);
    const serialized = serializeChangeEvent(event, document);
    const sizes = { orderBytes: Buffer.byteLength(document), eventBytes: Buffer.byteLength(serialized) };
    // The order before the change only counts for a change the budget would otherwise refuse (one
    // that does not grow the order passes), so it is serialised again only then, not on every change.
    if (this.budget.problem({ previousBytes: null, ...sizes }) !== null) {
      this.assertWithinBudget({ previousBytes: Buffer.byteLength(JSON.stringify(current.document)), ...sizes });
    }
    const revision = await this.rate.spend(merchant, sizes.eventBytes, async () => {
      const write: ChangeWrite = {
        orderId, version: current.version, revision: current.revision, state: next.state.currentStatus, document, lastModified: next.lastModified,
        eventId: event.id, payload: serialized, traceContext: activeTraceHeaders(), eventType: event.type,
      };
      const [written] = inAutocommitScope() ? [await this.writes.submit(merchant, write)] : await this.writeChanges(merchant, [write]);
      return { result: written, used: written !== undefined };
    });
    if (revision === undefined) return null;
    this.outbox.notify();
    this.cache.set(merchant, orderId, { version: current.version + 1, revision, document });
    return next;
  }
}

/**
 * Bounds the retries of a change that keeps losing to concurrent ones; each retry sees the
 * winner's order, so only a burst of changes to one order can exhaust them.
 */
const MAX_CHANGE_ATTEMPTS = 5;

/**
 * Copies the channel configuration into the order, stores it and its `order.created` event; see
 * `create`. Nothing is returned from the outbox: a request may insert into it, never read it.
 */
const CREATE_ORDER = preparedStatement(
  'orders.create',
  `WITH configured AS (
     SELECT coalesce(jsonb_agg(copied.registration || jsonb_build_object('id', gen_random_uuid(), 'source', 'channel', 'createdAt', $7::text)
                               ORDER BY copied.position), '[]'::jsonb) AS registrations
     FROM orders.channel_notifications config
     CROSS JOIN LATERAL jsonb_array_elements(config.registrations) WITH ORDINALITY AS copied (registration, position)
     WHERE config.merchant = $2 AND config.channel = $3
   ), prepared AS (
     SELECT jsonb_set($6::jsonb, '{notifications}', configured.registrations || ($6::jsonb -> 'notifications')) AS document,
            octet_length(configured.registrations::text) AS copied_bytes
     FROM configured
     WHERE jsonb_array_length(configured.registrations) + jsonb_array_length($6::jsonb -> 'notifications') <= $11
       -- The copies' bytes as jsonb prints them, a little above their JSON (a space after each separator).
       AND $12::int + octet_length(configured.registrations::text) <= $13::int
   ), created AS (
     INSERT INTO orders.orders (id, merchant, channel, reference, state, document, version, created, last_modified)
     SELECT $1, $2, $3, $4, $5, prepared.document, 1, $7::timestamptz, $7::timestamptz FROM prepared
     RETURNING document, xmin::text AS revision
   ), published AS (
     INSERT INTO orders.outbox (id, order_id, topic, key, payload, trace_context, event_type)
     SELECT $8, $1, $9, $1, jsonb_set($10::jsonb, '{order}', created.document)::json, $14::jsonb, 'order.created' FROM created
   )
   SELECT document -> 'notifications' AS notifications, revision, (SELECT copied_bytes FROM prepared) AS "copiedBytes" FROM created`,
);

/** The merchant's orders among $1, as text. */
const READ_ORDERS = preparedStatement('orders.read-many', 'SELECT id, document::text AS document FROM orders.orders WHERE id = ANY($1::uuid[]) AND merchant = $2');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const READ_FOR_CHANGE = preparedStatement('orders.read-for-change', 'SELECT document, version, xmin::text AS revision FROM orders.orders WHERE id = $1 AND merchant = $2');

/** An order as read for a change: its document, version, and the row's revision (`xmin`). */
type StoredOrder = Pick<OrderEntity, 'document' | 'version'> & { revision: string };

/**
 * A batch's documents and events are copied once more into its statement's parameters; past
 * 4 MB (a few large orders) the next change opens a batch of its own.
 */
const WRITE_BATCH_LIMITS: BatchLimits<ChangeWrite> = { maxItems: 100, maxBytes: 4 * 1024 * 1024, sizeOf: (c) => c.document.length + c.payload.length };

/** A change to write: the order as read (version, revision) and as changed, and its change event. */
interface ChangeWrite {
  orderId: string;
  version: number;
  revision: string;
  state: string;
  document: string;
  lastModified: string;
  eventId: string;
  payload: string;
  traceContext: Record<string, string> | null;
  eventType: string;
}

/**
 * Changes of orders of one merchant ($1): each order updated only if its row is still
 * the one read, and its event inserted only then; returns the event id and new revision of each
 * change written. The rows are locked first in id order, so two such statements never wait for
 * each other crosswise. Of two changes of one order in a batch (both read at the same version) one
 * is written and the other finds the version moved on, as it would have in a statement of its own.
 */
const WRITE_CHANGES = preparedStatement(
  'orders.write-changes',
  `WITH input AS MATERIALIZED (
     SELECT * FROM json_to_recordset($3::json) AS t(
       id uuid, version int, revision text, state text, last_modified timestamptz, event_id uuid, trace_context jsonb, event_type text, document int[], payload int[])
   ), locked AS MATERIALIZED (
     SELECT o.id FROM orders.orders o WHERE o.id IN (SELECT id FROM input) AND o.merchant = $1 ORDER BY o.id FOR UPDATE
   ), changed AS (
     UPDATE orders.orders o
        SET state = i.state, document = ${packedText('$4', 'i.document[1]', 'i.document[2]')}::jsonb, version = o.version + 1, last_modified = i.last_modified
     FROM input i JOIN locked l ON l.id = i.id
     WHERE o.id = i.id AND o.merchant = $1 AND o.version = i.version AND o.xmin = i.revision::xid
     RETURNING i.event_id, o.id, o.xmin::text AS revision
   ), published AS (
     INSERT INTO orders.outbox (id, order_id, topic, key, payload, trace_context, event_type)
     SELECT c.event_id, c.id, $2, c.id::text, ${packedText('$4', 'i.payload[1]', 'i.payload[2]')}::json, i.trace_context, i.event_type
     FROM changed c JOIN input i ON i.event_id = c.event_id
   )
   SELECT event_id, revision FROM changed`,
);

function orderNotFound(orderId: string): NotFoundException {
  return new NotFoundException(`order ${orderId} not found`);
}

/**
 * The one place a change event is built. `sequence` is the order's version as the write leaves it
 * (1 on create; the version read plus one on a change). `previous` leaves the registrations out: matching
 * compares watched order values only, and `order` carries the registrations (sealed) already.
 */
function changeEvent(type: ChangeType, change: Change, previous: Order | null, order: Order, now: Date, sequence: number): OrderChangeEvent {
  return {
    id: timeOrderedId(now.getTime()), type, occurredAt: now.toISOString(), sequence, merchant: order.merchant, channel: order.channel,
    orderId: order.id, change, previous: previous && withoutRegistrations(previous), order,
  };
}

/**
 * `JSON.stringify(event)`, with the order's JSON (`document`, made already to store it) spliced in
 * as the last member instead of serialised a second time: the order is most of a change event.
 */
export function serializeChangeEvent(event: OrderChangeEvent, document: string): string {
  const { order: _order, ...rest } = event;
  return `${JSON.stringify(rest).slice(0, -1)},"order":${document}}`;
}

function withoutRegistrations({ notifications: _notifications, ...order }: Order): PreviousOrder {
  return order;
}
