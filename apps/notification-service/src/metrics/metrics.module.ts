import { Global, Module } from '@nestjs/common';
import { MetricsModule } from '@ordercast/platform';
import { NotificationMetrics } from './notification-metrics';

@Global()
@Module({ imports: [MetricsModule], providers: [NotificationMetrics], exports: [NotificationMetrics] })
export class NotificationMetricsModule {}
