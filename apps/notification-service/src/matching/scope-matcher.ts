import { STATE_POINTER, watchesRegistrations, type Order, type PreviousOrder, type Watch } from '@ordercast/contracts';
import { deepEqual } from './deep-equal';
import { valueAtPointer } from './json-pointer';
import { SchemaCache } from './schema-cache';

/** Something with a scope: an order's registration or a merchant's subscription. */
export interface Watcher {
  scope: Watch[];
}

export interface ScopeMatch<T extends Watcher> {
  target: T;
  /** The Event's scope label: `state.<status>`, `payment.<state>`, `shipping.<state>` or the pointer. */
  label: string;
}

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
  constructor(private readonly schemas = new SchemaCache()) {}

  match<T extends Watcher>(targets: readonly T[], previous: PreviousOrder | null, order: Order): ScopeMatch<T>[] {
    return targets.flatMap((target) => this.labels(target.scope, previous, order).map((label) => ({ target, label })));
  }

  /** The distinct labels of the watches that fire, in watch order. */
  labels(watches: readonly Watch[], previous: PreviousOrder | null, order: Order): string[] {
    const labels = new Set<string>();
    for (const watch of watches) for (const label of this.fire(watch, previous, order)) labels.add(label);
    return [...labels];
  }

  private fire(watch: Watch, previous: PreviousOrder | null, order: Order): string[] {
    // Refused at registration; one stored before the rule must not fire on every change.
    if (watchesRegistrations(watch.pointer)) return [];
    const before = previous === null ? undefined : valueAtPointer(previous, watch.pointer);
    const after = valueAtPointer(order, watch.pointer);
    if (deepEqual(before, after)) return [];
    if ('schema' in watch && watch.schema !== undefined && !this.schemas.isValid(watch.schema, after)) return [];
    if (isCollectionPointer(watch.pointer)) {
      const states = 'states' in watch ? watch.states : undefined;
      return collectionLabels(COLLECTIONS[watch.pointer], before, after, states);
    }
    return [watch.pointer === STATE_POINTER ? `state.${String(after)}` : watch.pointer];
  }
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
