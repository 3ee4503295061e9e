import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliverySigner } from './delivery-signer';
import { JwksController } from './jwks.controller';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningKeyService } from './signing-key.service';
import { SigningKeysController } from './signing-keys.controller';
import { SIGNING_OPTIONS, SigningOptions } from './signing-options';

/**
 * Delivery signatures (Standard Webhooks and detached JWS), the JWKS and key rotation. Needs
 * `SECRET_BOX` globally. Register it once: it is global, because the dispatcher, the JWKS and
 * rotation must share one key service (a rotation must switch the key the dispatcher signs with).
 */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKeyEntity])],
  controllers: [JwksController, SigningKeysController],
  providers: [SigningKeyService, DeliverySigner],
  exports: [SigningKeyService, DeliverySigner],
})
export class SigningModule {
  static register(options: SigningOptions): DynamicModule {
    return { module: SigningModule, global: true, providers: [{ provide: SIGNING_OPTIONS, useValue: options }] };
  }
}
