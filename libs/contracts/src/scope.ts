import canonicalize from 'canonicalize';
import { PAYMENT_STATES, SHIPPING_STATES, ORDER_STATES } from './order';
import { analyseScopeSchema, createScopeAjv } from './scope-schema';

/**
 * One watch of a scope: a JSON pointer into the order plus an optional JSON Schema.
 * It fires when the value at the pointer differs between the previous and the current
 * snapshot and the new value is valid against the schema.
 *
 * `/payments` and `/shippings` watches may name states: they then fire when one payment
 * (or shipping) reaches one of those states, and their label names that state.
 */
export type Watch =
  | { pointer: string; schema?: JsonSchema }
  | { pointer: '/payments' | '/shippings'; states?: string[] };

export type JsonSchema = Record<string, unknown> | boolean;

/** The Norce documentation form: `{ state: [...], payment: true | [...], shipping: true | [...] }`. */
export interface ScopeObject {
  state?: string[];
  payment?: boolean | string[];
  shipping?: boolean | string[];
}

export const STATE_POINTER = '/state/currentStatus';

/**
 * Watches in one scope list. What an order can change is a handful of parts (its state, payments,
 * shippings, cart, customer...), so a few watches say anything a receiver needs; the bound keeps
 * a registration's matching work and its size in every change event small. A list of states
 * (`state`, `payment`, `shipping`, `states`) is bounded by its finite set: each state at most once.
 */
export const MAX_SCOPE_WATCHES = 64;

const ajv = createScopeAjv();

export function isJsonPointer(value: unknown): value is string {
  return typeof value === 'string' && (value === '' || /^(\/([^~/]|~[01])*)+$/.test(value));
}

/**
 * Keywords Ajv compiles into JavaScript regular expressions, which backtrack: a pattern such as
 * `^(a+)+$` checked against an order value a merchant controls would stall matching for every
 * merchant. Scope schemas may not use them.
 */
const REGEX_KEYWORDS = new Set(['pattern', 'patternProperties']);
/** Keywords whose members are names (of properties or definitions), not keywords. */
const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies']);
/** Keywords whose values are data, not schemas. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);

/** Where a schema uses a regular-expression keyword, as JSON pointers; walked without recursion. */
export function regexKeywords(schema: unknown): string[] {
  const found: string[] = [];
  const pending: { node: unknown; path: string; names: boolean }[] = [{ node: schema, path: '', names: false }];
  while (pending.length > 0) {
    const { node, path, names } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const isKeyword = !names && !Array.isArray(node);
      if (isKeyword && REGEX_KEYWORDS.has(key)) found.push(at);
      if (isKeyword && DATA_KEYWORDS.has(key)) continue;
      pending.push({ node: value, path: at, names: isKeyword && NAME_MAPS.has(key) });
    }
  }
  return found.sort();
}

/**
 * What is wrong with a scope's JSON Schema: not an object, a regular expression, an evaluation
 * cost that cannot be bounded (see {@link analyseScopeSchema}), or anything the matcher's Ajv
 * would not compile (an unknown keyword or format included): a schema is refused here rather
 * than silently never matching later.
 */
export function schemaErrors(schema: unknown): string[] {
  if (typeof schema === 'boolean') return [];
  const analysis = analyseScopeSchema(schema);
  if (analysis.errors.length > 0) return analysis.errors;
  const regex = regexKeywords(schema);
  if (regex.length > 0) return [`schema must not use regular expressions (pattern, patternProperties); found at ${regex.slice(0, 5).join(', ')}`];
  try {
    ajv.compile(schema as Record<string, unknown>);
    return [];
  } catch (error) {
    return [`schema is not a valid JSON Schema: ${(error as Error).message}`];
  } finally {
    // Ajv keeps every schema it compiled, keyed by the object: one per registration would never be freed.
    ajv.removeSchema(schema as Record<string, unknown>);
  }
}

/** Validates either scope form (with the API form's `schema` beside it); returns what is wrong. */
export function scopeErrors(scope: unknown, schema?: unknown): string[] {
  if (typeof scope === 'string') {
    const errors = isJsonPointer(scope) && scope !== '' ? pointerErrors(scope, 'scope') : [`scope "${scope.length > 100 ? `${scope.slice(0, 100)}…` : scope}" is not a JSON pointer such as /state/currentStatus`];
    return schema === undefined ? errors : [...errors, ...schemaErrors(schema)];
  }
  if (schema !== undefined) return ['schema is only allowed with a JSON pointer scope'];
  if (Array.isArray(scope)) {
    if (scope.length === 0) return ['scope must not be empty'];
    if (scope.length > MAX_SCOPE_WATCHES) return [`scope must have at most ${MAX_SCOPE_WATCHES} watches; got ${scope.length}`];
    const errors = scope.flatMap((watch, index) => watchErrors(watch, `scope[${index}]`));
    return errors.length > 0 ? errors : repeatedWatchErrors(scope);
  }
  if (typeof scope !== 'object' || scope === null) return ['scope must be an object, a list of watches or a JSON pointer'];
  const { state, payment, shipping, ...rest } = scope as Record<string, unknown>;
  const errors = Object.keys(rest).map((key) => `scope.${key} is not a known scope (state, payment, shipping)`);
  if (state !== undefined) errors.push(...stateListErrors('scope.state', state, ORDER_STATES));
  if (payment !== undefined) errors.push(...flagOrListErrors('scope.payment', payment, PAYMENT_STATES));
  if (shipping !== undefined) errors.push(...flagOrListErrors('scope.shipping', shipping, SHIPPING_STATES));
  if (errors.length === 0 && normaliseScope(scope as ScopeObject).length === 0) errors.push('scope must watch something');
  return errors;
}

