import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leases get a holder, and holders a heartbeat: a result is written only by the instance that
 * holds the row's lease, and the leases of an instance whose heartbeat stopped are released by any
 * live one within seconds instead of at lease expiry. `lease_owner` is in no index, so a claim
 * stays a HOT update.
 *
 * The claim takes a share of due rows per merchant (fair dispatch): it walks the merchants with
 * pending rows and each one's oldest due rows, which (merchant, next_attempt_at) serves; the
 * index by next_attempt_at alone had no other user.
 */
export class DispatchInstances1795400500000 implements MigrationInterface {
  name = 'DispatchInstances1795400500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "notifications"."dispatch_instances" (
        "id" uuid PRIMARY KEY,
        "started_at" timestamptz NOT NULL DEFAULT now(),
        "last_seen" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`ALTER TABLE "notifications"."events" ADD COLUMN "lease_owner" uuid`);
    await queryRunner.query(`DROP INDEX "notifications"."events_due_idx"`);
    await queryRunner.query(
      `CREATE INDEX "events_merchant_due_idx" ON "notifications"."events" ("merchant", "next_attempt_at") WHERE "status" = 'pending' AND "delivery" IN ('webhook', 'email')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."events_merchant_due_idx"`);
    await queryRunner.query(`CREATE INDEX "events_due_idx" ON "notifications"."events" ("next_attempt_at") WHERE "status" = 'pending' AND "delivery" IN ('webhook', 'email')`);
    await queryRunner.query(`ALTER TABLE "notifications"."events" DROP COLUMN "lease_owner"`);
    await queryRunner.query(`DROP TABLE "notifications"."dispatch_instances"`);
  }
}
