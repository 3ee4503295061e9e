import { headerErrors, JsonSchema, kafkaDestinationErrors, ListedErrors, scopeErrors, secretErrors, targetAuthErrors, targetUrlErrors } from '@ordercast/contracts';
import { ValidationArguments, ValidatorConstraint } from 'class-validator';

/** Same rule as an order's `X-Channel`. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
export const MAX_CHANNELS = 50;

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

/** The constraint argument of {@link SecretConstraint} on a PATCH. */
export const KEEPS_MASKED = 'keeps-masked';

/**
 * A subscription's signing secret. `@Validate(SecretConstraint, [KEEPS_MASKED])` on a PATCH, where the
 * masked one a response showed keeps the stored secret (the service checks there is one); on a new
 * subscription a masked one has nothing to keep.
 */
@ValidatorConstraint({ name: 'secret' })
export class SecretConstraint extends ListedErrors {
  protected check(value: unknown, args: ValidationArguments): string[] {
    return secretErrors(value, args.constraints?.[0] === KEEPS_MASKED);
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
