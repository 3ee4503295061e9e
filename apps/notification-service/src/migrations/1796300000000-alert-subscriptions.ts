import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `subscriptions.events` lists the alert types a subscription receives. An alert subscription
 * (events not empty) never receives order changes, and an order subscription never receives alerts.
 */
export class AlertSubscriptions1796300000000 implements MigrationInterface {
  name = 'AlertSubscriptions1796300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."subscriptions" ADD COLUMN "events" text[] NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."subscriptions" DROP COLUMN "events"`);
  }
}
