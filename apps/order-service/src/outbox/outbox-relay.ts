import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ORDER_EVENTS_TOPIC, OrderChangeEvent } from '@ordercast/contracts';
import { EVENT_BUS, EventBus, MessageRejectedError, OutgoingMessage } from '@ordercast/messaging';
import {
  endPublishSpans, poolOf, preparedStatement, PublishSpans, purgeExpiredIdempotencyKeys, sqlInteger, startPublishSpans, TraceHeaders,
} from '@ordercast/platform';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { OrderServiceConfig } from '../config/order-service.config';
import { backoffDelay } from './backoff';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxSignal } from './outbox-signal';

/** Rows the relay takes per transaction; one publish call carries at most these. */
const RELAY_BATCH_SIZE = 500;
/** Advisory lock key shared by every order-service instance on one database ("ORDR" "OUTB"). */
const RELAY_LOCK_KEY = '5715705997395579970';
const PURGE_INTERVAL_MS = 60_000;
const MAX_PUBLISH_BYTES = 512 * 1024;

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  /** The change event's JSON as order-service wrote it: published as it is, never parsed here. */
  payload: string;
  type: string;
  traceContext: TraceHeaders | null;
}

/**
 * Marks the rows of the previous batch sent and reads the next one in one statement: the unsent
 * rows that are not parked, oldest first, but for those just marked (the SELECT sees the table as
 * it was before the UPDATE). `$1` is empty when nothing waits to be marked. An index scan: see
 * {@link OutboxRelay.relayConnection}. `sent_at` is when the bus acknowledged the rows, on the
 * database's clock: `$2` milliseconds before the statement ran.
 */
const CLAIM = preparedStatement(
  'outbox.claim',
  `WITH sent AS (
     UPDATE orders.outbox SET attempts = attempts + 1, sent_at = clock_timestamp() - $2::float8 * interval '1 millisecond' WHERE id = ANY($1::uuid[])
   )
   SELECT id, topic, key, payload::text AS payload, coalesce(event_type, payload->>'type') AS type, trace_context AS "traceContext" FROM orders.outbox
    WHERE sent_at IS NULL AND parked_at IS NULL AND id <> ALL($1::uuid[]) ORDER BY seq LIMIT ${RELAY_BATCH_SIZE}`,
);
const MARK_SENT = preparedStatement(
  'outbox.mark-sent',
  `UPDATE orders.outbox SET attempts = attempts + 1, sent_at = clock_timestamp() - $2::float8 * interval '1 millisecond' WHERE id = ANY($1::uuid[])`,
);
const COUNT_FAILED = preparedStatement('outbox.count-failed', 'UPDATE orders.outbox SET attempts = attempts + 1 WHERE id = ANY($1::uuid[])');
const MARK_PARKED = preparedStatement(
  'outbox.mark-parked',
  `UPDATE orders.outbox SET attempts = attempts + 1, parked_at = now(), park_reason = parked.reason
     FROM unnest($1::uuid[], $2::text[]) AS parked (id, reason) WHERE outbox.id = parked.id`,
);

type BatchOutcome = { kind: 'idle' | 'standby' } | { kind: 'published'; count: number } | { kind: 'failed'; error: unknown };

/** A row the bus refused for good, with the bus's reason and the size of the message it refused. */
interface ParkedRow {
  row: OutboxRow;
  reason: string;
  bytes: number;
}

/** Rows the bus acknowledged whose mark waits for the next claim (see {@link CLAIM}). */
interface Unmarked {
  ids: string[];
  /** Date.now() when the bus acknowledged them. */
  ackedAt: number;
}

/** What one publish of a batch did, row by row, in `seq` order: published, parked, or not reached because the bus failed. */
interface PublishOutcome {
  sent: string[];
  parked: ParkedRow[];
  /** The transient failure that stopped the batch; the rows after the last sent or parked one stay unsent. */
  failure: unknown;
}

