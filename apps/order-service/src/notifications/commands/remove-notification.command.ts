import { Command } from '@nestjs/cqrs';

export class RemoveNotificationCommand extends Command<void> {
  constructor(
    readonly merchant: string,
    readonly orderId: string,
    readonly notificationId: string,
  ) {
    super();
  }
}
