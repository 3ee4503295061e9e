import { postgresOptions } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { orderServiceDatabase } from './order-service.database';

/**
 * For the TypeORM CLI (migration:generate, migration:show, migration:revert), e.g.
 * `DATABASE_URL=... npx typeorm -d dist/apps/order-service/src/data-source.js migration:show`
 * after `npm run build`. The service runs its migrations itself at boot.
 */
export default new DataSource(postgresOptions(orderServiceDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')));
