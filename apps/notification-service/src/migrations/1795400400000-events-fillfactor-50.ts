import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At fillfactor 80 only about half the claims were HOT: the rows of a page are inserted together,
 * claimed together and completed together, and the completed versions are wider than the room
 * left. Each claim that is not HOT writes all of the table's index entries again.
 */
export class EventsFillfactor501795400400000 implements MigrationInterface {
  name = 'EventsFillfactor501795400400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."events" SET (fillfactor = 50)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."events" SET (fillfactor = 80)`);
  }
}
