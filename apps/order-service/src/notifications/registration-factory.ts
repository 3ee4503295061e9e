import { BadRequestException, Injectable } from '@nestjs/common';
import { brokerHost, MASKED_SECRET_WITHOUT_STORED, Registration, RegistrationDto, RegistrationSource, toRegistration } from '@ordercast/contracts';
import { keepMaskedValues, TargetGuard } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { RegistrationVault } from './registration-vault';

/** A registration request and the stored one it replaces, if any. */
export interface ReplacingRegistration {
  request: RegistrationDto;
  previous: Registration | null;
  /** The request's secret was the masked one a response showed: keep `previous`'s. */
  keepSecret: boolean;
}

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
   * A masked value (`********`, as responses show header values, URL and target credentials) is refused
   * (400, naming it): these registrations are new, there is nothing stored to keep.
   */
  async create(requests: RegistrationDto[], source: RegistrationSource, adapterId?: string): Promise<Registration[]> {
    return this.replace(requests.map((request) => ({ request: { ...request, adapterId: request.adapterId ?? adapterId }, previous: null, keepSecret: false })), source);
  }

  /**
   * Registrations that replace stored ones (a channel's, read, edited and put back): a masked
   * header value, URL credential, OAuth2 client secret or SASL password keeps the `previous`
   * registration's value while the target origin is the same (see `keepMaskedValues`), a masked secret keeps its secret (wherever the
   * target moved: receivers only ever see signatures; see `MASKED_SECRET`), and a registration with a `previous` one
   * keeps its id. A masked value with nothing to keep is refused (400, naming it): it is never stored.
   */
  async replace(items: ReplacingRegistration[], source: RegistrationSource): Promise<Registration[]> {
    await Promise.all(items.map(({ request }) => this.assertTargetAllowed(request)));
    const now = new Date();
    const problems: string[] = [];
    const registrations = items.map(({ request, previous, keepSecret }, index) => {
      const registration = toRegistration(request, previous?.id ?? randomUUID(), source, now);
      const stored = previous === null ? null : this.vault.openSecrets(previous);
      const kept = keepMaskedValues(registration, stored);
      const label = items.length > 1 ? `[${index}].` : '';
      problems.push(...kept.problems.map((problem) => `${label}${problem}`));
      if (keepSecret && !stored?.secret) problems.push(`${label}${MASKED_SECRET_WITHOUT_STORED}`);
      return { ...registration, ...kept.target, secret: keepSecret ? stored?.secret ?? null : registration.secret };
    });
    if (problems.length > 0) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: problems });
    return registrations.map((registration) => this.vault.seal(registration));
  }

  private async assertTargetAllowed(request: RegistrationDto): Promise<void> {
    if (request.url !== undefined) await this.targets.assertAllowed(request.url, 'url');
    if (request.invoke !== undefined) await this.targets.assertAllowed(request.invoke, 'invoke');
    if (typeof request.auth?.tokenUrl === 'string') await this.targets.assertAllowed(request.auth.tokenUrl, 'auth.tokenUrl');
    const brokers = (request.kafka?.brokers ?? []) as string[];
    for (const broker of brokers) await this.targets.assertHostAllowed(brokerHost(broker), 'kafka.brokers');
  }
}
