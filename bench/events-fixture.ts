/**
 * Fills notification-service's tables with synthetic history for the events-query workload: messages (one per
 * delivery) and events (one per attempt; every tenth delivery failed once and succeeded on its retry), spread
 * over 30 days and over orders of about ten events each, all of the bench merchant.
 *
 * The column list is read from the database: known columns get realistic values, an unknown NOT NULL column
 * without a default gets a neutral value of its type, so a migration that adds a column does not break this.
 */
import { cpus } from 'node:os';
import { Client } from 'pg';

const SCHEMA = 'notifications';
/** Deliveries per order. */
const MESSAGES_PER_ORDER = 9;
const CHUNK_MESSAGES = 100_000;

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

async function columns(client: Client, table: string): Promise<Column[]> {
  const { rows } = await client.query<{ column_name: string; data_type: string; is_nullable: string; column_default: string | null }>(
    `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [SCHEMA, table],
  );
  if (rows.length === 0) throw new Error(`table ${SCHEMA}.${table} not found: has notification-service run its migrations?`);
  return rows.map((row) => ({ name: row.column_name, type: row.data_type, nullable: row.is_nullable === 'YES', hasDefault: row.column_default !== null }));
}

function neutral(type: string): string {
  if (type === 'uuid') return 'gen_random_uuid()';
  if (type === 'integer' || type === 'bigint' || type === 'smallint' || type === 'numeric') return '0';
  if (type === 'boolean') return 'false';
  if (type === 'json' || type === 'jsonb') return `'{}'`;
  if (type.startsWith('timestamp')) return 'now()';
  if (type === 'ARRAY') return `'{}'`;
  return `''`;
}

/** `INSERT INTO table (cols) SELECT exprs FROM source` using `known` where the table has the column. */
function insertSql(table: string, tableColumns: Column[], known: Record<string, string>, source: string): string {
  const chosen = tableColumns.filter((column) => column.name in known || (!column.nullable && !column.hasDefault));
  const names = chosen.map((column) => `"${column.name}"`).join(', ');
  const values = chosen.map((column) => known[column.name] ?? neutral(column.type)).join(',\n       ');
  return `INSERT INTO "${SCHEMA}"."${table}" (${names})\nSELECT ${values}\n  ${source}`;
}

/** Indexes that back no constraint (those can be dropped and rebuilt without touching the table's definition). */
async function secondaryIndexes(client: Client, tables: string[]): Promise<Array<{ name: string; definition: string }>> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class t ON t.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = $1 AND t.relname = ANY($2)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)`,
    [SCHEMA, tables],
  );
  return rows;
}

/** Runs `work` over `items` on one connection per core (PostgreSQL is CPU-bound here). */
async function inParallel<T>(databaseUrl: string, items: T[], work: (client: Client, item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.max(1, Math.min(cpus().length, items.length)) }, async () => {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(`SET synchronous_commit = off; SET session_replication_role = replica; SET maintenance_work_mem = '256MB'`);
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(client, item);
    } finally {
      await client.end();
    }
  });
  await Promise.all(workers);
}

export interface FixtureResult {
  events: number;
  messages: number;
  seconds: number;
}

/**
 * Inserts enough messages that, with one retry per ten, the events table gains at least `eventRows` rows.
 * `bodyBytes` pads each message body (real bodies carry the order snapshot, a few KB).
 */
