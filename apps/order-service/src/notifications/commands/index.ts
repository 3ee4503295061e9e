import { RegisterNotificationHandler } from './register-notification.handler';
import { RemoveNotificationHandler } from './remove-notification.handler';

export const NOTIFICATION_COMMAND_HANDLERS = [RegisterNotificationHandler, RemoveNotificationHandler];
