import { startTrustStack, TrustStack } from '../trust/support/services';

jest.setTimeout(60_000);

/** The columns both services rewrite with kilobytes of JSON on every change compress with lz4 where the server has it. */
describe('wide columns (real PostgreSQL)', () => {
  let stack: TrustStack;

  beforeAll(async () => {
    stack = await startTrustStack();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('compresses new values with lz4, and keeps the default where the server lacks it', async () => {
    const { rows: [{ lz4 }] } = await stack.sql.query<{ lz4: boolean }>(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    );
    const { rows } = await stack.sql.query<{ col: string; compression: string }>(
      `SELECT c.relnamespace::regnamespace || '.' || c.relname || '.' || a.attname AS col, a.attcompression AS compression
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
       WHERE (c.relnamespace::regnamespace::text, c.relname, a.attname) IN (
         ('orders', 'orders', 'document'), ('orders', 'outbox', 'payload'), ('orders', 'idempotency_keys', 'body'),
         ('notifications', 'messages', 'body'), ('notifications', 'order_snapshots', 'snapshot'), ('notifications', 'poll_messages', 'body'),
         ('notifications', 'events', 'response_body'), ('notifications', 'idempotency_keys', 'body'))
       ORDER BY 1`,
    );
    expect(rows).toHaveLength(8);
    expect(rows.filter((row) => row.compression !== (lz4 ? 'l' : ''))).toEqual([]);
  });
});
