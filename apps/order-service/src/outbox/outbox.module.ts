import { Module } from '@nestjs/common';
import { MetricsModule } from '@ordercast/platform';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay } from './outbox-relay';
import { OutboxSignal } from './outbox-signal';
import { ParkedChanges } from './parked-changes';
import { ParkedChangesController } from './parked-changes.controller';

@Module({
  imports: [MetricsModule],
  controllers: [ParkedChangesController],
  providers: [OutboxSignal, OutboxRelay, OutboxMetrics, ParkedChanges],
  exports: [OutboxSignal],
})
export class OutboxModule {}
