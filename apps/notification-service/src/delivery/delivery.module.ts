import { Module } from '@nestjs/common';
import { TargetGuard } from '@ordercast/platform';
import { CLOCK, Clock } from '../clock';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { EmailSender } from '../email/email-sender';
import { DeliverySigner } from '../signing';
import { AuthenticatingInvoker } from './authenticating-invoker';
import { SIGNER } from './delivery-signer.port';
import { DispatchSignal } from './dispatch-signal';
import { DispatchRepository } from './dispatch.repository';
import { Dispatcher } from './dispatcher';
import { HTTP_INVOKER } from './http-invoker';
import { InstanceHeartbeat } from './instance-heartbeat';
import { KAFKA_PRODUCERS } from './kafka-producer.port';
import { KafkaSender } from './kafka-sender';
import { KafkajsProducers } from './kafkajs-producers';
import { MAILER } from './mailer.port';
import { NodeHttpInvoker } from './node-http-invoker';
import { OAuth2Tokens } from './oauth2-tokens';
import { ResultWriter } from './result-writer';
import { targetCertificateAuthorities } from './target-ca';

/** Needs the global SigningModule (the signer) and EmailModule (the SMTP sender). */
@Module({
  providers: [
    DispatchSignal,
    DispatchRepository,
    InstanceHeartbeat,
    ResultWriter,
    Dispatcher,
    KafkaSender,
    {
      provide: KAFKA_PRODUCERS,
      useFactory: (guard: TargetGuard, config: NotificationServiceConfig) => new KafkajsProducers(guard, { ca: targetCertificateAuthorities(config) }),
      inject: [TargetGuard, NotificationServiceConfig],
    },
    {
      provide: HTTP_INVOKER,
      useFactory: (guard: TargetGuard, config: NotificationServiceConfig, clock: Clock) => {
        const plain = new NodeHttpInvoker(guard, { maxSocketsPerHost: config.perHostConcurrency, ca: targetCertificateAuthorities(config) });
        return new AuthenticatingInvoker(plain, new OAuth2Tokens(plain, () => clock.now().getTime(), config.deliveryTimeoutMs));
      },
      inject: [TargetGuard, NotificationServiceConfig, CLOCK],
    },
    { provide: SIGNER, useExisting: DeliverySigner },
    { provide: MAILER, useExisting: EmailSender },
  ],
  exports: [DispatchSignal],
})
export class DeliveryModule {}
