import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Registration } from '@ordercast/contracts';

/** The notifications a merchant attaches to every new order of a channel (secrets encrypted). */
@Entity({ name: 'channel_notifications' })
export class ChannelNotifications {
  @PrimaryColumn('text')
  merchant!: string;

  @PrimaryColumn('text')
  channel!: string;

  @Column('jsonb')
  registrations!: Registration[];

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
