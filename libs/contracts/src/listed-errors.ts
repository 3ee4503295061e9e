import { ValidationArguments, ValidatorConstraintInterface } from 'class-validator';

/**
 * A class-validator constraint that reports every problem a pure checker of these contracts finds,
 * as one message: the services' DTOs validate with the same functions their other callers use.
 */
export abstract class ListedErrors implements ValidatorConstraintInterface {
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
