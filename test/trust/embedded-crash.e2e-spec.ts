import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from 'pg';
import { freePort } from '../harness/kafka-broker';
import { createTestDatabase, TestDatabase } from '../support/database';
import { untilQuiet } from '../support/quiet';
import { RecordingSink } from './support/recording-sink';
import { ensureBuilt } from './support/service-process';
import { ALPHA, connect, hook, inBatches, ORDERS, sleep } from './support/services';

jest.setTimeout(180_000);

const ROOT = resolve(__dirname, '..', '..');
const ORDER_COUNT = 150;
const STATES = ['processing', 'accepted'];

/**
 * `npm start`'s one process (both services, the in-process bus) is killed with SIGKILL in the middle
 * of a burst of order changes and started again; the writers retry through the outage with their
 * Idempotency-Key, so every change is committed once. Every committed change still reaches its
 * receiver: the bus acknowledges a change to the outbox only once ingest committed it, so what the
 * kill took from memory is still unsent in the outbox and published again.
 */
describe('crash of npm start (both services and the in-process bus in one process) mid-burst (real process, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let child: ChildProcess | null = null;
  let orderUrl = '';
  let logFile = '';
  const env: NodeJS.ProcessEnv = { ...process.env };

  /** Starts npm start's process and waits until both services answer; or, with `killAtOrderService`, kills it the moment order-service does. */
  const launch = async ({ killAtOrderService = false } = {}) => {
    const log = openSync(logFile, 'a');
    child = spawn(process.execPath, ['-r', './scripts/paths.js', 'dist/scripts/start.js'], { cwd: ROOT, env, stdio: ['ignore', log, log] });
    closeSync(log);
    const notificationUrl = `http://127.0.0.1:${env.NOTIFICATION_SERVICE_PORT}`;
    const urls = killAtOrderService ? [orderUrl] : [orderUrl, notificationUrl];
    for (const deadline = Date.now() + 60_000; ; await sleep(killAtOrderService ? 5 : 100)) {
      if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${readFileSync(logFile, 'utf8').slice(-3000)}`);
      const up = await Promise.all(urls.map((url) => fetch(`${url}/health`).then((r) => r.ok, () => false)));
      if (!up.every(Boolean)) continue;
      if (killAtOrderService) await kill();
      return;
    }
  };
  const kill = async () => {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await RecordingSink.start();
    const [orderPort, notificationPort] = [await freePort(), await freePort()];
    orderUrl = `http://127.0.0.1:${orderPort}`;
    logFile = join(mkdtempSync(join(tmpdir(), 'ordercast-embedded-crash-')), 'npm-start.log');
    // The in-process bus: no broker, whatever the integration project started.
    delete env.KAFKA_BROKERS;
    Object.assign(env, {
      DATABASE_URL: db.url, ORDER_SERVICE_PORT: String(orderPort), NOTIFICATION_SERVICE_PORT: String(notificationPort),
      API_TOKENS: 'alpha:alpha-token-1', ALLOW_PRIVATE_TARGETS: 'true', LOG_LEVEL: 'warn', LOG_FORMAT: 'json',
    });
    await launch();
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  /** Sends a write until it is answered 2xx, through the outage: the same Idempotency-Key makes a retry a replay, never a second change. */
  async function write(method: string, path: string, key: string, body: unknown): Promise<{ id: string }> {
    for (;;) {
      try {
        const response = await fetch(`${orderUrl}${path}`, {
          method, body: JSON.stringify(body), headers: { ...ALPHA, 'x-channel': 'web', 'content-type': 'application/json', 'idempotency-key': key },
        });
        if (response.ok) return (await response.json()) as { id: string };
        if (response.status < 500 && response.status !== 409) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith(method)) throw error;
      }
      await sleep(100);
    }
  }

  /**
   * A burst of order changes through a SIGKILL and restart; `secondKill` kills the restarting process
   * again the moment order-service answers, the window in which ingest may not be subscribed yet.
   */
  async function crashMidBurst(path: string, secondKill: boolean): Promise<void> {
    const orderIds: string[] = [];
    const registration = hook(sink.url(path), { state: STATES });
    const burst = inBatches([...Array(ORDER_COUNT).keys()], 8, async (index) => {
      const order = await write('POST', ORDERS, `${path}-create-${index}`, {
        reference: `crash-${index}`, currency: 'SEK', cart: { items: [{ reference: 'sku-1', name: 'Mug', quantity: 1, unitPrice: 100 }], total: 100 }, notifications: [registration],
      });
      orderIds.push(order.id);
      for (const state of STATES) await write('PUT', `${ORDERS}/${order.id}/state`, `${path}-${state}-${index}`, { currentStatus: state });
    });

    const arrived = () => sink.webhookIdsByDelivery(path);
    await sink.until(() => arrived().size >= 60, 60_000, () => `${arrived().size} deliveries before the kill`);
    await kill();
    if (secondKill) await launch({ killAtOrderService: true });
    await launch();
    await burst;
    expect(orderIds).toHaveLength(ORDER_COUNT);

    const expected = orderIds.flatMap((orderId) => STATES.map((state) => `${orderId} state.${state}`));
    const missing = () => expected.filter((pair) => !arrived().has(pair));
    await sink.until(() => missing().length === 0, 90_000, () => `${missing().length} of ${expected.length} deliveries missing`, 250);
    await untilQuiet(sql);

    // One message per change: a change published again after the restart created nothing new.
    expect([...arrived().values()].filter((ids) => ids.size !== 1)).toEqual([]);
    const { rows } = await sql.query<{ unsent: number }>('SELECT count(*)::int AS unsent FROM orders.outbox WHERE sent_at IS NULL');
    expect(rows[0].unsent).toBe(0);
    console.log(`embedded-crash${secondKill ? ' (twice)' : ''}: ${sink.requests.length} requests so far, ${expected.length} deliveries of this burst`);
  }

  it('delivers every committed change after a SIGKILL and restart', () => crashMidBurst('/embedded', false));

  it('delivers every committed change when a second SIGKILL hits the restart as soon as order-service answers', () => crashMidBurst('/embedded-twice', true));
});
