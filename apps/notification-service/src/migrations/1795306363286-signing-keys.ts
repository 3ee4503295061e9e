import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SigningKeys1795306363286 implements MigrationInterface {
  name = 'SigningKeys1795306363286';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "notifications"."signing_keys" (
        "kid" text PRIMARY KEY,
        "algorithm" text NOT NULL,
        "public_jwk" jsonb NOT NULL,
        "private_jwk_encrypted" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "retired_at" timestamptz,
        "expires_at" timestamptz,
        CONSTRAINT "signing_keys_expiry_needs_retirement" CHECK ("expires_at" IS NULL OR "retired_at" IS NOT NULL)
      )`);
    // Two instances creating the first key, or rotating at once, can never leave two active keys.
    await queryRunner.query(`CREATE UNIQUE INDEX "signing_keys_one_active" ON "notifications"."signing_keys" ((true)) WHERE "retired_at" IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "notifications"."signing_keys"`);
  }
}
