import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RegistrationsModule } from '../notifications/registrations.module';
import { ChannelNotifications } from './channel-notifications.entity';
import { ChannelNotificationsService } from './channel-notifications.service';
import { ChannelsController } from './channels.controller';

@Module({
  imports: [TypeOrmModule.forFeature([ChannelNotifications]), RegistrationsModule],
  controllers: [ChannelsController],
  providers: [ChannelNotificationsService],
})
export class ChannelsModule {}
