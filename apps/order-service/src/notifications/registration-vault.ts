import { Inject, Injectable } from '@nestjs/common';
import { Order, Registration, withTargetSecrets } from '@ordercast/contracts';
import { MASK, maskHeaders, maskSecret, SECRET_BOX, SecretBox } from '@ordercast/platform';

/**
 * Registrations are sealed once, when they are made: header values, the signing secret and the
 * target credentials (OAuth2 client secret, mTLS private key, Kafka SASL password) stay encrypted in the order document, the channel configuration and the outbox. They are
 * opened only to be published on the (internal) bus or to be masked for a response.
 */
@Injectable()
export class RegistrationVault {
  constructor(@Inject(SECRET_BOX) private readonly box: SecretBox) {}

  seal(registration: Registration): Registration {
    return {
      ...withTargetSecrets(registration, (value) => this.box.encrypt(value)),
      headers: this.box.encryptValues(registration.headers),
      secret: registration.secret === null ? null : this.box.encrypt(registration.secret),
    };
  }

  /**
   * An opener for a run of snapshots. It remembers what it decrypted, since one order's
   * registrations recur in every snapshot of a batch (before and after each change).
   */
  opener(): (registration: Registration) => Registration {
    const plain = new Map<string, string>();
    const decrypt = (value: string): string => {
      let result = plain.get(value);
      if (result === undefined) {
        result = this.box.decrypt(value);
        plain.set(value, result);
      }
      return result;
    };
    return (registration) => ({
      ...withTargetSecrets(registration, decrypt),
      headers: Object.fromEntries(Object.entries(registration.headers).map(([name, value]) => [name, decrypt(value)])),
      secret: registration.secret === null ? null : decrypt(registration.secret),
    });
  }

  /** The registration as every response shows it. */
  mask(registration: Registration): Registration {
    return {
      ...withTargetSecrets(registration, () => MASK),
      headers: maskHeaders(this.box.decryptValues(registration.headers)),
      secret: maskSecret(registration.secret),
    };
  }

  maskOrder(order: Order): Order {
    return { ...order, notifications: order.notifications.map((registration) => this.mask(registration)) };
  }
}
