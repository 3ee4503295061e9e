import Ajv from 'ajv';
import addFormats, { FormatName } from 'ajv-formats';

/**
 * Bounds on a scope's JSON Schema. Matching runs every schema of an order's registrations and of
 * its merchant's subscriptions on each change, inside ingest, for every merchant: a schema whose
 * evaluation cost cannot be bounded up front would stall or crash all of them. A schema chaining
 * `anyOf` through `$defs` 22 levels deep is 1.5 KB of text and 4 million evaluations; a
 * `uniqueItems` over a 30,000-element array is 450 million comparisons.
 */
export const SCOPE_SCHEMA_LIMITS = {
  /** Serialised size. */
  maxBytes: 16_384,
  /** Nesting of objects and arrays in the schema's JSON. */
  maxNesting: 32,
  /** Nesting of anyOf, oneOf, allOf, not and if/then/else, counted through `$ref`. */
  maxCompositionDepth: 8,
  /** Schemas in one anyOf, oneOf or allOf. */
  maxBranches: 16,
  /** `$ref`s followed one inside the other. */
  maxRefDepth: 8,
  /** Schema applications to evaluate one value, every `$ref` followed and every branch taken (see {@link analyseScopeSchema}). */
  maxCost: 1000,
  /** The `maxItems` that uniqueItems and contains need beside them: both scan the whole array, uniqueItems pair by pair. */
  maxScannedItems: 1000,
} as const;

/**
 * The `format`s a scope schema may use: ajv-formats' "fast" forms, whose regular expressions are
 * anchored and cannot backtrack badly. `url` (nested quantifiers) and `regex` (compiles a value
 * a merchant controls) are left out, and an unknown format does not compile, so it is refused.
 */
const SCOPE_FORMATS: FormatName[] = [
  'date', 'time', 'date-time', 'iso-time', 'iso-date-time', 'duration', 'uri', 'uri-reference', 'email', 'hostname',
  'ipv4', 'ipv6', 'uuid', 'json-pointer', 'relative-json-pointer', 'int32', 'int64', 'float', 'double',
];

/**
 * The one Ajv configuration of scope schemas, used at registration and at matching alike, so a
 * schema means the same in both places. Strict about the schema itself (an unknown keyword or
 * format is an error, not silently ignored); lenient about types, which the JSON Schema
 * specification leaves implicit. `$ref`s stay functions of their own (`inlineRefs: false`):
 * inlining copies a referenced schema into every place that uses it, which is how a short chain
 * of `$defs` grew into gigabytes of generated code.
 */
export function createScopeAjv(): Ajv {
  const ajv = new Ajv({
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allErrors: false,
    inlineRefs: false,
    validateFormats: true,
  });
  return addFormats(ajv, { mode: 'fast', formats: SCOPE_FORMATS });
}

/** What matching needs to know about a schema before it runs it. */
export interface SchemaAnalysis {
  /** Why the schema cannot be evaluated within the budget; empty when it can. */
  errors: string[];
  /** Upper bound of schema applications per value node (see {@link analyseScopeSchema}). */
  cost: number;
}

/** Keywords whose value is one subschema applied to the same value (composition). */
const COMPOSING_ONE = new Set(['not', 'if', 'then', 'else']);
/** Keywords whose value is a list of subschemas applied to the same value (composition). */
const COMPOSING_LIST = new Set(['anyOf', 'oneOf', 'allOf']);
/** Keywords whose value is one subschema applied to parts of the value. */
const APPLYING_ONE = new Set([
  'items', 'additionalItems', 'additionalProperties', 'unevaluatedItems', 'unevaluatedProperties', 'contains', 'propertyNames',
]);
/** Keywords whose value is a list of subschemas applied to parts of the value. */
const APPLYING_LIST = new Set(['items', 'prefixItems']);
/** Keywords whose value maps names to subschemas applied to parts of the value. */
const APPLYING_MAP = new Set(['properties', 'dependentSchemas', 'dependencies']);
/** Keywords that change how references resolve, which the analysis does not follow. */
const UNSUPPORTED = new Set(['$id', 'id', '$anchor', '$dynamicRef', '$dynamicAnchor', '$recursiveRef', '$recursiveAnchor', '$data']);
/** Keywords that scan a whole array, and so need a `maxItems` beside them. */
const ARRAY_SCANS = ['uniqueItems', 'contains'] as const;

/**
 * Checks that a scope schema's evaluation cost is bounded and computes that bound: the number
 * of subschemas applied to one value, every `$ref` followed and every branch of a composition
 * counted (anyOf may try them all). Validating a value of n nodes then costs at most
 * cost × n applications, plus what uniqueItems compares within its `maxItems`; matching caps n
 * and the sum per change.
 *
 * Refused: a schema above {@link SCOPE_SCHEMA_LIMITS}, a `$ref` that is not a local JSON
 * pointer or does not resolve, a recursive `$ref`, keywords that re-root references, and
 * uniqueItems or contains without a `maxItems` within bounds. Walks the JSON without
 * recursion first, so the recursive analysis that follows has a bounded stack.
 */
export function analyseScopeSchema(schema: unknown): SchemaAnalysis {
  const limits = SCOPE_SCHEMA_LIMITS;
  if (typeof schema === 'boolean') return { errors: [], cost: 1 };
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { errors: ['schema must be a JSON Schema object'], cost: 0 };
  if (JSON.stringify(schema).length > limits.maxBytes) return { errors: [`schema must be at most ${limits.maxBytes / 1024} KiB`], cost: 0 };
  if (nesting(schema) > limits.maxNesting) return { errors: [`schema must not nest more than ${limits.maxNesting} levels`], cost: 0 };
  return new SchemaWalk(schema as Record<string, unknown>).run();
}

