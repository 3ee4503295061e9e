import { SetMetadata } from '@nestjs/common';

export const AUTOCOMMIT_ROUTE = 'ordercast:autocommit';

/**
 * Runs the route's statements in `autocommit` mode of the tenant scope (see `TenantScopeMode`):
 * each commits on its own, without the BEGIN and COMMIT round trips of a request transaction.
 * Only for handlers whose every write is a single statement, atomic by itself, and none of whose
 * statements must commit together: the order API's reads and its changes (a read, then one
 * statement that writes the order and its outbox row only if the version read is still current).
 * A request with an `Idempotency-Key` runs in a transaction all the same: its key and its change
 * must commit together.
 */
export const Autocommit = (): MethodDecorator => SetMetadata(AUTOCOMMIT_ROUTE, true);
