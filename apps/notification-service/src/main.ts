import { loadConfig, runService } from '@ordercast/platform';
import { NotificationServiceConfig } from './config/notification-service.config';
import { createNotificationServiceApp } from './create-notification-service-app';

runService({ name: 'notification-service', loadConfig: () => loadConfig(NotificationServiceConfig), createApp: createNotificationServiceApp });
