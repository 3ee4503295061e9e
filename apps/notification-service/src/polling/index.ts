import { PollMessages1795306400000 } from '../migrations/1795306400000-poll-messages';
import { PollMessageEntity } from './poll-message.entity';

export * from './poll-message.entity';
export * from './poll-options';
export * from './poll-queue';
export * from './polling.module';

/** For the notification-service DataSource (app module and data-source.ts). */
export const POLLING_ENTITIES = [PollMessageEntity];
export const POLLING_MIGRATIONS = [PollMessages1795306400000];
