import { Injectable } from '@nestjs/common';
import type { Order, Registration } from '@ordercast/contracts';
import { RegistrationVault } from '../notifications/registration-vault';
import { OrderStore } from './order-store';

/** Reads for the API: what a merchant may see of its orders, secrets masked. */
@Injectable()
export class OrderQueries {
  constructor(
    private readonly orders: OrderStore,
    private readonly vault: RegistrationVault,
  ) {}

  async order(merchant: string, orderId: string): Promise<Order> {
    return this.vault.maskOrder(await this.orders.find(merchant, orderId));
  }

  async notifications(merchant: string, orderId: string): Promise<Registration[]> {
    return (await this.order(merchant, orderId)).notifications;
  }
}
