import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every message body (a few kB of JSON) is compressed on insert; pglz took about twice the CPU of
 * lz4 for the same bodies. Servers built without lz4 keep pglz. Applies to rows written from now on.
 */
export class MessageBodyLz41795400300000 implements MigrationInterface {
  name = 'MessageBodyLz41795400300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const [row]: { lz4: boolean }[] = await queryRunner.query(
      `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
    );
    if (row?.lz4) await queryRunner.query(`ALTER TABLE "notifications"."messages" ALTER COLUMN "body" SET COMPRESSION lz4`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "notifications"."messages" ALTER COLUMN "body" SET COMPRESSION DEFAULT`);
  }
}
