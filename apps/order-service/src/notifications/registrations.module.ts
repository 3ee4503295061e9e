import { Module } from '@nestjs/common';
import { RegistrationFactory } from './registration-factory';
import { RegistrationVault } from './registration-vault';

/** Making, sealing and masking registrations: shared by every feature that accepts them. */
@Module({
  providers: [RegistrationFactory, RegistrationVault],
  exports: [RegistrationFactory, RegistrationVault],
})
export class RegistrationsModule {}
