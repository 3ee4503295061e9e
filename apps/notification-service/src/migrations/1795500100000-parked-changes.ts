import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Poison changes. `ingest_attempts` counts the attempts to ingest a change that have started and
 * not finished; it is written before the work, so an attempt that crashes the process is counted
 * too. A change over the limit is moved to `parked_changes` (its snapshots sealed, as in
 * `order_snapshots`) and its partition moves on.
 */
export class ParkedChanges1795500100000 implements MigrationInterface {
  name = 'ParkedChanges1795500100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "notifications"."ingest_attempts" (
        "change_id" text PRIMARY KEY,
        "merchant" text NOT NULL,
        "order_id" text NOT NULL,
        "attempts" int NOT NULL,
        "last_error" text,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX "ingest_attempts_updated_at_idx" ON "notifications"."ingest_attempts" ("updated_at")`);
    await queryRunner.query(`
      CREATE TABLE "notifications"."parked_changes" (
        "change_id" text PRIMARY KEY,
        "merchant" text NOT NULL,
        "order_id" text NOT NULL,
        "channel" text NOT NULL,
        "type" text NOT NULL,
        "occurred_at" timestamptz NOT NULL,
        "topic" text NOT NULL,
        "partition" int NOT NULL,
        "offset" text NOT NULL,
        "attempts" int NOT NULL,
        "reason" text NOT NULL,
        "event" jsonb NOT NULL,
        "parked_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX "parked_changes_parked_at_idx" ON "notifications"."parked_changes" ("parked_at")`);
    // Poll messages also go after RETENTION_DAYS when it is shorter than their 30 days.
    await queryRunner.query(`CREATE INDEX "poll_messages_created_at_idx" ON "notifications"."poll_messages" ("created_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."poll_messages_created_at_idx"`);
    await queryRunner.query(`DROP TABLE "notifications"."parked_changes"`);
    await queryRunner.query(`DROP TABLE "notifications"."ingest_attempts"`);
  }
}
