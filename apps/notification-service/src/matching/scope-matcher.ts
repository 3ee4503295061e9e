import { STATE_POINTER, watchesRegistrations, type JsonSchema, type Order, type PreviousOrder, type Watch } from '@ordercast/contracts';
import { deepEqual } from './deep-equal';
import { valueAtPointer } from './json-pointer';
import { PreparedSchema, SchemaCache } from './schema-cache';

/** Something with a scope: an order's registration or a merchant's subscription. */
export interface Watcher {
  scope: Watch[];
}

export interface ScopeMatch<T extends Watcher> {
  target: T;
  /** The Event's scope label: `state.<status>`, `payment.<state>`, `shipping.<state>` or the pointer. */
  label: string;
}

/**
 * Why a watch's schema was not run, which makes it a non-match: `schema` (registration would
 * refuse it), `value` (the value at the pointer is larger than a schema may be run on) or
 * `budget` (the change has spent its matching budget).
 */
export type RefusalKind = 'schema' | 'value' | 'budget';

interface WatchRefusal {
  kind: RefusalKind;
  reason: string;
}

export interface Refusal<T extends Watcher> extends WatchRefusal {
  target: T;
  pointer: string;
}

export interface MatchOutcome<T extends Watcher> {
  matches: ScopeMatch<T>[];
  refusals: Refusal<T>[];
}

/**
 * What one change may cost to match. A schema's cost (schema applications per value node, from
 * its analysis) times the nodes of the value it runs on bounds the work of running it, so both
 * limits are counted before anything runs and the result does not depend on timing: a
 * redelivered change matches the same way.
 */
export interface MatchBudget {
  /** Nodes (objects, arrays, scalars) of the largest value a schema is run on. */
  maxValueNodes: number;
  /** Schema applications (cost × nodes) over every schema run for one change. */
  maxStepsPerChange: number;
}

/**
 * Validation runs on the event loop, so a change's budget is what every other merchant may wait
 * for: a schema application costs up to about half a microsecond here (when branches fail, Ajv
 * builds an error object for each), so 200,000 of them are about 100 ms at worst, and the common
 * watches (a state enum: a few applications) never come near it.
 */
export const DEFAULT_MATCH_BUDGET: MatchBudget = { maxValueNodes: 10_000, maxStepsPerChange: 200_000 };

const COLLECTIONS = { '/payments': 'payment', '/shippings': 'shipping' } as const;
type CollectionPointer = keyof typeof COLLECTIONS;

interface CollectionItem {
  id: string;
  state: string;
}

/**
 * The one matching rule of the design: a watch fires when the value at its JSON pointer
 * differs between `previous` and `order` (deep equality; with no previous snapshot every old
 * value is undefined) and the new value is valid against the watch's schema. The order's
 * registrations are not watched (`previous` does not carry them).
 *
 * `/payments` and `/shippings` fire once per payment or shipping that is new, changed or gone,
 * labelled with its (new) state; a watch with `states` fires only for those that reached one of
 * them. One target yields at most one match per label, so a change touching two of its
 * watches gives two matches and a watch listed twice gives one.
 */
export class ScopeMatcher {
  constructor(
    private readonly budget: MatchBudget = DEFAULT_MATCH_BUDGET,
    private readonly schemas = new SchemaCache(),
  ) {}

  match<T extends Watcher>(targets: readonly T[], previous: PreviousOrder | null, order: Order): ScopeMatch<T>[] {
    return this.evaluate(targets, previous, order).matches;
  }

  /**
   * The matches of one change, and the watches whose schema was not run because it would exceed
   * the budget (see {@link MatchBudget}): those are non-matches the caller records. Targets are
   * evaluated in the order given, so a change that runs out of budget refuses the same ones on
   * every delivery.
   */
  evaluate<T extends Watcher>(targets: readonly T[], previous: PreviousOrder | null, order: Order): MatchOutcome<T> {
    const change: ChangeWork = { remaining: this.budget.maxStepsPerChange, values: new Map(), verdicts: new Map() };
    const outcome: MatchOutcome<T> = { matches: [], refusals: [] };
    for (const target of targets) {
      const labels = new Set<string>();
      for (const watch of target.scope) {
        const fired = this.fire(watch, previous, order, change);
        if (Array.isArray(fired)) for (const label of fired) labels.add(label);
        else outcome.refusals.push({ target, pointer: watch.pointer, ...fired });
      }
      for (const label of labels) outcome.matches.push({ target, label });
    }
    return outcome;
  }

  /** The distinct labels of the watches that fire, in watch order. */
  labels(watches: readonly Watch[], previous: PreviousOrder | null, order: Order): string[] {
    return this.match([{ scope: [...watches] }], previous, order).map((match) => match.label);
  }

