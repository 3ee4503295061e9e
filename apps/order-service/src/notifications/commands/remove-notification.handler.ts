import { NotFoundException } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OrderStore } from '../../orders/order-store';
import { RemoveNotificationCommand } from './remove-notification.command';

@CommandHandler(RemoveNotificationCommand)
export class RemoveNotificationHandler implements ICommandHandler<RemoveNotificationCommand> {
  constructor(private readonly orders: OrderStore) {}

  async execute({ merchant, orderId, notificationId }: RemoveNotificationCommand): Promise<void> {
    await this.orders.change(merchant, orderId, (current) => {
      if (!current.notifications.some((registration) => registration.id === notificationId)) {
        throw new NotFoundException(`notification ${notificationId} not found on order ${orderId}`);
      }
      return {
        type: 'order.notifications.changed',
        change: { kind: 'notifications', added: [], removed: [notificationId] },
        order: { ...current, notifications: current.notifications.filter((registration) => registration.id !== notificationId) },
      };
    });
  }
}
