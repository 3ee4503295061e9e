import { Inject, Injectable } from '@nestjs/common';
import { Order, Registration, withTargetSecrets } from '@ordercast/contracts';
import { maskSealedHeaders, maskSecret, maskTargetConnection, maskUrlCredentials, openUrlCredentials, SECRET_BOX, SecretBox, sealUrlCredentials } from '@ordercast/platform';

/**
 * Registrations are sealed once, when they are made: header values, the signing secret, the
 * credentials in the target URL's query and the target credentials (OAuth2 client secret, mTLS
 * private key, Kafka SASL password) stay encrypted in the order document, the channel
 * configuration, the outbox and on the bus. order-service opens only the visible header values,
 * to show them in a response; notification-service (sharing the key) opens the rest to call the target.
 */
@Injectable()
export class RegistrationVault {
  constructor(@Inject(SECRET_BOX) private readonly box: SecretBox) {}

  seal(registration: Registration): Registration {
    return {
      ...withTargetSecrets(registration, (value) => this.box.encrypt(value, 'target-credentials')),
      url: sealUrlCredentials(registration.url, this.box),
      headers: this.box.encryptValues(registration.headers, 'header-values'),
      secret: registration.secret === null ? null : this.box.encrypt(registration.secret, 'signing-secrets'),
    };
  }

  /** The header values, URL credentials, target credentials and secret of a sealed registration in the clear, to keep the ones a request sent back masked. */
  openSecrets(registration: Registration): Pick<Registration, 'url' | 'headers' | 'secret' | 'auth' | 'kafka'> {
    return {
      ...withTargetSecrets({ auth: registration.auth, kafka: registration.kafka }, (value) => this.box.decrypt(value, 'target-credentials')),
      url: registration.url === null ? null : openUrlCredentials(registration.url, this.box),
      headers: this.box.decryptValues(registration.headers, 'header-values'),
      secret: registration.secret === null ? null : this.box.decrypt(registration.secret, 'signing-secrets'),
    };
  }

  /** The registration as every response shows it. */
  mask(registration: Registration): Registration {
    return {
      ...maskTargetConnection(registration),
      url: maskUrlCredentials(registration.url),
      headers: maskSealedHeaders(registration.headers, (value) => this.box.decrypt(value, 'header-values')),
      secret: maskSecret(registration.secret),
    };
  }

  maskOrder(order: Order): Order {
    return { ...order, notifications: order.notifications.map((registration) => this.mask(registration)) };
  }
}
