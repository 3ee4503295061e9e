import { BadRequestException, Injectable } from '@nestjs/common';
import { Registration, RegistrationDto, RegistrationSource, toRegistration } from '@ordercast/contracts';
import { keepMaskedValues, TargetGuard } from '@ordercast/platform';
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
   * Refuses targets that reach private networks (unless allowed) before anything is stored.
   * `adapterId` is the default for registrations an adapter makes along with a payment or shipping.
   *
   * A masked value (`********`, as responses show header values and URL credentials) is never
   * stored: it keeps the value of the `previous` registration with the same reference and target
   * origin (a channel's notifications read, edited and put back), and is refused (400, naming it)
   * otherwise, as it always is for an order's registrations, which are new each time.
   */
  async create(requests: RegistrationDto[], source: RegistrationSource, adapterId?: string, previous: readonly Registration[] = []): Promise<Registration[]> {
    await Promise.all(requests.map((request) => this.assertTargetAllowed(request)));
    const now = new Date();
    const problems: string[] = [];
    const registrations = requests.map((request, index) => {
      const registration = toRegistration({ ...request, adapterId: request.adapterId ?? adapterId }, randomUUID(), source, now);
      const earlier = registration.reference === null ? undefined : previous.find((candidate) => candidate.reference === registration.reference);
      const kept = keepMaskedValues(registration, earlier === undefined ? null : this.vault.openTarget(earlier));
      problems.push(...kept.problems.map((problem) => (requests.length > 1 ? `[${index}].${problem}` : problem)));
      return { ...registration, ...kept.target };
    });
    if (problems.length > 0) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: problems });
    return registrations.map((registration) => this.vault.seal(registration));
  }

  private async assertTargetAllowed(request: RegistrationDto): Promise<void> {
    if (request.url !== undefined) await this.targets.assertAllowed(request.url, 'url');
    if (request.invoke !== undefined) await this.targets.assertAllowed(request.invoke, 'invoke');
  }
}