/**
 * Publishes outbox rows to the event bus in `seq` order and marks them sent.
 *
 * One instance at a time publishes: the relay works on a connection of its own that holds the
 * session advisory lock `RELAY_LOCK_KEY`, so two relays never interleave and one order's changes
 * reach the bus in the order they committed (a later change of an order writes its outbox row
 * only once the earlier one committed, see `OrderStore.change`, so it always gets a higher `seq`).
 * The lock lives as long as the connection: a relay that crashes, or whose connection breaks,
 * lets another instance take over. Holding it, a batch is two autocommitted statements around
 * the publish (read, mark sent), not a transaction of five round trips; while changes keep
 * coming, one: the mark of a published batch is folded into the statement that reads the next
 * (see {@link CLAIM}), which comes within `OUTBOX_BATCH_INTERVAL_MS`.
 * A batch is marked sent only after the bus accepted it: a crash in between republishes it
 * (at-least-once), nothing is lost. A mark waiting for the next read is made at stop, and a
 * failed read keeps it for the next; an instance that lost the lock drops it (the new relay
 * publishes those rows again).
 * When the bus is down the batch stays unsent and the relay retries with backoff, while
 * orders keep being accepted.
 *
 * Nothing blocks the outbox: a change the bus refuses for good (too large or invalid; see
 * `MessageRejectedError`) is parked, not retried: its row is marked (`parked_at`, `park_reason`),
 * counted (`ordercast_outbox_parked_total`), logged with its order and reason, listed for
 * operators, and the relay moves on to the next row. For that order it means a change its
 * receivers never get: its later changes are still published, in order, so receivers see a gap in
 * the order's `sequence` (and `previous` of the next event is not the `order` of the last one
 * they saw). The byte budget of orders keeps this to changes that got past it (an order stored
 * before it, a topic configured below `KAFKA_MAX_MESSAGE_BYTES`).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running: Promise<void> = Promise.resolve();
  private stopping = false;
  private interruptPause: (() => void) | null = null;
  private topicsReady = false;
  private lastPurge = Date.now();
  /** The connection holding the relay lock, while this instance is the relay. */
  private connection: PoolClient | null = null;
  /** Published, not yet marked: marked by the next claim, or at stop. */
  private unmarked: Unmarked | null = null;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly signal: OutboxSignal,
    private readonly config: OrderServiceConfig,
    private readonly metrics: OutboxMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.run();
  }

  /** Runs before the database and the bus close: the batch in hand is published and marked first. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.signal.notify();
    this.interruptPause?.();
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      await this.relayUntilStopped();
    } finally {
      this.dropConnection();
    }
  }

  private async relayUntilStopped(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const started = Date.now();
      const outcome = await this.relayBatch().catch((error: unknown): BatchOutcome => ({ kind: 'failed', error }));
      if (outcome.kind === 'failed') {
        failures += 1;
        const retryInMs = backoffDelay(failures);
        this.logger.warn({ msg: 'outbox relay could not publish; retrying', error: errorMessage(outcome.error), failures, retryInMs });
        await this.pause(retryInMs);
        continue;
      }
      if (failures > 0) this.logger.log({ msg: 'outbox relay publishing again', after: failures });
      failures = 0;
      const backlog = outcome.kind === 'published' && outcome.count === RELAY_BATCH_SIZE;
      if (outcome.kind === 'standby') {
        await this.pause(this.config.outboxPollMs);
      } else if (!backlog) {
        await this.signal.wait(this.config.outboxPollMs);
        // Under load every commit wakes the relay; gathering commits for a few milliseconds keeps
        // its cost to one small transaction per interval instead of one per change.
        await this.pause(this.config.outboxBatchIntervalMs - (Date.now() - started));
      }
      await this.purgeIfDue();
    }
    await this.markUnmarked();
  }

  private async relayBatch(): Promise<BatchOutcome> {
    if (!this.topicsReady) {
      await this.bus.ensureTopics([ORDER_EVENTS_TOPIC]);
      this.topicsReady = true;
    }
    const connection = await this.relayConnection();
    if (!connection) {
      // Another instance is the relay now and publishes these rows again (at-least-once).
      this.unmarked = null;
      return { kind: 'standby' };
    }
    try {
      const marking = this.unmarked;
      const { rows } = await connection.query<OutboxRow>({ ...CLAIM, values: [marking?.ids ?? [], msSince(marking)] });
      if (this.unmarked === marking) this.unmarked = null;
      if (rows.length === 0) return { kind: 'idle' };
      const spans = startPublishSpans('order-service', rows);
      const { sent, parked, failure } = await this.publish(rows, spans);
      const ackedAt = Date.now();
      endPublishSpans(spans, { sent, refused: parked.map(({ row, reason }) => ({ id: row.id, reason })), failure: failure === null ? null : errorMessage(failure) });
      // More changes already committed (or a full batch): the next claim comes within
      // OUTBOX_BATCH_INTERVAL_MS and marks these with it. Otherwise they are marked now.
      const more = rows.length === RELAY_BATCH_SIZE || this.signal.pending;
      if (failure === null && parked.length === 0 && more && !this.stopping) {
        this.unmarked = { ids: sent, ackedAt };
      } else if (sent.length > 0) {
        await connection.query({ ...MARK_SENT, values: [sent, msSince({ ackedAt })] });
      }
      if (parked.length > 0) await this.park(connection, parked);
      if (failure !== null) {
        const done = new Set([...sent, ...parked.map(({ row }) => row.id)]);
        await connection.query({ ...COUNT_FAILED, values: [rows.filter((row) => !done.has(row.id)).map((row) => row.id)] });
        return { kind: 'failed', error: failure };
      }
      return { kind: 'published', count: rows.length };
    } catch (error) {
      // The connection may be broken, and with it the lock: start over on a fresh one.
      this.dropConnection();
      throw error;
    }
  }

  /** At stop: marks what the next claim would have marked, so a clean stop republishes nothing. */
  private async markUnmarked(): Promise<void> {
    const { unmarked, connection } = this;
    if (!unmarked || !connection) return;
    this.unmarked = null;
    try {
      await connection.query({ ...MARK_SENT, values: [unmarked.ids, msSince(unmarked)] });
    } catch (error) {
      this.logger.warn({ msg: 'outbox relay could not mark published changes at stop; they will be published again', changes: unmarked.ids.length, error: errorMessage(error) });
    }
  }

  /**
   * The connection holding the relay lock, or null while another instance holds it. Taken from
   * the pool and never given back while it holds the lock (closed instead), so no request ever
   * runs on a connection holding it.
   *
   * Every published row leaves a dead entry at the head of `outbox_unsent` until vacuum comes.
   * A plain index scan marks each one dead in the index the first time it meets it and skips it
   * afterwards; the bitmap scan the planner prefers visits every one of their heap pages on
   * every batch (5.4 against 0.03 ms with 1,360 dead entries, measured), and ever more pages the
   * faster orders come in. So bitmap scans are off on this connection.
   *
   * Its commits are asynchronous (`synchronous_commit = off`): it writes only marks (sent, parked,
   * attempts), and a mark PostgreSQL loses in a crash of its own (the last fraction of a second) only
   * means those rows are published again, which at-least-once allows. A claim that marked the last
   * batch then no longer waits for the WAL flush before the next batch can go out: at 200 changes/s
   * that wait was on the path of every change.
   */
  private async relayConnection(): Promise<PoolClient | null> {
    if (this.connection) return this.connection;
    const connection = await poolOf(this.dataSource).connect();
    try {
      const { rows } = await connection.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [RELAY_LOCK_KEY]);
      if (!rows[0].locked) {
        connection.release();
        return null;
      }
      await connection.query('SET enable_bitmapscan = off; SET synchronous_commit = off');
    } catch (error) {
      connection.release(true);
      throw error;
    }
    // An idle pooled connection that breaks emits 'error'; without a listener that would crash the process.
    connection.on('error', (error) => this.logger.warn({ msg: 'outbox relay connection failed', error: error.message }));
    this.connection = connection;
    return connection;
  }

  /** Closes the relay's connection, which releases the lock. */
  private dropConnection(): void {
    this.connection?.release(true);
    this.connection = null;
  }

  /**
   * Publishes in order, one call per run of rows with the same topic, split further so no call
   * carries more than {@link MAX_PUBLISH_BYTES}: Kafka refuses record batches above its
   * message.max.bytes (1 MB by default). When the bus refuses a call for good, its rows are
   * published one by one, so only the row it refuses alone is parked; Kafka may have appended
   * some of them already with the refused call (the other partitions of its request), so they
   * can arrive twice, as after any failure (at-least-once). A transient failure stops the batch
   * where it is. Each message carries the trace context of its producer span, if tracing is on.
   */
  private async publish(rows: OutboxRow[], spans: PublishSpans): Promise<PublishOutcome> {
    const outcome: PublishOutcome = { sent: [], parked: [], failure: null };
    for (const chunk of chunksOf(rows, spans)) {
      try {
        await this.bus.publish(chunk.topic, chunk.messages.map(({ message }) => message));
        outcome.sent.push(...chunk.messages.map(({ row }) => row.id));
        continue;
      } catch (error) {
        if (!(error instanceof MessageRejectedError)) return { ...outcome, failure: error };
        if (chunk.messages.length === 1) {
          outcome.parked.push(parkedRow(chunk.messages[0], error));
          continue;
        }
      }
      for (const one of chunk.messages) {
        try {
          await this.bus.publish(chunk.topic, [one.message]);
          outcome.sent.push(one.row.id);
        } catch (error) {
          if (!(error instanceof MessageRejectedError)) return { ...outcome, failure: error };
          outcome.parked.push(parkedRow(one, error));
        }
      }
    }
    return outcome;
  }

  private async park(connection: PoolClient, parked: ParkedRow[]): Promise<void> {
    await connection.query({ ...MARK_PARKED, values: [parked.map(({ row }) => row.id), parked.map(({ reason }) => reason)] });
    for (const { row, reason, bytes } of parked) {
      this.metrics.parkedTotal.inc({ reason });
      this.logger.error({
        msg: 'outbox relay parked a change the event bus refuses for good; the order\'s later changes are still published',
        changeId: row.id, orderId: row.key, merchant: merchantOf(row), type: row.type, reason, bytes,
      });
    }
  }

  /**
   * Published rows are kept for a while to help investigations, then deleted; so are
   * Idempotency-Keys past their 24 hours. Every instance purges, outside the relay lock: the
   * deletes are idempotent and short.
   */
  private async purgeIfDue(): Promise<void> {
    if (Date.now() - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = Date.now();
    try {
      // The retention written in (sqlInteger): a plan for it finds nothing to delete through the BRIN index on created_at.
      await this.dataSource.query(
        `DELETE FROM orders.outbox WHERE sent_at IS NOT NULL AND created_at < now() - ${sqlInteger(Math.round(this.config.outboxRetentionMs))} * interval '1 millisecond'`,
      );
    } catch (error) {
      this.logger.warn({ msg: 'could not purge published outbox rows', error: errorMessage(error) });
    }
    await purgeExpiredIdempotencyKeys(this.dataSource).catch((error: unknown) => {
      this.logger.warn({ msg: 'could not purge expired idempotency keys', error: errorMessage(error) });
    });
  }

  /** Sleeps without reacting to new commits (they cannot help while the bus is failing); shutdown ends it. */
  private pause(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.interruptPause = done;
    });
  }
}

