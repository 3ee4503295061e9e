import type { ValidateFunction } from 'ajv';
import { analyseScopeSchema, createScopeAjv, regexKeywords } from '@ordercast/contracts';

const MAX_CACHED = 5000;

/** A schema ready to run: its validator and the bound on schema applications per value node. */
export interface PreparedSchema {
  validate: ValidateFunction;
  cost: number;
}

/** Why a schema is never run: registration refuses it, but a change event from before that rule, or from another producer, may carry it. */
export interface RefusedSchema {
  refused: string;
}

/**
 * Compiles each distinct watch schema once, with the same Ajv configuration registration
 * validates with. Registrations repeat the same few schemas on thousands of orders, and
 * compiling is far slower than validating. A schema registration would refuse (a regular
 * expression, which could backtrack for minutes on an order value; an evaluation cost without
 * bound; one that does not compile) is remembered as refused with the reason, never compiled.
 */
export class SchemaCache {
  private readonly ajv = createScopeAjv();
  private readonly prepared = new Map<string, PreparedSchema | RefusedSchema>();

  prepare(schema: Record<string, unknown>): PreparedSchema | RefusedSchema {
    const key = JSON.stringify(schema);
    const cached = this.prepared.get(key);
    if (cached !== undefined) {
      // Least recently used goes first: a merchant registering thousands of distinct schemas pushes out
      // its own, not every merchant's at once (clearing the whole cache made everyone's compile again).
      this.prepared.delete(key);
      this.prepared.set(key, cached);
      return cached;
    }
    if (this.prepared.size >= MAX_CACHED) this.prepared.delete(this.prepared.keys().next().value as string);
    const entry = this.compile(schema);
    this.prepared.set(key, entry);
    return entry;
  }

  private compile(schema: Record<string, unknown>): PreparedSchema | RefusedSchema {
    const analysis = analyseScopeSchema(schema);
    if (analysis.errors.length > 0) return { refused: analysis.errors.join('; ') };
    if (regexKeywords(schema).length > 0) return { refused: 'schema uses a regular expression (pattern, patternProperties)' };
    try {
      return { validate: this.ajv.compile(schema), cost: analysis.cost };
    } catch (error) {
      return { refused: `schema does not compile: ${(error as Error).message}` };
    } finally {
      // The validator stays usable; Ajv's own cache, keyed by the object, would otherwise keep every schema seen.
      this.ajv.removeSchema(schema);
    }
  }
}
