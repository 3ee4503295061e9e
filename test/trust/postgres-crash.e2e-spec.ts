import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import request from 'supertest';
import { freePort } from '../harness/kafka-broker';
import { withClient } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { untilQuiet } from '../support/quiet';
import { RecordingSink } from './support/recording-sink';
import {
  ALPHA, connect, eventually, hook, inBatches, InProcessService, ORDERS, sleep, startNotificationService, startOrderService, topicPrefix,
} from './support/services';

jest.setTimeout(120_000);

const execFileAsync = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';
const ORDER_COUNT = 40;
const SINGLE_WRITER_ORDERS = 10;
const STATES = ['processing', 'accepted'];
/** The creation (state.checkout) and both changes: three deliveries per order. */
const SCOPES = ['checkout', ...STATES];
const DOWN_MS = 1500;
const LEASE_MS = 3000;

/**
 * A PostgreSQL server of the suite's own (PostgreSQL 15 from /usr/lib/postgresql/15/bin, run as the
 * `postgres` OS user) that the test crashes. Two writes commit asynchronously (`synchronous_commit = off`):
 * the outbox relay's marks (sent, parked) and notification-service's per-batch ingest attempt counts.
 * The server is crashed twice with an immediate shutdown (SIGQUIT to the postmaster, what
 * `pg_ctl stop -m immediate` sends): no checkpoint, and whatever WAL was still in its buffers is gone,
 * including the last asynchronous commits (the WAL writer writes them only every `wal_writer_delay`,
 * widened to 1 s here). Each crash is timed for a moment when the relay has just marked rows sent and
 * their WAL is not written yet, once in a burst of 8 writers and once under a single writer; the server
 * recovers from its WAL when started again on the same port. The writers retry through the crashes with
 * their Idempotency-Key, so every change is committed exactly once.
 *
 * Proven: no change is lost (every expected order and scope reaches the receiver), no change is sent as
 * two different messages (one webhook-id per order and scope; a repeat of the same id is allowed), each
 * change and scope has one message with a succeeded Event, nothing is parked and no outbox row is left unsent.
 */
