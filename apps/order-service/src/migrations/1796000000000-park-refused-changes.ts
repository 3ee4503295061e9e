import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A change event the bus refuses for good (too large, invalid) is parked instead of retried
 * forever: `parked_at` and `park_reason` mark it, and the relay's partial index leaves parked rows
 * out, so they never come up again in its read. They are kept (the purge takes only sent rows)
 * for an operator to look at (`GET /api/v0/checkout/operator/parked-changes`).
 */
export class ParkRefusedChanges1796000000000 implements MigrationInterface {
  name = 'ParkRefusedChanges1796000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "orders"."outbox" ADD COLUMN "parked_at" timestamptz, ADD COLUMN "park_reason" text`);
    await runner.query(`DROP INDEX "orders"."outbox_unsent"`);
    await runner.query(`CREATE INDEX "outbox_unsent" ON "orders"."outbox" ("seq") WHERE "sent_at" IS NULL AND "parked_at" IS NULL`);
    await runner.query(`CREATE INDEX "outbox_parked" ON "orders"."outbox" ("parked_at") WHERE "parked_at" IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "orders"."outbox_parked"`);
    await runner.query(`DROP INDEX "orders"."outbox_unsent"`);
    await runner.query(`CREATE INDEX "outbox_unsent" ON "orders"."outbox" ("seq") WHERE "sent_at" IS NULL`);
    await runner.query(`ALTER TABLE "orders"."outbox" DROP COLUMN "park_reason", DROP COLUMN "parked_at"`);
  }
}
