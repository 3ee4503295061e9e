import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateNotificationTables1763769600000 implements MigrationInterface {
  name = 'CreateNotificationTables1763769600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "notifications"."order_snapshots" (
        "merchant" text NOT NULL,
        "order_id" text NOT NULL,
        "channel" text NOT NULL,
        "snapshot" jsonb NOT NULL,
        "occurred_at" timestamptz NOT NULL,
        "last_modified" timestamptz NOT NULL,
        "change_id" text NOT NULL,
        "change_type" text NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("merchant", "order_id")
      )`);

    await queryRunner.query(`
      CREATE TABLE "notifications"."subscriptions" (
        "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "merchant" text NOT NULL,
        "name" text NOT NULL,
        "channels" text[] NOT NULL DEFAULT '{}',
        "scope" jsonb NOT NULL,
        "delivery" text NOT NULL DEFAULT 'webhook' CHECK ("delivery" IN ('webhook', 'poll', 'email')),
        "payload" text NOT NULL DEFAULT 'full' CHECK ("payload" IN ('full', 'metadata')),
        "url" text,
        "method" text NOT NULL DEFAULT 'POST' CHECK ("method" IN ('POST', 'PUT', 'PATCH', 'GET', 'DELETE')),
        "headers" jsonb NOT NULL DEFAULT '{}',
        "email" text,
        "secret" text,
        "enabled" boolean NOT NULL DEFAULT true,
        "disabled_reason" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX "subscriptions_merchant_idx" ON "notifications"."subscriptions" ("merchant", "created_at")`);

    await queryRunner.query(`
      CREATE TABLE "notifications"."disabled_registrations" (
        "merchant" text NOT NULL,
        "notification_id" text NOT NULL,
        "order_id" text NOT NULL,
        "event_id" uuid NOT NULL,
        "reason" text NOT NULL,
        "disabled_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("merchant", "notification_id")
      )`);

    await queryRunner.query(`
      CREATE TABLE "notifications"."messages" (
        "id" uuid PRIMARY KEY,
        "merchant" text NOT NULL,
        "order_id" text NOT NULL,
        "change_id" text,
        "target_id" text NOT NULL,
        "scope" text NOT NULL,
        "delivery" text NOT NULL CHECK ("delivery" IN ('webhook', 'poll', 'email')),
        "url" text,
        "method" text NOT NULL,
        "headers" jsonb NOT NULL DEFAULT '{}',
        "secret" text,
        "email" text,
        "body" json NOT NULL,
        "created_at" timestamptz NOT NULL,
        CONSTRAINT "messages_change_target_scope_key" UNIQUE ("change_id", "target_id", "scope")
      )`);
    await queryRunner.query(`CREATE INDEX "messages_created_at_idx" ON "notifications"."messages" ("created_at")`);

    await queryRunner.query(`
      CREATE TABLE "notifications"."events" (
        "id" uuid PRIMARY KEY,
        "message_id" uuid NOT NULL REFERENCES "notifications"."messages" ("id") ON DELETE CASCADE,
        "merchant" text NOT NULL,
        "order_id" text NOT NULL,
        "channel" text NOT NULL,
        "notification_id" text,
        "subscription_id" uuid,
        "reference" text,
        "scope" text NOT NULL,
        "type" text NOT NULL,
        "delivery" text NOT NULL CHECK ("delivery" IN ('webhook', 'poll', 'email')),
        "attempt" int NOT NULL CHECK ("attempt" >= 1),
        "retry_of" uuid,
        "trigger" text NOT NULL CHECK ("trigger" IN ('automatic', 'retry', 'manual')),
        "status" text NOT NULL CHECK ("status" IN ('pending', 'succeeded', 'failed', 'dead')),
        "request_headers" jsonb,
        "status_code" int,
        "response_body" text,
        "response_truncated" boolean NOT NULL DEFAULT false,
        "error" text,
        "duration_ms" int,
        "created_at" timestamptz NOT NULL,
        "completed_at" timestamptz,
        "next_attempt_at" timestamptz,
        "lease_until" timestamptz,
        CONSTRAINT "events_message_attempt_key" UNIQUE ("message_id", "attempt")
      )`);
    // The dispatcher's claim: only due webhook rows, so the index stays as small as the backlog.
    await queryRunner.query(`CREATE INDEX "events_due_idx" ON "notifications"."events" ("next_attempt_at") WHERE "status" = 'pending' AND "delivery" = 'webhook'`);
    // The events API: every filter starts with the merchant and lists newest first.
    await queryRunner.query(`CREATE INDEX "events_merchant_created_idx" ON "notifications"."events" ("merchant", "created_at" DESC)`);
    await queryRunner.query(`CREATE INDEX "events_merchant_order_idx" ON "notifications"."events" ("merchant", "order_id", "created_at" DESC)`);
    // text_pattern_ops serves both scope=state.completed and the prefix scope=state (LIKE 'state.%').
    await queryRunner.query(`CREATE INDEX "events_merchant_scope_idx" ON "notifications"."events" ("merchant", "scope" text_pattern_ops, "created_at" DESC)`);
    await queryRunner.query(`CREATE INDEX "events_merchant_status_idx" ON "notifications"."events" ("merchant", "status", "created_at" DESC)`);
    await queryRunner.query(`CREATE INDEX "events_merchant_notification_idx" ON "notifications"."events" ("merchant", "notification_id", "created_at" DESC) WHERE "notification_id" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "events_merchant_subscription_idx" ON "notifications"."events" ("merchant", "subscription_id", "created_at" DESC) WHERE "subscription_id" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notifications"."events"`);
    await queryRunner.query(`DROP TABLE "notifications"."messages"`);
    await queryRunner.query(`DROP TABLE "notifications"."disabled_registrations"`);
    await queryRunner.query(`DROP TABLE "notifications"."subscriptions"`);
    await queryRunner.query(`DROP TABLE "notifications"."order_snapshots"`);
  }
}
