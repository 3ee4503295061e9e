import { ConflictException } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Order } from '@ordercast/contracts';
import { RegistrationVault } from '../../notifications/registration-vault';
import { transition } from '../order-state-machine';
import { OrderStore } from '../order-store';
import { ChangeOrderStateCommand } from './change-order-state.command';

@CommandHandler(ChangeOrderStateCommand)
export class ChangeOrderStateHandler implements ICommandHandler<ChangeOrderStateCommand> {
  constructor(
    private readonly orders: OrderStore,
    private readonly vault: RegistrationVault,
  ) {}

  async execute({ merchant, orderId, target }: ChangeOrderStateCommand): Promise<Order> {
    const order = await this.orders.change(merchant, orderId, (current, now) => {
      const from = current.state.currentStatus;
      const verdict = transition(from, target);
      if (!verdict.legal) {
        throw new ConflictException({ statusCode: 409, error: 'Conflict', message: verdict.reason, allowed: verdict.allowed });
      }
      return {
        type: 'order.state.changed',
        change: { kind: 'state', from, to: target },
        order: {
          ...current,
          state: { currentStatus: target, transitions: [...current.state.transitions, { status: target, timeStamp: now.toISOString() }] },
        },
      };
    });
    return this.vault.maskOrder(order);
  }
}
