import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PollMessages1795306400000 implements MigrationInterface {
  name = 'PollMessages1795306400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // No foreign key to the events table: Events follow RETENTION_DAYS, poll messages 30 days.
    // "body" is json, not jsonb: the text is kept as the webhook would send it, keys in their order.
    await queryRunner.query(`
      CREATE TABLE "notifications"."poll_messages" (
        "id" uuid PRIMARY KEY,
        "merchant" text NOT NULL,
        "order_id" text NOT NULL,
        "event_id" uuid,
        "body" json NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "visible_at" timestamptz NOT NULL DEFAULT now(),
        "receive_count" integer NOT NULL DEFAULT 0,
        "receipt_handle" text,
        "acked_at" timestamptz,
        "expires_at" timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX "poll_messages_receivable" ON "notifications"."poll_messages" ("merchant", "visible_at") WHERE "acked_at" IS NULL`);
    await queryRunner.query(`CREATE INDEX "poll_messages_period" ON "notifications"."poll_messages" ("merchant", "created_at")`);
    await queryRunner.query(`CREATE INDEX "poll_messages_expiry" ON "notifications"."poll_messages" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notifications"."poll_messages"`);
  }
}