/** Deepest nesting of objects and arrays, walked without recursion. */
function nesting(value: unknown): number {
  let deepest = 0;
  const pending: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  while (pending.length > 0) {
    const { node, depth } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(node)) pending.push({ node: child, depth: depth + 1 });
  }
  return deepest;
}

/** Cost and depths of one subschema, as seen from where it is applied. */
interface Measure {
  cost: number;
  /** Composition keywords nested inside it, through `$ref`s. */
  compositionDepth: number;
  /** `$ref`s followed one inside the other. */
  refDepth: number;
}

const LEAF: Measure = { cost: 1, compositionDepth: 0, refDepth: 0 };

class SchemaWalk {
  private readonly errors = new Set<string>();
  /** Measures of `$ref` targets, each computed once: the bomb refers to each definition twice per level. */
  private readonly resolved = new Map<string, Measure>();
  private readonly resolving = new Set<string>();

  constructor(private readonly root: Record<string, unknown>) {}

  run(): SchemaAnalysis {
    const measure = this.measure(this.root, '');
    const limits = SCOPE_SCHEMA_LIMITS;
    if (measure.compositionDepth > limits.maxCompositionDepth) {
      this.errors.add(`schema nests anyOf/oneOf/allOf/not/if ${measure.compositionDepth} levels deep (through $ref); at most ${limits.maxCompositionDepth} allowed`);
    }
    if (measure.refDepth > limits.maxRefDepth) this.errors.add(`schema follows $ref ${measure.refDepth} levels deep; at most ${limits.maxRefDepth} allowed`);
    if (measure.cost > limits.maxCost) {
      this.errors.add(`schema costs ${measure.cost > 1e9 ? 'over a billion' : measure.cost} evaluations per value (every $ref followed, every branch counted); at most ${limits.maxCost} allowed`);
    }
    return { errors: [...this.errors], cost: measure.cost };
  }

  private measure(node: unknown, path: string): Measure {
    if (typeof node === 'boolean') return LEAF;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return LEAF;
    const schema = node as Record<string, unknown>;
    let cost = 1;
    let compositionDepth = 0;
    let refDepth = 0;
    const add = (child: Measure, composing: boolean) => {
      cost += child.cost;
      compositionDepth = Math.max(compositionDepth, child.compositionDepth + (composing ? 1 : 0));
      refDepth = Math.max(refDepth, child.refDepth);
    };
    for (const [key, value] of Object.entries(schema)) {
      const at = `${path}/${escape(key)}`;
      if (UNSUPPORTED.has(key)) this.errors.add(`${key} is not supported in scope schemas (at ${at})`);
      else if (key === '$ref') {
        const target = this.ref(value, at);
        add({ ...target, refDepth: target.refDepth + 1 }, false);
      } else if (key === 'enum' && Array.isArray(value)) cost += value.length;
      else if (COMPOSING_LIST.has(key) && Array.isArray(value)) {
        if (value.length > SCOPE_SCHEMA_LIMITS.maxBranches) this.errors.add(`${key} at ${at} has ${value.length} branches; at most ${SCOPE_SCHEMA_LIMITS.maxBranches} allowed`);
        value.forEach((branch, index) => add(this.measure(branch, `${at}/${index}`), true));
      } else if (COMPOSING_ONE.has(key)) add(this.measure(value, at), true);
      else if (APPLYING_LIST.has(key) && Array.isArray(value)) value.forEach((item, index) => add(this.measure(item, `${at}/${index}`), false));
      else if (APPLYING_ONE.has(key)) add(this.measure(value, at), false);
      else if (APPLYING_MAP.has(key) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        for (const [name, child] of Object.entries(value)) add(this.measure(child, `${at}/${escape(name)}`), false);
      }
    }
    this.checkArrayScans(schema, path);
    return { cost, compositionDepth, refDepth };
  }

  private checkArrayScans(schema: Record<string, unknown>, path: string): void {
    const bound = SCOPE_SCHEMA_LIMITS.maxScannedItems;
    const maxItems = schema.maxItems;
    const bounded = typeof maxItems === 'number' && Number.isInteger(maxItems) && maxItems <= bound;
    for (const keyword of ARRAY_SCANS) {
      const scans = keyword === 'uniqueItems' ? schema.uniqueItems === true : schema.contains !== undefined;
      if (scans && !bounded) this.errors.add(`${keyword} at ${path || '/'} needs maxItems of at most ${bound} beside it, since it scans the whole array`);
    }
  }

  /** The measure of a `$ref`'s target: a local JSON pointer into this schema, followed once and never in a cycle. */
  private ref(value: unknown, at: string): Measure {
    if (typeof value !== 'string' || !/^#(\/|$)/.test(value)) {
      this.errors.add(`$ref at ${at} must point into the schema itself (#/$defs/...)`);
      return LEAF;
    }
    const known = this.resolved.get(value);
    if (known !== undefined) return known;
    if (this.resolving.has(value)) {
      this.errors.add(`$ref "${value}" at ${at} is recursive`);
      return LEAF;
    }
    const target = resolvePointer(this.root, value.slice(1));
    if (target === undefined) {
      this.errors.add(`$ref "${value}" at ${at} does not resolve`);
      return LEAF;
    }
    this.resolving.add(value);
    const measure = this.measure(target, value.slice(1));
    this.resolving.delete(value);
    this.resolved.set(value, measure);
    return measure;
  }
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The node at a URI fragment's JSON pointer (percent-encoded, as in `$ref`), or undefined. */
function resolvePointer(root: unknown, fragment: string): unknown {
  let pointer: string;
  try {
    pointer = decodeURIComponent(fragment);
  } catch {
    return undefined;
  }
  if (pointer === '') return root;
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
