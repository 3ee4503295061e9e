import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A subscription's retries go to its URL and method as they are now, which may not be those its message
 * was made with: the attempt records the ones it used (null: the message's).
 */
export class AttemptRequestTarget1796800000000 implements MigrationInterface {
  name = 'AttemptRequestTarget1796800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."events" ADD COLUMN "request_url" text, ADD COLUMN "request_method" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."events" DROP COLUMN "request_url", DROP COLUMN "request_method"`);
  }
}
