import { headerErrors, JsonSchema, kafkaDestinationErrors, scopeErrors, secretErrors, targetAuthErrors, targetUrlErrors } from '@ordercast/contracts';
import { ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

/** Same rule as an order's `X-Channel`. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
export const MAX_CHANNELS = 50;

/** A validator that reports every problem a pure checker from contracts finds. */
abstract class ListedErrors implements ValidatorConstraintInterface {
  private errors: string[] = [];
  protected abstract check(value: unknown, args: ValidationArguments): string[];
  validate(value: unknown, args: ValidationArguments): boolean {
    this.errors = this.check(value, args);
    return this.errors.length === 0;
  }
  defaultMessage(): string {
    return this.errors.join('; ');
  }
}

/** Either registration scope form; `schema` (beside it on the same body) goes with a JSON pointer. */
@ValidatorConstraint({ name: 'scope' })
export class ScopeConstraint extends ListedErrors {
  protected check(value: unknown, args: ValidationArguments): string[] {
    return scopeErrors(value, (args.object as { schema?: JsonSchema }).schema);
  }
}

@ValidatorConstraint({ name: 'headers' })
export class HeadersConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return headerErrors(value);
  }
}

/** A new subscription's signing secret: a masked one has nothing to keep. */
@ValidatorConstraint({ name: 'secret' })
export class SecretConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return secretErrors(value);
  }
}

/** A PATCH's signing secret: the masked one a response showed keeps the stored secret (the service checks there is one). */
@ValidatorConstraint({ name: 'secret' })
export class KeptSecretConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return secretErrors(value, true);
  }
}

@ValidatorConstraint({ name: 'target' })
export class TargetUrlConstraint extends ListedErrors {
  protected check(value: unknown, args: ValidationArguments): string[] {
    return targetUrlErrors(value, args.property);
  }
}

@ValidatorConstraint({ name: 'auth' })
export class TargetAuthConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return targetAuthErrors(value);
  }
}

@ValidatorConstraint({ name: 'kafka' })
export class KafkaDestinationConstraint extends ListedErrors {
  protected check(value: unknown): string[] {
    return kafkaDestinationErrors(value);
  }
}
