import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change events now carry `sequence`, the order's version after the change, and notification-service
 * refuses events without it. Unpublished outbox rows written before this release get theirs here:
 * the relay publishes an order's rows in `seq` order, so the rows of an order still unsent are its
 * latest changes, and the newest of them left the order at its current version.
 */
export class ChangeEventSequence1796100100000 implements MigrationInterface {
  name = 'ChangeEventSequence1796100100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      UPDATE "orders"."outbox" AS o SET payload = jsonb_set(o.payload, '{sequence}', to_jsonb(numbered.sequence))
      FROM (
        SELECT u.id, orders.version - (row_number() OVER (PARTITION BY u.order_id ORDER BY u.seq DESC) - 1) AS sequence
        FROM "orders"."outbox" u JOIN "orders"."orders" orders ON orders.id = u.order_id
        WHERE u.sent_at IS NULL
      ) AS numbered
      WHERE o.id = numbered.id AND NOT o.payload ? 'sequence'`);
  }

  async down(): Promise<void> {
    // The field is harmless to consumers that do not read it.
  }
}
