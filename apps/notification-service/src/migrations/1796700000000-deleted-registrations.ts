import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A registration deleted from its order is recorded like one whose target answered 410 Gone, so
 * its retries are skipped; no attempt stands behind a deletion, so the disabling attempt is optional.
 */
export class DeletedRegistrations1796700000000 implements MigrationInterface {
  name = 'DeletedRegistrations1796700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."disabled_registrations" ALTER COLUMN "event_id" DROP NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM "notifications"."disabled_registrations" WHERE "event_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "notifications"."disabled_registrations" ALTER COLUMN "event_id" SET NOT NULL`);
  }
}
