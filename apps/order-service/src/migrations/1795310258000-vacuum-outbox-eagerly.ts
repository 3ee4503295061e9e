import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Marking a row sent can never be a HOT update (sent_at is in the predicate of the partial
 * index `outbox_unsent`), so every published row leaves a dead entry at the head of that index,
 * which the relay's `WHERE sent_at IS NULL ORDER BY seq LIMIT` walks through on every batch.
 * The default trigger (20% of the table dead) lets those pile up for as long as rows are
 * retained; vacuuming after a fixed number of dead rows keeps the index as small as the backlog.
 */
export class VacuumOutboxEagerly1795310258000 implements MigrationInterface {
  name = 'VacuumOutboxEagerly1795310258000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "orders"."outbox" SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "orders"."outbox" RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold)`);
  }
}
