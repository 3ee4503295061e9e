import { retypeWideColumn, WideColumn } from '@ordercast/platform';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const PAYLOAD: WideColumn = ['"orders"."outbox"', 'payload'];

/**
 * The outbox keeps each change event as the text order-service wrote, which is what the relay
 * publishes: `json` instead of `jsonb`. Nothing queries inside a waiting event on the hot path, and
 * as `jsonb` every event was parsed into a tree on insert and printed again for the relay, which
 * then parsed and serialised it once more: about 80 µs of PostgreSQL CPU per change for a 6 kB
 * event (measured with `::jsonb` against `::json` casts). `event_type` spares the relay reading the
 * event for its `event-type` header; rows written before it have none and are read for it.
 * Changing the type rewrites the table once (it holds a day of events by default, OUTBOX_RETENTION).
 */
export class OutboxPayloadAsWritten1796600000000 implements MigrationInterface {
  name = 'OutboxPayloadAsWritten1796600000000';

  async up(runner: QueryRunner): Promise<void> {
    await retypeWideColumn(PAYLOAD, 'json')(runner);
    await runner.query(`ALTER TABLE "orders"."outbox" ADD COLUMN "event_type" text`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "orders"."outbox" DROP COLUMN "event_type"`);
    await retypeWideColumn(PAYLOAD, 'jsonb')(runner);
  }
}
