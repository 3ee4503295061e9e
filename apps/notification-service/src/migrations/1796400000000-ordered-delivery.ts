import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ordered delivery. `ordered` marks messages to ordered targets; those caused by a change (not
 * manual sends, which are outside the sequence) keep the order's `sequence`, and the first
 * attempt of a later message of the same order and target keeps, in `held_by`, the message it
 * waits for: while it waits it is pending without a due time, so no claim can take it; finishing
 * the earlier one sets the due time. `held_by` stays afterwards, as the record of what held it back.
 * New columns of merchant tables: the row-level security policies cover them already.
 */
export class OrderedDelivery1796400000000 implements MigrationInterface {
  name = 'OrderedDelivery1796400000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."messages" ADD COLUMN "ordered" boolean NOT NULL DEFAULT false, ADD COLUMN "sequence" bigint`);
    await runner.query(`ALTER TABLE "notifications"."events" ADD COLUMN "held_by" uuid`);
    await runner.query(`ALTER TABLE "notifications"."subscriptions" ADD COLUMN "ordered" boolean NOT NULL DEFAULT false`);
    await runner.query(`
      CREATE INDEX "messages_ordered_key_idx" ON "notifications"."messages" ("merchant", "target_id", "order_id", "sequence", "scope") WHERE "sequence" IS NOT NULL`);
    await runner.query(`CREATE INDEX "events_held_by_idx" ON "notifications"."events" ("held_by") WHERE "held_by" IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX "notifications"."events_held_by_idx"`);
    await runner.query(`DROP INDEX "notifications"."messages_ordered_key_idx"`);
    await runner.query(`ALTER TABLE "notifications"."subscriptions" DROP COLUMN "ordered"`);
    await runner.query(`ALTER TABLE "notifications"."events" DROP COLUMN "held_by"`);
    await runner.query(`ALTER TABLE "notifications"."messages" DROP COLUMN "ordered", DROP COLUMN "sequence"`);
  }
}
