import { idempotencyKeysDown, idempotencyKeysUp } from '@ordercast/platform';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Idempotency-Key of every write that sent one, with the request's fingerprint and the sealed
 * response to replay (libs/platform idempotency). Written in the request's transaction, so a key
 * exists exactly when its change does. A merchant table: row-level security like the others.
 * Keys expire after 24 hours; the outbox relay's purge deletes them (`created_at` index).
 */
export class IdempotencyKeys1796100000000 implements MigrationInterface {
  name = 'IdempotencyKeys1796100000000';

  async up(runner: QueryRunner): Promise<void> {
    for (const statement of idempotencyKeysUp('orders')) await runner.query(statement);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const statement of idempotencyKeysDown('orders')) await runner.query(statement);
  }
}
