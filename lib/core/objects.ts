/** Plain-data helpers for maps read from YAML and JSON: merged and sorted the same way everywhere. */

export type PlainMap = Record<string, unknown>;

export function isPlainObject(x: unknown): x is PlainMap {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** Helm's and kube-proxy's merge: maps merge key by key, anything else in `over` (lists too) replaces. */
export function deepMerge<T extends PlainMap>(base: T, over: PlainMap): T {
  const out: PlainMap = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as PlainMap, v) : structuredClone(v);
  return out as T;
}

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The same record with its keys in code-point order, one level deep. */
export function sortKeys<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(byKey));
}

/** Keys in code-point order at every level, so equal data always renders the same bytes. */
export function sortKeysDeep(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeysDeep);
  if (!isPlainObject(x)) return x;
  return Object.fromEntries(
    Object.entries(x)
      .sort(byKey)
      .map(([k, v]) => [k, sortKeysDeep(v)]),
  );
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeysDeep(a)) === JSON.stringify(sortKeysDeep(b));
}

/** Whether a value contains itself (a YAML alias inside its own anchor). */
export function isCyclic(value: unknown, ancestors: Set<unknown> = new Set()): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = value instanceof Map ? [...value.values()] : Object.values(value as object);
  const cyclic = children.some((child) => isCyclic(child, ancestors));
  ancestors.delete(value);
  return cyclic;
}
