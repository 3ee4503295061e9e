import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change events now carry `sequence`, the order's version after the change, and notification-service
 * refuses events without it. Unsent outbox rows written before this release (waiting, or parked)
 * get theirs here: an order's outbox rows in `seq` order are its changes in order, and the newest
 * of them left the order at its current version, so each row's is the version less the number of
 * the order's rows after it. Exact as long as none of those was purged, which only happens to a
 * published row older than OUTBOX_RETENTION that comes after a row parked even longer.
 */
export class ChangeEventSequence1796100100000 implements MigrationInterface {
  name = 'ChangeEventSequence1796100100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      UPDATE "orders"."outbox" AS o SET payload = jsonb_set(o.payload, '{sequence}', to_jsonb(numbered.sequence))
      FROM (
        SELECT change.id, parent.version - (row_number() OVER (PARTITION BY change.order_id ORDER BY change.seq DESC) - 1) AS sequence
        FROM "orders"."outbox" change JOIN "orders"."orders" parent ON parent.id = change.order_id
      ) AS numbered
      WHERE o.id = numbered.id AND o.sent_at IS NULL AND NOT o.payload ? 'sequence'`);
  }

  /** Nothing to undo: consumers that do not know the field ignore it. */
  async down(): Promise<void> {}
}
