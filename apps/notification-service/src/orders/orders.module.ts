import { Module } from '@nestjs/common';
import { OrderSnapshotStore } from './order-snapshot.store';

@Module({ providers: [OrderSnapshotStore], exports: [OrderSnapshotStore] })
export class OrdersModule {}
