import { MigrationInterface, QueryRunner } from 'typeorm';

const MERCHANT_TABLES = ['"orders"."orders"', '"orders"."channel_notifications"'];

/**
 * Row-level security on the merchant tables: a request's transaction runs as `ordercast_tenant`
 * with `ordercast.merchant` set (libs/platform tenant-scope.ts) and sees and writes only that
 * merchant's rows; with no merchant set it sees none. The login role owns the tables and is not
 * subject to the policies (ENABLE, not FORCE), so the outbox relay keeps reading every row.
 * The outbox has no merchant: a request may add its change event but never read the outbox.
 * The role is cluster-wide; several databases of one cluster may migrate at once, so creating it
 * tolerates losing the race. See docs/database-roles.md for production, where a DBA creates it.
 */
export class TenantRowLevelSecurity1795500000000 implements MigrationInterface {
  name = 'TenantRowLevelSecurity1795500000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ordercast_tenant') THEN
          CREATE ROLE ordercast_tenant NOLOGIN NOBYPASSRLS;
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await runner.query(`
      DO $$
      BEGIN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT pg_has_role(current_user, 'ordercast_tenant', 'MEMBER') THEN
          EXECUTE format('GRANT ordercast_tenant TO %I', current_user);
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    await runner.query(`GRANT USAGE ON SCHEMA "orders" TO ordercast_tenant`);
    await runner.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${MERCHANT_TABLES.join(', ')} TO ordercast_tenant`);
    await runner.query(`GRANT INSERT ON "orders"."outbox" TO ordercast_tenant`);
    await runner.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA "orders" TO ordercast_tenant`);
    for (const table of MERCHANT_TABLES) {
      await runner.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await runner.query(`
        CREATE POLICY "tenant_isolation" ON ${table} TO ordercast_tenant
        USING ("merchant" = current_setting('ordercast.merchant', true))
        WITH CHECK ("merchant" = current_setting('ordercast.merchant', true))`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of MERCHANT_TABLES) {
      await runner.query(`DROP POLICY "tenant_isolation" ON ${table}`);
      await runner.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
    await runner.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA "orders" FROM ordercast_tenant`);
    await runner.query(`REVOKE ALL ON ${MERCHANT_TABLES.join(', ')}, "orders"."outbox" FROM ordercast_tenant`);
    await runner.query(`REVOKE USAGE ON SCHEMA "orders" FROM ordercast_tenant`);
  }
}
