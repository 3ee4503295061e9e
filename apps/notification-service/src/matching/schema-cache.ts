import Ajv, { ValidateFunction } from 'ajv';
import { JsonSchema, regexKeywords } from '@ordercast/contracts';

const MAX_CACHED = 5000;

/**
 * Compiles each distinct watch schema once. Registrations repeat the same few schemas on
 * thousands of orders, and compiling is far slower than validating. A schema that does not
 * compile (it was validated at registration, so only a newer Ajv could reject it), or that uses
 * a regular expression (which could backtrack for minutes on an order value), never matches.
 */
export class SchemaCache {
  private readonly ajv = new Ajv({ strict: false, allErrors: false });
  private readonly compiled = new Map<string, ValidateFunction | null>();

  isValid(schema: JsonSchema, value: unknown): boolean {
    if (schema === true) return true;
    if (schema === false) return false;
    const validate = this.validatorFor(schema);
    return validate !== null && validate(value) === true;
  }

  private validatorFor(schema: Record<string, unknown>): ValidateFunction | null {
    const key = JSON.stringify(schema);
    const cached = this.compiled.get(key);
    if (cached !== undefined) return cached;
    if (this.compiled.size >= MAX_CACHED) this.compiled.clear();
    let validate: ValidateFunction | null;
    try {
      // Refused at registration; a change event from before that rule, or from another producer, may still carry one.
      validate = regexKeywords(schema).length > 0 ? null : this.ajv.compile(schema);
    } catch {
      validate = null;
    }
    this.compiled.set(key, validate);
    return validate;
  }
}