export async function insertSyntheticEvents(
  databaseUrl: string,
  merchant: string,
  eventRows: number,
  bodyBytes: number,
  onProgress: (done: number, total: number) => void,
): Promise<FixtureResult> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const started = Date.now();
  try {
    const messageColumns = await columns(client, 'messages');
    const eventColumns = await columns(client, 'events');
    const messages = Math.ceil((eventRows * 10) / 11);
    const padding = 'x'.repeat(Math.max(0, bodyBytes - 220));
    // m: message number; o: its order; created: spread over 30 days, older for lower numbers.
    const orderId = `md5('bench-order-' || (m / ${MESSAGES_PER_ORDER}))::uuid::text`;
    const scope = `(ARRAY['state.processing','state.accepted','state.completed','payment.authorized','payment.captured','shipping.processing','shipping.confirmed','state.processing','payment.authorized'])[1 + m % ${MESSAGES_PER_ORDER}]`;
    const created = `now() - interval '30 days' + (m::double precision / ${messages}) * interval '30 days'`;
    const messageValues: Record<string, string> = {
      id: `md5('bench-message-' || m)::uuid`,
      merchant: `'${merchant}'`,
      order_id: orderId,
      change_id: `md5('bench-change-' || m)::uuid::text`,
      target_id: `'registration-' || (m % 3)`,
      scope,
      delivery: `'webhook'`,
      url: `'https://erp.example.com/orders/' || ${orderId}`,
      method: `'POST'`,
      headers: `'{}'`,
      body: `json_build_object('id', md5('bench-message-' || m)::uuid, 'type', 'order.state.changed', 'scope', ${scope}, 'orderId', ${orderId}, 'merchant', '${merchant}', 'channel', 'bench', 'padding', '${padding}')`,
      created_at: created,
    };
    const eventValues = (attempt: 1 | 2): Record<string, string> => ({
      id: `md5('bench-event-' || m || '-${attempt}')::uuid`,
      message_id: `md5('bench-message-' || m)::uuid`,
      merchant: `'${merchant}'`,
      order_id: orderId,
      channel: `'bench'`,
      notification_id: `'registration-' || (m % 3)`,
      reference: `(ARRAY['erp','bi','audit'])[1 + m % 3]`,
      scope,
      type: `'order.state.changed'`,
      delivery: `'webhook'`,
      attempt: String(attempt),
      retry_of: attempt === 2 ? `md5('bench-event-' || m || '-1')::uuid` : 'NULL',
      trigger: `'automatic'`,
      status: attempt === 1 ? `CASE WHEN m % 10 = 0 THEN 'failed' ELSE 'succeeded' END` : `'succeeded'`,
      request_headers: `jsonb_build_object('content-type', 'application/json', 'user-agent', 'Ordercast/0.1.0', 'webhook-id', md5('bench-message-' || m)::uuid, 'webhook-timestamp', '1700000000')`,
      status_code: attempt === 1 ? `CASE WHEN m % 10 = 0 THEN 503 ELSE 200 END` : '200',
      response_body: attempt === 1 ? `CASE WHEN m % 10 = 0 THEN 'upstream unavailable' ELSE 'ok' END` : `'ok'`,
      response_truncated: 'false',
      duration_ms: `(m % 97) + 3`,
      created_at: attempt === 1 ? created : `${created} + interval '5 seconds'`,
      completed_at: attempt === 1 ? `${created} + interval '50 milliseconds'` : `${created} + interval '5050 milliseconds'`,
    });

    // A bulk load builds secondary indexes once at the end (as pg_restore does) instead of row by row, and skips
    // the foreign-key trigger (every message_id is inserted just before): several times faster, same tables.
    const secondary = await secondaryIndexes(client, ['messages', 'events']);
    for (const index of secondary) await client.query(`DROP INDEX "${SCHEMA}"."${index.name}"`);

    const chunks: Array<[number, number]> = [];
    for (let from = 0; from < messages; from += CHUNK_MESSAGES) chunks.push([from, Math.min(messages, from + CHUNK_MESSAGES) - 1]);
    let done = 0;
    await inParallel(databaseUrl, chunks, async (worker, [from, to]) => {
      const series = `FROM generate_series(${from}, ${to}) AS m`;
      await worker.query('BEGIN');
      await worker.query(insertSql('messages', messageColumns, messageValues, series));
      await worker.query(insertSql('events', eventColumns, eventValues(1), series));
      await worker.query(insertSql('events', eventColumns, eventValues(2), `${series} WHERE m % 10 = 0`));
      await worker.query('COMMIT');
      done += to - from + 1;
      onProgress(done, messages);
    });
    await inParallel(databaseUrl, secondary, (worker, index) => worker.query(index.definition).then(() => undefined));
    // What autovacuum would have done on a table that grew to this size: statistics and the visibility map.
    await client.query(`VACUUM (ANALYZE) "${SCHEMA}"."messages"`);
    await client.query(`VACUUM (ANALYZE) "${SCHEMA}"."events"`);
    const { rows } = await client.query<{ count: string }>(`SELECT count(*) FROM "${SCHEMA}"."events"`);
    return { events: Number(rows[0].count), messages, seconds: (Date.now() - started) / 1000 };
  } finally {
    await client.end();
  }
}

/** `count` order ids that exist in the events table, sampled at random. */
export async function randomOrderIds(databaseUrl: string, merchant: string, count: number): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ order_id: string }>(
      `SELECT order_id FROM "${SCHEMA}"."events" WHERE merchant = $1 ORDER BY random() LIMIT $2`,
      [merchant, count],
    );
    return rows.map((row) => row.order_id);
  } finally {
    await client.end();
  }
}
