import { compressByDefault, compressWithLz4, WideColumn } from '@ordercast/platform';
import type { MigrationInterface } from 'typeorm';

/**
 * The order snapshot is rewritten on every change, poll messages carry a delivery body, and a
 * response body may be kilobytes; message bodies got lz4 in MessageBodyLz41795400300000.
 */
const WIDE: WideColumn[] = [
  ['"notifications"."order_snapshots"', 'snapshot'],
  ['"notifications"."poll_messages"', 'body'],
  ['"notifications"."events"', 'response_body'],
  ['"notifications"."idempotency_keys"', 'body'],
];

export class WideColumnsLz41796500000000 implements MigrationInterface {
  name = 'WideColumnsLz41796500000000';

  up = compressWithLz4(WIDE);
  down = compressByDefault(WIDE);
}
