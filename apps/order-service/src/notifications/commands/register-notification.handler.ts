import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Registration } from '@ordercast/contracts';
import { OrderStore } from '../../orders/order-store';
import { withRegistrations } from '../order-registrations';
import { RegistrationFactory } from '../registration-factory';
import { RegistrationVault } from '../registration-vault';
import { RegisterNotificationCommand } from './register-notification.command';

@CommandHandler(RegisterNotificationCommand)
export class RegisterNotificationHandler implements ICommandHandler<RegisterNotificationCommand> {
  constructor(
    private readonly orders: OrderStore,
    private readonly registrations: RegistrationFactory,
    private readonly vault: RegistrationVault,
  ) {}

  async execute({ merchant, orderId, request }: RegisterNotificationCommand): Promise<Registration> {
    const [registration] = await this.registrations.create([request], 'order');
    await this.orders.change(merchant, orderId, (current) => ({
      type: 'order.notifications.changed',
      change: { kind: 'notifications', added: [registration.id], removed: [] },
      order: withRegistrations(current, [registration]),
    }));
    return this.vault.mask(registration);
  }
}
