import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrderTables1763769600000 implements MigrationInterface {
  name = 'CreateOrderTables1763769600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE "orders"."orders" (
        "id" uuid PRIMARY KEY,
        "merchant" text NOT NULL,
        "channel" text NOT NULL,
        "reference" text,
        "state" text NOT NULL,
        "document" jsonb NOT NULL,
        "version" integer NOT NULL,
        "created" timestamptz NOT NULL,
        "last_modified" timestamptz NOT NULL
      )`);

    await runner.query(`
      CREATE TABLE "orders"."outbox" (
        "id" uuid PRIMARY KEY,
        "order_id" uuid NOT NULL,
        "seq" bigserial NOT NULL,
        "topic" text NOT NULL,
        "key" text NOT NULL,
        "payload" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "sent_at" timestamptz,
        "attempts" integer NOT NULL DEFAULT 0
      )`);
    // The relay reads only unsent rows, in seq order; the partial index stays as small as the backlog.
    await runner.query(`CREATE INDEX "outbox_unsent" ON "orders"."outbox" ("seq") WHERE "sent_at" IS NULL`);
    // Published rows are purged by age; BRIN suits an append-only timestamp and costs little per insert.
    await runner.query(`CREATE INDEX "outbox_created_at" ON "orders"."outbox" USING brin ("created_at")`);

    await runner.query(`
      CREATE TABLE "orders"."channel_notifications" (
        "merchant" text NOT NULL,
        "channel" text NOT NULL,
        "registrations" jsonb NOT NULL,
        "updated_at" timestamptz NOT NULL,
        PRIMARY KEY ("merchant", "channel")
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE "orders"."channel_notifications"`);
    await runner.query(`DROP TABLE "orders"."outbox"`);
    await runner.query(`DROP TABLE "orders"."orders"`);
  }
}
