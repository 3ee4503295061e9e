import type { ServiceDatabase } from '@ordercast/platform';
import { ChannelNotifications } from './channels/channel-notifications.entity';
import { CreateOrderTables1763769600000 } from './migrations/1763769600000-create-order-tables';
import { VacuumOutboxEagerly1795310258000 } from './migrations/1795310258000-vacuum-outbox-eagerly';
import { ParkRefusedChanges1796000000000 } from './migrations/1796000000000-park-refused-changes';
import { TenantRowLevelSecurity1795500000000 } from './migrations/1795500000000-tenant-row-level-security';
import { IdempotencyKeys1796100000000 } from './migrations/1796100000000-idempotency-keys';
import { ChangeEventSequence1796100100000 } from './migrations/1796100100000-change-event-sequence';
import { OutboxTraceContext1796200000000 } from './migrations/1796200000000-outbox-trace-context';
import { WideColumnsLz41796500000000 } from './migrations/1796500000000-wide-columns-lz4';
import { OutboxPayloadAsWritten1796600000000 } from './migrations/1796600000000-outbox-payload-as-written';
import { OrderEntity } from './orders/order.entity';
import { OutboxMessage } from './outbox/outbox-message.entity';

/** order-service's own schema; nothing else reads or writes it. */
export const ORDERS_SCHEMA = 'orders';

export function orderServiceDatabase(url: string, poolSize?: number): ServiceDatabase {
  return {
    url,
    poolSize,
    schema: ORDERS_SCHEMA,
    entities: [OrderEntity, OutboxMessage, ChannelNotifications],
    migrations: [
      CreateOrderTables1763769600000, VacuumOutboxEagerly1795310258000, TenantRowLevelSecurity1795500000000, ParkRefusedChanges1796000000000,
      IdempotencyKeys1796100000000, ChangeEventSequence1796100100000, OutboxTraceContext1796200000000, WideColumnsLz41796500000000,
      OutboxPayloadAsWritten1796600000000,
    ],
  };
}
