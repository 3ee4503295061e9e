import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Almost every Event ends as succeeded, and each completion wrote it into the status index again.
 * Operators filter on the other statuses; status=succeeded is most rows, which
 * events_merchant_created_idx serves with a filter. Leaving succeeded rows out keeps the index
 * the size of the pending and failed backlog and saves one index entry per completed attempt.
 */
export class PartialStatusIndex1795400200000 implements MigrationInterface {
  name = 'PartialStatusIndex1795400200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."events_merchant_status_idx"`);
    await queryRunner.query(
      `CREATE INDEX "events_merchant_status_idx" ON "notifications"."events" ("merchant", "status", "created_at" DESC) WHERE "status" <> 'succeeded'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."events_merchant_status_idx"`);
    await queryRunner.query(`CREATE INDEX "events_merchant_status_idx" ON "notifications"."events" ("merchant", "status", "created_at" DESC)`);
  }
}
