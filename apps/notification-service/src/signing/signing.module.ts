import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeliverySigner } from './delivery-signer';
import { JwksController } from './jwks.controller';
import { SigningKeyEntity } from './signing-key.entity';
import { SigningKeyService } from './signing-key.service';
import { SigningKeysController } from './signing-keys.controller';
import { SIGNING_OPTIONS, SigningOptions } from './signing-options';

/** Delivery signatures (Standard Webhooks and detached JWS), the JWKS and key rotation. Needs `SECRET_BOX` globally. */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKeyEntity])],
  controllers: [JwksController, SigningKeysController],
  providers: [SigningKeyService, DeliverySigner],
  exports: [SigningKeyService, DeliverySigner],
})
export class SigningModule {
  static register(options: SigningOptions): DynamicModule {
    return { module: SigningModule, providers: [{ provide: SIGNING_OPTIONS, useValue: options }] };
  }
}
