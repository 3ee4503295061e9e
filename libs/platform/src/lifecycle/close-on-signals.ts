import type { INestApplication, LoggerService } from '@nestjs/common';

/**
 * Graceful shutdown on SIGTERM or SIGINT: `app.close()` runs every shutdown hook (the dispatcher
 * stops claiming and finishes or releases what it holds, the Kafka consumer commits and leaves
 * its group, connections close), then `afterClose` (an embedded PostgreSQL stops once nothing is
 * connected to it), then the process exits 0, or 1 if closing failed. A second
 * signal is not caught, so it ends a shutdown that hangs.
 *
 * Nest's own enableShutdownHooks() re-raises the signal after closing, which makes an orderly
 * stop indistinguishable from a kill to the process supervisor.
 */
export function closeOnSignals(app: INestApplication, logger: LoggerService, afterClose: () => Promise<void> = async () => undefined): void {
  const shutdown = (signal: NodeJS.Signals) => {
    logger.log({ msg: `${signal} received: stopping`, signal });
    app.close().then(afterClose).then(
      () => {
        logger.log({ msg: 'stopped' });
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ msg: 'shutdown failed', reason: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
