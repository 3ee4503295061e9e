import { Command } from '@nestjs/cqrs';
import type { Registration, RegistrationDto } from '@ordercast/contracts';

/** Resolves to the registration as the API shows it (masked). */
export class RegisterNotificationCommand extends Command<Registration> {
  constructor(
    readonly merchant: string,
    readonly orderId: string,
    readonly request: RegistrationDto,
  ) {
    super();
  }
}