describe('crash of PostgreSQL itself mid-burst (immediate shutdown, lost asynchronous commits, real PostgreSQL 15, real Kafka)', () => {
  let dataDir = '';
  let workDir = '';
  let port = 0;
  let serverUrl = '';
  let dbUrl = '';
  let sql: Client | undefined;
  let sink: RecordingSink;
  let orders: InProcessService | undefined;
  let notifications: InProcessService | undefined;

  /** Runs a PostgreSQL binary as the `postgres` OS user (PostgreSQL refuses to run as root). */
  const asPostgres = (binary: string, args: string[], timeout = 60_000) =>
    execFileAsync('runuser', ['-u', 'postgres', '--', join(PG_BIN, binary), ...args], { cwd: workDir, timeout, maxBuffer: 16 * 1024 * 1024 });
  const serverLog = () => (existsSync(join(workDir, 'server.log')) ? readFileSync(join(workDir, 'server.log'), 'utf8') : '');

  const startServer = async () => {
    const options = [
      `-p ${port}`, `-c listen_addresses=127.0.0.1`, `-c unix_socket_directories=${workDir}`, '-c max_connections=100',
      // Durable across a crash of the server (not of the machine): fsync stays on as in production.
      '-c fsync=on', '-c synchronous_commit=on', '-c wal_writer_delay=1000ms',
    ].join(' ');
    try {
      await asPostgres('pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(workDir, 'server.log'), '-o', options]);
    } catch (error) {
      throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${serverLog().split('\n').slice(-30).join('\n')}`);
    }
  };

  /**
   * Immediate shutdown, what `pg_ctl stop -m immediate` does: SIGQUIT to the postmaster, whose processes all quit at
   * once without a checkpoint or a last WAL write, so recovery runs at the next start. Sent directly rather than
   * through pg_ctl (a fork and exec of runuser, tens of milliseconds) so the WAL seen unwritten is still unwritten.
   * This waits until the postmaster sent SIGQUIT is gone.
   */
  const crashed = async (pid: number): Promise<void> => {
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 15_000, () => `postmaster ${pid} still running after SIGQUIT`, 10);
    // The postmaster waits for its children before it exits and removes its pid file last, as pg_ctl stop -w waits for.
    await eventually(() => !existsSync(join(dataDir, 'postmaster.pid')), 15_000, () => 'postmaster.pid still there after the crash', 10);
  };

  beforeAll(async () => {
    for (const binary of ['initdb', 'pg_ctl', 'postgres']) {
      if (!existsSync(join(PG_BIN, binary))) {
        throw new Error(`${join(PG_BIN, binary)} is missing: this suite crashes a PostgreSQL 15 server of its own and needs its binaries (apt-get install postgresql-15)`);
      }
    }
    const { stdout: uid } = await execFileAsync('id', ['-u', 'postgres']).catch(() => ({ stdout: '' }));
    const { stdout: gid } = await execFileAsync('id', ['-g', 'postgres']).catch(() => ({ stdout: '' }));
    if (!uid.trim()) throw new Error('there is no `postgres` OS user to run the PostgreSQL server of this suite as');
    workDir = await mkdtemp(join(tmpdir(), 'ordercast-pg-crash-'));
    await chown(workDir, Number(uid), Number(gid));
    dataDir = join(workDir, 'data');
    await asPostgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-instructions']);
    port = await freePort();
    await startServer();
    serverUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await withClient(serverUrl, (client) => client.query('CREATE DATABASE ordercast'));
    dbUrl = `postgres://postgres@127.0.0.1:${port}/ordercast`;

    sink = await RecordingSink.start();
    const env = { DATABASE_URL: dbUrl, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('pgcrash') };
    orders = await startOrderService(env);
    // A row leased just before the crash that its (live) dispatcher then lost track of stays leased until the lease
    // runs out: 120 s by default, longer than this suite waits. database-outage sets the same short lease for the same reason.
    notifications = await startNotificationService({ ...env, LEASE_MS: String(LEASE_MS), DISPATCH_POLL_MS: '250' });
  });

  afterAll(async () => {
    await notifications?.close().catch(() => undefined);
    await orders?.close().catch(() => undefined);
    await sink?.close();
    await sql?.end().catch(() => undefined);
    if (dataDir && existsSync(join(dataDir, 'postmaster.pid'))) await asPostgres('pg_ctl', ['stop', '-m', 'fast', '-w', '-D', dataDir]).catch(() => undefined);
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /** Sends a write until it is answered 2xx, through the crash: the same Idempotency-Key makes a retry a replay, never a second change. */
  let retriedWrites = 0;
  async function write(method: 'post' | 'put', path: string, key: string, body: unknown): Promise<{ id: string }> {
    for (let attempt = 0; ; attempt++) {
      if (attempt === 1) retriedWrites++;
      const response = await request(orders!.http)[method](path)
        .set({ ...ALPHA, 'x-channel': 'web', 'idempotency-key': key })
        .send(body as object)
        .then((r) => r, () => null);
      if (response && response.status >= 200 && response.status < 300) return response.body as { id: string };
      if (response && response.status < 500 && response.status !== 409) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
      await sleep(100);
    }
  }

  const arrived = () => sink.webhookIdsByDelivery('/pg-crash');

  /**
   * Crashes the server at the first moment, within `withinMs`, when the relay has just marked outbox rows sent and the
   * WAL holding those marks is provably not written yet: the write position has not passed where WAL insertion stood
   * at the previous look, before those marks were visible (asynchronous commits are visible before their WAL is
   * written). An immediate shutdown throws exactly that WAL away. Crashes anyway when no such moment came. Then starts
   * the server again after DOWN_MS and logs which marks the crash took (a mark seen here and missing after recovery).
   */
  async function crashAtFreshMark(label: string, withinMs: number): Promise<{ caught: boolean; lostMarks: number }> {
    type Look = { inserted: string; written: string; behind: boolean; sent: string[]; attempts: string[] };
    const watcher = await connect(dbUrl);
    watcher.on('error', () => undefined);
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    let previous = null as Look | null;
    let seen: Look & { fresh: string[] };
    for (const deadline = Date.now() + withinMs; ;) {
      const { rows: [look] }: { rows: Look[] } = await watcher.query<Look>(
        `SELECT pg_current_wal_insert_lsn()::text AS inserted, pg_current_wal_lsn()::text AS written,
                pg_current_wal_lsn() <= coalesce($1::pg_lsn, '0/0') AS behind,
                coalesce((SELECT array_agg(id::text) FROM orders.outbox WHERE sent_at IS NOT NULL), '{}') AS sent,
                coalesce((SELECT array_agg(change_id) FROM notifications.ingest_attempts), '{}') AS attempts`, [previous?.inserted ?? null]);
      const earlier: string[] = previous?.sent ?? look.sent;
      const fresh = look.sent.filter((id: string) => !earlier.includes(id));
      if ((fresh.length > 0 && look.behind) || Date.now() > deadline) {
        // At once, before anything else runs here: every millisecond lets another session's synchronous commit flush them.
        process.kill(pid, 'SIGQUIT');
        seen = { ...look, fresh };
        break;
      }
      previous = look;
    }
    await watcher.end().catch(() => undefined);
    await crashed(pid);
    await sleep(DOWN_MS);
    await startServer();
    const survived = await withClient(dbUrl, async (client) => {
      const { rows: sent } = await client.query<{ id: string }>('SELECT id::text FROM orders.outbox WHERE id = ANY($1::uuid[]) AND sent_at IS NOT NULL', [seen.sent]);
      const { rows: attempts } = await client.query<{ change_id: string }>('SELECT change_id FROM notifications.ingest_attempts WHERE change_id = ANY($1::text[])', [seen.attempts]);
      return { sent: new Set(sent.map((r) => r.id)), attempts: attempts.length };
    });
    const lostMarks = seen.sent.filter((id) => !survived.sent.has(id));
    const caught = seen.fresh.length > 0 && seen.behind;
    const redo = serverLog().split('\n').filter((line) => /redo done/.test(line)).pop()?.replace(/.*(redo done at \S+).*/, '$1');
    console.log(`postgres-crash ${label}: ${caught ? `crashed just after ${seen.fresh.length} fresh unwritten outbox marks` : 'no fresh unwritten mark caught'} ` +
      `(WAL inserted ${seen.inserted}, written ${seen.written}; recovery: ${redo}); outbox marks seen before/kept after: ${seen.sent.length}/${survived.sent.size} ` +
      `(${lostMarks.length} lost: ${lostMarks.join(', ') || 'none'}); ingest attempt rows seen before/kept after: ${seen.attempts.length}/${survived.attempts}`);
    return { caught, lostMarks: lostMarks.length };
  }

  /** Creates orders and moves each through STATES, `concurrency` writers at a time; resolves with the order ids. */
  function burst(name: string, count: number, concurrency: number, registration: Record<string, unknown>): Promise<string[]> {
    return inBatches([...Array(count).keys()], concurrency, async (index) => {
      const order = await write('post', ORDERS, `${name}-create-${index}`, {
        reference: `${name}-${index}`, currency: 'SEK', cart: { items: [{ reference: 'sku-1', name: 'Mug', quantity: 1, unitPrice: 100 }], total: 100 }, notifications: [registration],
      });
      for (const state of STATES) await write('put', `${ORDERS}/${order.id}/state`, `${name}-${state}-${index}`, { currentStatus: state });
      return order.id;
    });
  }

  it('loses no change and sends none as two messages when PostgreSQL crashes and recovers', async () => {
    const registration = hook(sink.url('/pg-crash'), { state: SCOPES });

    // 1. Crash while changes are being written by 8 writers, relayed, ingested and delivered.
    const first = burst('busy', ORDER_COUNT, 8, registration);
    await sink.until(() => sink.requests.length >= 10, 60_000, () => `${sink.requests.length} requests before the crash`);
    const busy = await crashAtFreshMark('mid-burst', 5000);
    const busyIds = await first;
    const busyRetries = retriedWrites;
    console.log(`postgres-crash mid-burst: ${busyRetries} writers retried through the crash`);

    // 2. Crash again while (or just after) one writer changes a few orders: with fewer synchronous commits around them
    //    the relay's asynchronous marks are more often the newest WAL, which the crash then takes (the log shows how many).
    const second = burst('single', SINGLE_WRITER_ORDERS, 1, registration);
    const single = await crashAtFreshMark('single-writer', 5000);
    const singleIds = await second;
    console.log(`postgres-crash single-writer: ${retriedWrites - busyRetries} writers retried through the crash`);
    console.log(`postgres-crash: fresh unwritten marks caught ${[busy, single].filter((c) => c.caught).length} of 2 crashes, ` +
      `${busy.lostMarks + single.lostMarks} sent marks lost in all`);

    const orderIds = [...busyIds, ...singleIds];
    expect(new Set(orderIds).size).toBe(ORDER_COUNT + SINGLE_WRITER_ORDERS);
    const expected = orderIds.flatMap((orderId) => SCOPES.map((state) => `${orderId} state.${state}`));
    const missing = () => expected.filter((pair) => !arrived().has(pair));
    sql = await connect(dbUrl);
    const status = async () => {
      const { rows } = await sql!.query(`SELECT
        (SELECT count(*)::int FROM orders.outbox WHERE sent_at IS NULL) AS unsent,
        (SELECT count(*)::int FROM notifications.parked_changes) AS parked,
        (SELECT count(*)::int FROM notifications.messages) AS messages,
        (SELECT json_agg(json_build_object('status', status, 'n', n)) FROM (SELECT status, count(*)::int AS n FROM notifications.events GROUP BY status) s) AS events`);
      const gone = missing().slice(0, 5);
      const { rows: pending } = await sql!.query(
        `SELECT e.order_id, e.scope, e.message_id, e.attempt, e.status, e.created_at, e.next_attempt_at, e.lease_until, now() AS now
         FROM notifications.events e WHERE e.order_id || ' ' || e.scope = ANY($1::text[]) OR e.status = 'pending' ORDER BY e.created_at`, [gone]);
      const { rows: instances } = await sql!.query('SELECT * FROM notifications.dispatch_instances');
      const got = sink.received('/pg-crash').filter((r) => gone.some((pair) => pair.startsWith((JSON.parse(r.body) as { orderId: string }).orderId)))
        .map((r) => ({ body: JSON.parse(r.body), webhookId: r.webhookId, status: r.answeredStatus }));
      return `${missing().length} of ${expected.length} deliveries missing (${gone.join(', ')}); database: ${JSON.stringify(rows[0])}; ` +
        `their events: ${JSON.stringify(pending)}; dispatch instances: ${JSON.stringify(instances)}; the sink got for these orders: ${JSON.stringify(got)}`;
    };
    await eventually(() => missing().length === 0, 60_000, status, 250);
    await untilQuiet(sql);

    const pairs = arrived();
    expect([...pairs.keys()].sort()).toEqual([...expected].sort());
    // At-least-once: a delivery may have been repeated, but always as the same message.
    const split = [...pairs.entries()].filter(([, ids]) => ids.size !== 1).map(([pair, ids]) => `${pair}: ${[...ids].join(', ')}`);
    expect(split).toEqual([]);
    expect(sink.overlaps).toEqual([]);

    // One message per change and scope, each with a succeeded Event; nothing parked, nothing left unsent.
    const { rows: messages } = await sql.query<{ pair: string; n: number }>(
      `SELECT order_id || ' ' || scope AS pair, count(*)::int AS n FROM notifications.messages GROUP BY 1 ORDER BY 1`);
    expect(messages.filter((m) => m.n !== 1)).toEqual([]);
    expect(messages.map((m) => m.pair).sort()).toEqual([...expected].sort());
    const { rows: [events] } = await sql.query<{ messages: number; succeeded: number; other: string[] }>(
      `SELECT count(*)::int AS messages,
              count(*) FILTER (WHERE EXISTS (SELECT 1 FROM notifications.events e WHERE e.message_id = m.id AND e.status = 'succeeded'))::int AS succeeded,
              coalesce(array_agg(m.order_id || ' ' || m.scope) FILTER (WHERE NOT EXISTS (SELECT 1 FROM notifications.events e WHERE e.message_id = m.id AND e.status = 'succeeded')), '{}') AS other
       FROM notifications.messages m`);
    expect(events).toEqual({ messages: expected.length, succeeded: expected.length, other: [] });
    const [{ unsent }] = (await sql.query<{ unsent: number }>('SELECT count(*)::int AS unsent FROM orders.outbox WHERE sent_at IS NULL')).rows;
    expect(unsent).toBe(0);
    const [{ parked }] = (await sql.query<{ parked: number }>('SELECT count(*)::int AS parked FROM notifications.parked_changes')).rows;
    expect(parked).toBe(0);

    const repeated = sink.received('/pg-crash').length - expected.length;
    const byStatus = (await sql.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM notifications.events GROUP BY 1 ORDER BY 1`)).rows;
    console.log(`postgres-crash: ${sink.received('/pg-crash').length} requests for ${expected.length} deliveries, ${repeated} repeated; events ${JSON.stringify(byStatus)}`);
  });
});
