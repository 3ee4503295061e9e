import { Module } from '@nestjs/common';
import { MetricsModule } from '@ordercast/platform';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxRelay } from './outbox-relay';
import { OutboxSignal } from './outbox-signal';

@Module({
  imports: [MetricsModule],
  providers: [OutboxSignal, OutboxRelay, OutboxMetrics],
  exports: [OutboxSignal],
})
export class OutboxModule {}
