import { runStatements, tenantIsolationDown, tenantIsolationUp, TenantIsolation } from '@ordercast/platform';
import type { MigrationInterface } from 'typeorm';

const ISOLATION: TenantIsolation = {
  schema: 'orders',
  tables: ['"orders"."orders"', '"orders"."channel_notifications"'],
  insertOnly: ['"orders"."outbox"'],
};

/**
 * Row-level security on the merchant tables: a request's transaction runs as `ordercast_tenant`
 * with `ordercast.merchant` set (libs/platform tenant-scope.ts) and sees and writes only that
 * merchant's rows; with no merchant set it sees none. The login role owns the tables and is not
 * subject to the policies (ENABLE, not FORCE), so the outbox relay keeps reading every row.
 * The outbox has no merchant: a request may add its change event but never read the outbox.
 * The statements are libs/platform's tenant-isolation.sql.ts, shared with notification-service.
 */
export class TenantRowLevelSecurity1795500000000 implements MigrationInterface {
  name = 'TenantRowLevelSecurity1795500000000';

  up = runStatements(tenantIsolationUp(ISOLATION));
  down = runStatements(tenantIsolationDown(ISOLATION));
}
