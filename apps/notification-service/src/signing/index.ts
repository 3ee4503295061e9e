import { SigningKeys1795306363286 } from '../migrations/1795306363286-signing-keys';
import { SigningKeyActivation1795500000000 } from '../migrations/1795500000000-signing-key-activation';
import { SigningKeyEntity } from './signing-key.entity';

export * from './delivery-signer';
export * from './detached-jws';
export * from './signing-key.entity';
export * from './signing-key.service';
export * from './signing-options';
export * from './signing.module';
export * from './standard-webhooks';

/** For the notification-service DataSource (app module and data-source.ts). */
export const SIGNING_ENTITIES = [SigningKeyEntity];
export const SIGNING_MIGRATIONS = [SigningKeys1795306363286, SigningKeyActivation1795500000000];
