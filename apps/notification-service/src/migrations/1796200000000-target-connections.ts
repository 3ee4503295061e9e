import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Target authentication (OAuth2 client credentials, mTLS) and Kafka destinations: each message and
 * subscription keeps its target's `auth` and `kafka` (credentials sealed), `kafka` is a delivery
 * kind, and the dispatcher's claim index covers kafka rows beside webhook and email ones.
 */
export class TargetConnections1796200000000 implements MigrationInterface {
  name = 'TargetConnections1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['messages', 'subscriptions']) {
      await queryRunner.query(`ALTER TABLE "notifications"."${table}" ADD COLUMN "auth" jsonb, ADD COLUMN "kafka" jsonb`);
    }
    await this.allowDeliveries(queryRunner, ['webhook', 'poll', 'email', 'kafka']);
    await queryRunner.query(`DROP INDEX "notifications"."events_merchant_due_idx"`);
    await queryRunner.query(
      `CREATE INDEX "events_merchant_due_idx" ON "notifications"."events" ("merchant", "next_attempt_at") WHERE "status" = 'pending' AND "delivery" IN ('webhook', 'email', 'kafka')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "notifications"."events_merchant_due_idx"`);
    await queryRunner.query(
      `CREATE INDEX "events_merchant_due_idx" ON "notifications"."events" ("merchant", "next_attempt_at") WHERE "status" = 'pending' AND "delivery" IN ('webhook', 'email')`,
    );
    await this.allowDeliveries(queryRunner, ['webhook', 'poll', 'email']);
    for (const table of ['messages', 'subscriptions']) {
      await queryRunner.query(`ALTER TABLE "notifications"."${table}" DROP COLUMN "auth", DROP COLUMN "kafka"`);
    }
  }

  /** The delivery columns' CHECK constraints (named by PostgreSQL when the tables were created). */
  private async allowDeliveries(queryRunner: QueryRunner, kinds: string[]): Promise<void> {
    const list = kinds.map((kind) => `'${kind}'`).join(', ');
    for (const table of ['subscriptions', 'messages', 'events']) {
      await queryRunner.query(`ALTER TABLE "notifications"."${table}" DROP CONSTRAINT "${table}_delivery_check"`);
      await queryRunner.query(`ALTER TABLE "notifications"."${table}" ADD CONSTRAINT "${table}_delivery_check" CHECK ("delivery" IN (${list}))`);
    }
  }
}
