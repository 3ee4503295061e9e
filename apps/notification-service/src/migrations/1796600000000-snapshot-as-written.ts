import { compressWithLz4, WideColumn } from '@ordercast/platform';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const SNAPSHOT: WideColumn[] = [['"notifications"."order_snapshots"', 'snapshot']];

/**
 * Order snapshots are written on every change and only ever read whole (for a manual send), so
 * they are kept as the JSON text of the change event: `json` instead of `jsonb`, which parsed each
 * few-kB snapshot into a tree on every write (about 25 µs of PostgreSQL CPU per change, measured
 * with `::jsonb` against `::json` casts). Changing the type rewrites the table once and resets the
 * column's compression, so lz4 is set again (see WideColumnsLz41796500000000).
 */
export class SnapshotAsWritten1796600000000 implements MigrationInterface {
  name = 'SnapshotAsWritten1796600000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."order_snapshots" ALTER COLUMN "snapshot" TYPE json USING "snapshot"::json`);
    await compressWithLz4(SNAPSHOT)(runner);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."order_snapshots" ALTER COLUMN "snapshot" TYPE jsonb USING "snapshot"::jsonb`);
    await compressWithLz4(SNAPSHOT)(runner);
  }
}
