import { compressByDefault, compressWithLz4, WideColumn } from '@ordercast/platform';
import type { MigrationInterface } from 'typeorm';

/** Every change rewrites the order's document and inserts its change event: both are a few kB of JSON. */
const WIDE: WideColumn[] = [
  ['"orders"."orders"', 'document'],
  ['"orders"."outbox"', 'payload'],
  ['"orders"."idempotency_keys"', 'body'],
];

export class WideColumnsLz41796500000000 implements MigrationInterface {
  name = 'WideColumnsLz41796500000000';

  up = compressWithLz4(WIDE);
  down = compressByDefault(WIDE);
}
