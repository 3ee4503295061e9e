import { idempotencyKeysDown, idempotencyKeysUp, runStatements } from '@ordercast/platform';
import type { MigrationInterface } from 'typeorm';

/**
 * The Idempotency-Key of every write that sent one, with the request's fingerprint and the sealed
 * response to replay (libs/platform idempotency). Written in the request's transaction, so a key
 * exists exactly when its change does. A merchant table: row-level security like the others.
 * Keys expire after 24 hours; the outbox relay's purge deletes them (`created_at` index).
 */
export class IdempotencyKeys1796100000000 implements MigrationInterface {
  name = 'IdempotencyKeys1796100000000';

  up = runStatements(idempotencyKeysUp('orders'));
  down = runStatements(idempotencyKeysDown('orders'));
}
