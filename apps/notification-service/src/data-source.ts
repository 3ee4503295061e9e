import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { postgresOptions } from '@ordercast/platform';
import { notificationDatabase } from './notification-database';

/** For the TypeORM CLI (`typeorm -d dist/apps/notification-service/src/data-source.js migration:show`). */
export default new DataSource(postgresOptions(notificationDatabase(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5433/postgres')));
