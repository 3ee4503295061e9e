import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The dispatcher now also sends `delivery: email` rows, so its claim index covers them. Poll rows
 * stay out: they are queued in the transaction that creates them and are never pending.
 */
export class EmailDispatch1795306500000 implements MigrationInterface {
  name = 'EmailDispatch1795306500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."events_due_idx"`);
    await queryRunner.query(`CREATE INDEX "events_due_idx" ON "notifications"."events" ("next_attempt_at") WHERE "status" = 'pending' AND "delivery" IN ('webhook', 'email')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."events_due_idx"`);
    await queryRunner.query(`CREATE INDEX "events_due_idx" ON "notifications"."events" ("next_attempt_at") WHERE "status" = 'pending' AND "delivery" = 'webhook'`);
  }
}
