import { runStatements, tenantIsolationDown, tenantIsolationUp, TenantIsolation } from '@ordercast/platform';
import type { MigrationInterface } from 'typeorm';

const ISOLATION: TenantIsolation = {
  schema: 'notifications',
  tables: [
    '"notifications"."order_snapshots"', '"notifications"."subscriptions"', '"notifications"."disabled_registrations"',
    '"notifications"."messages"', '"notifications"."events"', '"notifications"."poll_messages"',
  ],
};

/**
 * Row-level security on the merchant tables: a request's transaction runs as `ordercast_tenant`
 * with `ordercast.merchant` set (libs/platform tenant-scope.ts) and sees and writes only that
 * merchant's rows; with no merchant set it sees none. The login role owns the tables and is not
 * subject to the policies (ENABLE, not FORCE), so ingest, dispatch, retention and the poll purger
 * keep working on every merchant's rows. The signing keys are service-wide: the tenant role gets
 * nothing on them (JWKS and dispatch run as the login role; rotation leaves the tenant scope).
 * The statements are libs/platform's tenant-isolation.sql.ts, shared with order-service.
 */
export class TenantRowLevelSecurity1795500000000 implements MigrationInterface {
  name = 'TenantRowLevelSecurity1795500000000';

  up = runStatements(tenantIsolationUp(ISOLATION));
  down = runStatements(tenantIsolationDown(ISOLATION));
}
