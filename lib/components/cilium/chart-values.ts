/**
 * spec.cilium.values against the keys the chart of that version knows (chart-keys.ts, generated
 * from the chart archives by scripts/cilium-chart-keys.ts).
 */
import { closestName } from '../../core/spelling';
import { isPlainObject } from '../../core/objects';
import { CHART_KEYS } from './chart-keys';
import { CiliumValues, CiliumVersion } from './facts';

/** 0: any value; 1: a map that takes any keys; a map: exactly those keys. */
export type KeyNode = 0 | 1 | KeyTree;
export interface KeyTree {
  readonly [key: string]: KeyNode;
}

export interface ChartKeys {
  /** The chart version the keys were read from. */
  readonly version: string;
  readonly keys: KeyTree;
}

/** The keys of the chart minor `v` belongs to; newer minors than any read get the newest. */
export function chartKeysFor(v: CiliumVersion): ChartKeys | undefined {
  if (v.major !== 1) return undefined;
  const minors = Object.keys(CHART_KEYS).map(Number);
  const minor = v.minor > Math.max(...minors) ? Math.max(...minors) : v.minor;
  return CHART_KEYS[minor];
}

export interface UnknownKey {
  /** Path of the key inside spec.cilium.values. */
  readonly path: readonly string[];
  /** A known key of the same map that differs by a typo or two. */
  readonly suggestion?: string;
}

/**
 * Keys of `values` the chart neither sets in values.yaml, documents in a comment, nor reads in a
 * template. Maps the chart passes through whole (annotations, nodeSelector) take any keys, and a
 * key is not followed below where the chart takes any value.
 */
export function unknownChartKeys(values: CiliumValues, keys: KeyTree): UnknownKey[] {
  const out: UnknownKey[] = [];
  const walk = (given: Record<string, unknown>, known: KeyTree, prefix: string[]) => {
    for (const [key, value] of Object.entries(given)) {
      const node = Object.prototype.hasOwnProperty.call(known, key) ? known[key] : undefined;
      if (node === undefined) {
        const suggestion = closestName(key, Object.keys(known));
        out.push({ path: [...prefix, key], ...(suggestion ? { suggestion } : {}) });
        continue;
      }
      if (node !== 0 && node !== 1 && isPlainObject(value)) walk(value, node, [...prefix, key]);
    }
  };
  walk(values, keys, []);
  return out;
}
