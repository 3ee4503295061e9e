import { retypeWideColumn, WideColumn } from '@ordercast/platform';
import type { MigrationInterface } from 'typeorm';

const SNAPSHOT: WideColumn = ['"notifications"."order_snapshots"', 'snapshot'];

/**
 * Order snapshots are written on every change and only ever read whole (for a manual send), so
 * they are kept as the JSON text of the change event: `json` instead of `jsonb`, which parsed each
 * few-kB snapshot into a tree on every write (about 25 µs of PostgreSQL CPU per change, measured
 * with `::jsonb` against `::json` casts). Changing the type rewrites the table once.
 */
export class SnapshotAsWritten1796600000000 implements MigrationInterface {
  name = 'SnapshotAsWritten1796600000000';

  up = retypeWideColumn(SNAPSHOT, 'json');
  down = retypeWideColumn(SNAPSHOT, 'jsonb');
}
