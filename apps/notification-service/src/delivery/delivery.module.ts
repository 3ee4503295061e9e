import { Module } from '@nestjs/common';
import { TargetGuard } from '@ordercast/platform';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { EmailSender } from '../email/email-sender';
import { DeliverySigner } from '../signing';
import { DeliveryAlertSignal } from './delivery-alert-signal';
import { SIGNER } from './delivery-signer.port';
import { DispatchSignal } from './dispatch-signal';
import { DispatchRepository } from './dispatch.repository';
import { Dispatcher } from './dispatcher';
import { HTTP_INVOKER } from './http-invoker';
import { InstanceHeartbeat } from './instance-heartbeat';
import { MAILER } from './mailer.port';
import { NodeHttpInvoker } from './node-http-invoker';
import { ResultWriter } from './result-writer';

/** Needs the global SigningModule (the signer) and EmailModule (the SMTP sender). */
@Module({
  providers: [
    DispatchSignal,
    DeliveryAlertSignal,
    DispatchRepository,
    InstanceHeartbeat,
    ResultWriter,
    Dispatcher,
    {
      provide: HTTP_INVOKER,
      useFactory: (guard: TargetGuard, config: NotificationServiceConfig) => new NodeHttpInvoker(guard, { maxSocketsPerHost: config.perHostConcurrency }),
      inject: [TargetGuard, NotificationServiceConfig],
    },
    { provide: SIGNER, useExisting: DeliverySigner },
    { provide: MAILER, useExisting: EmailSender },
  ],
  exports: [DispatchSignal, DeliveryAlertSignal],
})
export class DeliveryModule {}
