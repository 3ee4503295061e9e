import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Staged rotation: a key is published before it signs. Keys created before sign since their creation. */
export class SigningKeyActivation1795500000000 implements MigrationInterface {
  name = 'SigningKeyActivation1795500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."signing_keys" ADD COLUMN "activates_at" timestamptz`);
    await queryRunner.query(`UPDATE "notifications"."signing_keys" SET "activates_at" = "created_at"`);
    await queryRunner.query(`ALTER TABLE "notifications"."signing_keys" ALTER COLUMN "activates_at" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."signing_keys" DROP COLUMN "activates_at"`);
  }
}
