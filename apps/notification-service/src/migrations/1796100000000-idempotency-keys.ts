import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Idempotency-Key of every write that sent one, with the request's fingerprint and the sealed
 * response to replay (libs/platform idempotency). Written in the request's transaction, so a key
 * exists exactly when its change does. A merchant table: row-level security like the others.
 * Keys expire after 24 hours; event retention's purge deletes them (`created_at` index).
 */
export class IdempotencyKeys1796100000000 implements MigrationInterface {
  name = 'IdempotencyKeys1796100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE "notifications"."idempotency_keys" (
        "merchant" text NOT NULL,
        "key" text NOT NULL,
        "fingerprint" text NOT NULL,
        "status" smallint NOT NULL,
        "body" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("merchant", "key")
      )`);
    await runner.query(`CREATE INDEX "idempotency_keys_created_at" ON "notifications"."idempotency_keys" ("created_at")`);
    await runner.query(`GRANT SELECT, INSERT, UPDATE ON "notifications"."idempotency_keys" TO ordercast_tenant`);
    await runner.query(`ALTER TABLE "notifications"."idempotency_keys" ENABLE ROW LEVEL SECURITY`);
    await runner.query(`
      CREATE POLICY "tenant_isolation" ON "notifications"."idempotency_keys" TO ordercast_tenant
      USING ("merchant" = current_setting('ordercast.merchant', true))
      WITH CHECK ("merchant" = current_setting('ordercast.merchant', true))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE "notifications"."idempotency_keys"`);
  }
}
