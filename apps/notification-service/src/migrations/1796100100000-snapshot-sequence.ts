import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latest snapshot's order version, which a manual send carries as its `sequence`. Snapshots
 * stored before change events carried one keep 0 until the order's next change.
 */
export class SnapshotSequence1796100100000 implements MigrationInterface {
  name = 'SnapshotSequence1796100100000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."order_snapshots" ADD COLUMN "sequence" integer NOT NULL DEFAULT 0`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."order_snapshots" DROP COLUMN "sequence"`);
  }
}
