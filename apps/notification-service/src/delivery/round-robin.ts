/**
 * Up to `count` of `items`, taken one per key in turn (keys in order of first appearance, each
 * key's items in their order): with a limited number of places, a key with thousands of items
 * gets as many as a key with one, not all of them.
 */
export function roundRobin<T>(items: T[], count: number, keyOf: (item: T) => string): T[] {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = byKey.get(key);
    if (list) list.push(item);
    else byKey.set(key, [item]);
  }
  const taken: T[] = [];
  const lists = [...byKey.values()];
  for (let round = 0; taken.length < count && lists.length > 0; round++) {
    for (let index = 0; index < lists.length && taken.length < count; ) {
      if (round < lists[index].length) {
        taken.push(lists[index][round]);
        index++;
      } else {
        lists.splice(index, 1);
      }
    }
  }
  return taken;
}
