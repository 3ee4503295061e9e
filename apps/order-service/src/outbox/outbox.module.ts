import { Module } from '@nestjs/common';
import { RegistrationsModule } from '../notifications/registrations.module';
import { OutboxRelay } from './outbox-relay';
import { OutboxSignal } from './outbox-signal';

@Module({
  imports: [RegistrationsModule],
  providers: [OutboxSignal, OutboxRelay],
  exports: [OutboxSignal],
})
export class OutboxModule {}