  private fire(watch: Watch, previous: PreviousOrder | null, order: Order, change: ChangeWork): string[] | WatchRefusal {
    // Refused at registration; one stored before the rule must not fire on every change.
    if (watchesRegistrations(watch.pointer)) return [];
    const { before, after, changed } = pointerValues(watch.pointer, previous, order, change);
    if (!changed) return [];
    if ('schema' in watch && watch.schema !== undefined) {
      const verdict = this.check(watch.schema, watch.pointer, after, change);
      if (verdict !== true) return verdict === false ? [] : verdict;
    }
    if (isCollectionPointer(watch.pointer)) {
      const states = 'states' in watch ? watch.states : undefined;
      return collectionLabels(COLLECTIONS[watch.pointer], before, after, states);
    }
    return [watch.pointer === STATE_POINTER ? `state.${String(after)}` : watch.pointer];
  }

  /**
   * Whether the value at `pointer` is valid against the schema, or why the schema is not run on it.
   * The same schema on the same pointer is run once per change, however many watches repeat it.
   */
  private check(schema: JsonSchema, pointer: string, value: unknown, change: ChangeWork): boolean | WatchRefusal {
    if (typeof schema === 'boolean') return schema;
    const prepared = this.schemas.prepare(schema);
    if ('refused' in prepared) return { kind: 'schema', reason: prepared.refused };
    const byPointer = change.verdicts.get(prepared) ?? new Map<string, boolean | WatchRefusal>();
    change.verdicts.set(prepared, byPointer);
    let verdict = byPointer.get(pointer);
    if (verdict === undefined) {
      verdict = this.run(prepared, value, change);
      byPointer.set(pointer, verdict);
    }
    return verdict;
  }

  private run(prepared: PreparedSchema, value: unknown, steps: { remaining: number }): boolean | WatchRefusal {
    const nodes = countNodes(value, this.budget.maxValueNodes);
    if (nodes > this.budget.maxValueNodes) {
      return { kind: 'value', reason: `the value has more than ${this.budget.maxValueNodes} nodes, the most a schema is run on` };
    }
    const cost = prepared.cost * nodes;
    if (cost > steps.remaining) {
      return { kind: 'budget', reason: `running the schema takes up to ${cost} steps; the change has ${steps.remaining} of its ${this.budget.maxStepsPerChange} left` };
    }
    steps.remaining -= cost;
    try {
      return prepared.validate(value) === true;
    } catch (error) {
      return { kind: 'schema', reason: `the schema failed on the value: ${(error as Error).message}` };
    }
  }
}

/**
 * What matching one change has done so far: the steps left of its budget, each watched pointer's
 * values before and after (with whether they differ), and each (pointer, schema) verdict. Watches
 * repeat pointers and schemas (fifty registrations on one order may watch the same field the same
 * way), and none of that work depends on the watch, so it is done once per change.
 */
interface ChangeWork {
  remaining: number;
  values: Map<string, { before: unknown; after: unknown; changed: boolean }>;
  verdicts: Map<PreparedSchema, Map<string, boolean | WatchRefusal>>;
}

function pointerValues(pointer: string, previous: PreviousOrder | null, order: Order, change: ChangeWork): { before: unknown; after: unknown; changed: boolean } {
  let values = change.values.get(pointer);
  if (values === undefined) {
    const before = previous === null ? undefined : valueAtPointer(previous, pointer);
    const after = valueAtPointer(order, pointer);
    values = { before, after, changed: !deepEqual(before, after) };
    change.values.set(pointer, values);
  }
  return values;
}

/** Nodes of a JSON value (every object, array and scalar), counted up to `limit + 1` without recursion. */
export function countNodes(value: unknown, limit: number): number {
  let count = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0 && count <= limit) {
    const node = pending.pop();
    count += 1;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) pending.push(child);
  }
  return count;
}

function isCollectionPointer(pointer: string): pointer is CollectionPointer {
  return Object.prototype.hasOwnProperty.call(COLLECTIONS, pointer);
}

function collectionLabels(kind: string, before: unknown, after: unknown, states: string[] | undefined): string[] {
  const previousItems = new Map(items(before).map((item) => [item.id, item]));
  const currentItems = items(after);
  const reached: string[] = [];
  for (const item of currentItems) {
    const old = previousItems.get(item.id);
    if (states === undefined ? !deepEqual(old, item) : old?.state !== item.state) reached.push(item.state);
  }
  const currentIds = new Set(currentItems.map((item) => item.id));
  for (const id of previousItems.keys()) if (!currentIds.has(id)) reached.push('removed');
  return reached.filter((state) => states === undefined || states.includes(state)).map((state) => `${kind}.${state}`);
}

function items(value: unknown): CollectionItem[] {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is CollectionItem => typeof item === 'object' && item !== null && typeof item.id === 'string' && typeof item.state === 'string');
}
