import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claiming an attempt only sets its lease, which no index covers, so that update can be HOT (no
 * index entries rewritten) when the row's page has room. Filled to 100% at insert, pages never
 * have room; leaving a fifth free lets the claim stay on the page. Applies to pages written from now on.
 */
export class EventsFillfactor1795400000000 implements MigrationInterface {
  name = 'EventsFillfactor1795400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."events" SET (fillfactor = 80)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."events" RESET (fillfactor)`);
  }
}
