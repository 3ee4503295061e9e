import { Injectable } from '@nestjs/common';
import { brokerHost, Registration, RegistrationDto, RegistrationSource, toRegistration } from '@ordercast/contracts';
import { TargetGuard } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { RegistrationVault } from './registration-vault';

/** Turns validated registration requests into sealed registrations with their own ids. */
@Injectable()
export class RegistrationFactory {
  constructor(
    private readonly targets: TargetGuard,
    private readonly vault: RegistrationVault,
  ) {}

  /**
   * Refuses targets that reach private networks (unless allowed) before anything is stored: the
   * URL, the OAuth2 token URL and the Kafka brokers, each checked again when connecting.
   * `adapterId` is the default for registrations an adapter makes along with a payment or shipping.
   */
  async create(requests: RegistrationDto[], source: RegistrationSource, adapterId?: string): Promise<Registration[]> {
    await Promise.all(requests.map((request) => this.assertTargetAllowed(request)));
    const now = new Date();
    return requests.map((request) =>
      this.vault.seal(toRegistration({ ...request, adapterId: request.adapterId ?? adapterId }, randomUUID(), source, now)));
  }

  private async assertTargetAllowed(request: RegistrationDto): Promise<void> {
    if (request.url !== undefined) await this.targets.assertAllowed(request.url, 'url');
    if (request.invoke !== undefined) await this.targets.assertAllowed(request.invoke, 'invoke');
    if (typeof request.auth?.tokenUrl === 'string') await this.targets.assertAllowed(request.auth.tokenUrl, 'auth.tokenUrl');
    const brokers = (request.kafka?.brokers ?? []) as string[];
    for (const broker of brokers) await this.targets.assertHostAllowed(brokerHost(broker), 'kafka.brokers');
  }
}
