import { DynamicModule, Module } from '@nestjs/common';
import { EMAIL_OPTIONS, EmailOptions } from './email-options';
import { EmailSender } from './email-sender';

/** Email delivery over SMTP. Register it once (global), so every user shares one connection pool. */
@Module({
  providers: [EmailSender],
  exports: [EmailSender],
})
export class EmailModule {
  static register(options: EmailOptions): DynamicModule {
    return { module: EmailModule, global: true, providers: [{ provide: EMAIL_OPTIONS, useValue: options }] };
  }
}
