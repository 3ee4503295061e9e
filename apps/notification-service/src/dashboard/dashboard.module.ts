import { Module } from '@nestjs/common';
import { DashboardAssets } from './dashboard-assets';
import { DashboardController } from './dashboard.controller';

/** Serves the operator dashboard at `/dashboard`; the page uses the public events API. */
@Module({
  controllers: [DashboardController],
  providers: [DashboardAssets],
})
export class DashboardModule {}