function watchErrors(watch: unknown, path: string): string[] {
  if (typeof watch !== 'object' || watch === null) return [`${path} must be an object with a pointer`];
  const { pointer, schema, states, ...rest } = watch as Record<string, unknown>;
  const errors = Object.keys(rest).map((key) => `${path}.${key} is not allowed`);
  if (!isJsonPointer(pointer) || pointer === '') errors.push(`${path}.pointer must be a JSON pointer`);
  else errors.push(...pointerErrors(pointer, `${path}.pointer`));
  if (schema !== undefined) errors.push(...schemaErrors(schema).map((e) => `${path}.${e}`));
  if (states !== undefined) {
    if (pointer === '/payments') errors.push(...stateListErrors(`${path}.states`, states, PAYMENT_STATES));
    else if (pointer === '/shippings') errors.push(...stateListErrors(`${path}.states`, states, SHIPPING_STATES));
    else errors.push(`${path}.states is only allowed on /payments and /shippings`);
  }
  return errors;
}

/**
 * The order's registrations are where notifications go, not order state: a change event's
 * `previous` snapshot leaves them out, so a watch on them could only misfire.
 */
export function watchesRegistrations(pointer: string): boolean {
  return pointer === '/notifications' || pointer.startsWith('/notifications/');
}

/**
 * Characters of a watched JSON pointer. Orders nest a few levels (`/payments/0/state`); a pointer is
 * stored with its registration, carried in every change event and shown in every listing, and one of
 * 240 KB (60,000 segments) was accepted before (attack of 2026-12-02).
 */
export const MAX_POINTER_LENGTH = 256;

function pointerErrors(pointer: string, path: string): string[] {
  if (pointer.length > MAX_POINTER_LENGTH) return [`${path} must be at most ${MAX_POINTER_LENGTH} characters; got ${pointer.length}`];
  return watchesRegistrations(pointer) ? [`${path} cannot watch /notifications: the order's registrations are not order state`] : [];
}

/** The same watch twice matches twice for nothing: each watch of a list must differ from the others. */
function repeatedWatchErrors(scope: unknown[]): string[] {
  const seen = new Map<string, number>();
  return scope.flatMap((watch, index) => {
    const key = canonicalize(watch) ?? '';
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    return first === undefined ? [] : [`scope[${index}] repeats scope[${first}]`];
  });
}

function stateListErrors(path: string, value: unknown, allowed: readonly string[]): string[] {
  if (!Array.isArray(value) || value.length === 0) return [`${path} must be a non-empty list of states`];
  // Each state at most once, so a longer list has a repeat or an unknown state; one message says so instead of one per entry.
  if (value.length > allowed.length) return [`${path} must list each state at most once: at most ${allowed.length} states (${allowed.join(', ')}); got ${value.length}`];
  const unknown = value
    .filter((state) => typeof state !== 'string' || !allowed.includes(state))
    .map((state) => `${path} has unknown state "${String(state)}" (allowed: ${allowed.join(', ')})`);
  const repeated = [...new Set(value.filter((state, index) => value.indexOf(state) !== index))].map((state) => `${path} lists "${String(state)}" more than once`);
  return [...unknown, ...repeated];
}

function flagOrListErrors(path: string, value: unknown, allowed: readonly string[]): string[] {
  if (typeof value === 'boolean') return [];
  return stateListErrors(path, value, allowed);
}

/**
 * Turns either registration form into the list of watches the matcher evaluates.
 * Callers validate with {@link scopeErrors} first.
 */
export function normaliseScope(scope: ScopeObject | Watch[] | string, schema?: JsonSchema): Watch[] {
  if (typeof scope === 'string') return [schema === undefined ? { pointer: scope } : { pointer: scope, schema }];
  if (Array.isArray(scope)) return scope.map((watch) => ({ ...watch }));
  const watches: Watch[] = [];
  if (scope.state?.length) watches.push({ pointer: STATE_POINTER, schema: { enum: [...scope.state] } });
  if (scope.payment === true) watches.push({ pointer: '/payments' });
  else if (Array.isArray(scope.payment)) watches.push({ pointer: '/payments', states: [...scope.payment] });
  if (scope.shipping === true) watches.push({ pointer: '/shippings' });
  else if (Array.isArray(scope.shipping)) watches.push({ pointer: '/shippings', states: [...scope.shipping] });
  return watches;
}
