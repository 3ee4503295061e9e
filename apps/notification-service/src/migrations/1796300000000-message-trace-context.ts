import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context (`traceparent`, `tracestate`) of what caused a delivery, kept with its
 * message: the ingest span of the change, or the request of a manual send. Every attempt of the
 * delivery, whichever instance makes it and however late, is a span of that trace. Null when
 * tracing is off. Adding a nullable column without a default rewrites nothing.
 */
export class MessageTraceContext1796300000000 implements MigrationInterface {
  name = 'MessageTraceContext1796300000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."messages" ADD COLUMN "trace_context" jsonb`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE "notifications"."messages" DROP COLUMN "trace_context"`);
  }
}
