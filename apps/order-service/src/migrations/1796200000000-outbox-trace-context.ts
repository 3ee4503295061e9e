import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context (`traceparent`, `tracestate`) of the request that wrote a change, kept with
 * its outbox row so the relay's publish continues that request's trace. Null when tracing is off.
 * Adding a nullable column without a default rewrites nothing.
 */
export class OutboxTraceContext1796200000000 implements MigrationInterface {
  name = 'OutboxTraceContext1796200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "orders"."outbox" ADD COLUMN "trace_context" jsonb`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "orders"."outbox" DROP COLUMN "trace_context"`);
  }
}