interface Chunk {
  topic: string;
  messages: { row: OutboxRow; message: OutgoingMessage }[];
}

/**
 * Runs of rows with the same topic, of at most {@link MAX_PUBLISH_BYTES} each (a larger row alone),
 * made one at a time as the relay publishes them, so a batch is never in memory twice over.
 */
function* chunksOf(rows: OutboxRow[], spans: PublishSpans): Generator<Chunk> {
  let current: Chunk | null = null;
  let bytes = 0;
  for (const row of rows) {
    const message = toMessage(row, spans.get(row.id)?.headers);
    const size = Buffer.byteLength(message.value);
    if (current && (row.topic !== current.topic || bytes + size > MAX_PUBLISH_BYTES)) {
      yield current;
      current = null;
    }
    if (!current) {
      current = { topic: row.topic, messages: [] };
      bytes = 0;
    }
    current.messages.push({ row, message });
    bytes += size;
  }
  if (current) yield current;
}

function parkedRow({ row, message }: Chunk['messages'][number], error: MessageRejectedError): ParkedRow {
  return { row, reason: error.reason, bytes: Buffer.byteLength(message.value) };
}

/**
 * The event as stored: registration header values, secrets and URL credentials stay sealed on the
 * bus too (notification-service shares the key), so neither the broker's disks nor anyone who can
 * read the topic sees them.
 */
function toMessage(row: OutboxRow, trace: TraceHeaders | undefined): OutgoingMessage {
  return { key: row.key, value: row.payload, headers: { 'content-type': 'application/json', 'event-type': row.type, ...trace } };
}

/** For the log line of a parked row (rare): the one place the relay reads into an event. */
function merchantOf(row: OutboxRow): string | null {
  try {
    return (JSON.parse(row.payload) as Partial<OrderChangeEvent>).merchant ?? null;
  } catch {
    return null;
  }
}

/** Milliseconds since the bus acknowledged the rows (0 when there are none). */
function msSince(unmarked: Pick<Unmarked, 'ackedAt'> | null): number {
  return unmarked ? Math.max(0, Date.now() - unmarked.ackedAt) : 0;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
