import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * New message bodies are stored as RFC 8785 canonical JSON, which the detached JWS covers, so an
 * attempt can sign the stored bytes as they are. Older bodies (retried for days) are not, and
 * are still parsed and canonicalised per attempt: the flag tells the two apart.
 */
export class CanonicalBodies1795400100000 implements MigrationInterface {
  name = 'CanonicalBodies1795400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."messages" ADD COLUMN "body_canonical" boolean NOT NULL DEFAULT false`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."messages" DROP COLUMN "body_canonical"`);
  }
}
