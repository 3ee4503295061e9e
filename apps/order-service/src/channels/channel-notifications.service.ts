import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Registration } from '@ordercast/contracts';
import { Repository } from 'typeorm';
import { RegistrationFactory } from '../notifications/registration-factory';
import { RegistrationVault } from '../notifications/registration-vault';
import { MerchantPublishRate } from '../orders/merchant-publish-rate';
import { OrderBudget } from '../orders/order-budget';
import { orderTooLarge } from '../orders/order-too-large';
import { ChannelNotifications } from './channel-notifications.entity';
import type { ChannelRegistrationRequest } from './parse-channel-registrations.pipe';

/**
 * The notifications a channel attaches to each order created in it after they were configured
 * (`OrderStore.create` copies them onto the order in the statement that stores it).
 */
@Injectable()
export class ChannelNotificationsService {
  constructor(
    @InjectRepository(ChannelNotifications) private readonly channels: Repository<ChannelNotifications>,
    private readonly registrations: RegistrationFactory,
    private readonly vault: RegistrationVault,
    private readonly budget: OrderBudget,
    private readonly rate: MerchantPublishRate,
  ) {}

  async list(merchant: string, channel: string): Promise<Registration[]> {
    return (await this.stored(merchant, channel)).map((registration) => this.vault.mask(registration));
  }

  /**
   * Replaces the channel's notifications; orders that already exist keep the ones they got.
   * Notifications that alone would take an order past its byte budget are refused (413): no
   * order could ever be created in the channel. A notification put back as a GET showed it
   * replaces the stored one with the same id (or, without an id, the same reference), keeping the
   * secrets it shows masked (see {@link RegistrationFactory.replace}).
   */
  async replace(merchant: string, channel: string, requests: ChannelRegistrationRequest[]): Promise<Registration[]> {
    const stored = await this.stored(merchant, channel);
    const registrations = await this.registrations.replace(requests.map(({ registration, id, keepSecret }) => ({
      request: registration,
      keepSecret,
      previous: stored.find((candidate) => (id !== null ? candidate.id === id : registration.reference !== undefined && candidate.reference === registration.reference)) ?? null,
    })), 'channel');
    const serialized = JSON.stringify(registrations);
    const problem = this.budget.channelProblem(Buffer.byteLength(serialized));
    if (problem !== null) throw orderTooLarge(problem, this.budget);
    await this.channels.query(
      `INSERT INTO orders.channel_notifications (merchant, channel, registrations, updated_at) VALUES ($1, $2, $3::jsonb, now())
       ON CONFLICT (merchant, channel) DO UPDATE SET registrations = excluded.registrations, updated_at = excluded.updated_at`,
      [merchant, channel, serialized],
    );
    // Each order created in the channel now carries these: its publish charge counts them up front.
    this.rate.noteCopies(merchant, channel, Buffer.byteLength(serialized));
    return registrations.map((registration) => this.vault.mask(registration));
  }

  private async stored(merchant: string, channel: string): Promise<Registration[]> {
    const row = await this.channels.findOne({ where: { merchant, channel } });
    return row?.registrations ?? [];
  }
}
