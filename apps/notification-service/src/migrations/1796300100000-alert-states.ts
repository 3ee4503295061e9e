import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `alert_states` is the durable debounce of operational alerts, shared by every instance (breakers
 * live in each instance's memory): per merchant, endpoint and alert type, when it last happened and
 * when it was last sent. A merchant table, under the same row-level security as the others.
 */
export class AlertStates1796300100000 implements MigrationInterface {
  name = 'AlertStates1796300100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE "notifications"."alert_states" (
        "merchant" text NOT NULL,
        "endpoint" text NOT NULL,
        "type" text NOT NULL,
        "last_seen_at" timestamptz NOT NULL,
        "last_sent_at" timestamptz,
        PRIMARY KEY ("merchant", "endpoint", "type")
      )`);
    await runner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON "notifications"."alert_states" TO ordercast_tenant`);
    await runner.query(`ALTER TABLE "notifications"."alert_states" ENABLE ROW LEVEL SECURITY`);
    await runner.query(`
      CREATE POLICY "tenant_isolation" ON "notifications"."alert_states" TO ordercast_tenant
      USING ("merchant" = current_setting('ordercast.merchant', true))
      WITH CHECK ("merchant" = current_setting('ordercast.merchant', true))`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE "notifications"."alert_states"`);
  }
}
