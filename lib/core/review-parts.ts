/**
 * What components add to the review beyond decisions and steps: the checks that show a change
 * worked, what a revert does and cannot undo, and which settings change. Plain data; the review
 * layer lays it out.
 */

/** One check after the rollout: what to run and what a healthy answer looks like. */
export interface VerifyStep {
  /** The component it checks, e.g. "Typha relay"; the review groups checks under it. */
  readonly component: string;
  /** What to run (Markdown, usually a command in backticks) and where. */
  readonly check: string;
  /** What a healthy answer looks like. */
  readonly healthy: string;
}

/** What reverting the change means for one component. */
export interface RollbackNote {
  readonly component: string;
  /** What the revert does here: what rolls again, in which order, what must be done by hand (Markdown). */
  readonly revert: string;
  /**
   * The point after which a revert no longer restores the previous state, and what to do about it
   * (Markdown); absent where a revert restores everything.
   */
  readonly pointOfNoReturn?: string;
}

/** One setting a rollout changes, as the review's Changes table shows it. */
export interface SettingChange {
  /** e.g. `ipvs.scheduler`. */
  readonly setting: string;
  /** JSON of the current value; undefined: the base does not set it. */
  readonly current?: string;
  /** JSON of the new value; undefined: the setting is removed. */
  readonly next?: string;
  readonly why: string;
}

/** The settings of one place (a ConfigMap key, a Calico object, the Cilium values) and what they are compared with. */
export interface ChangeArea {
  /** e.g. "ConfigMap kube-system/kube-proxy, config.conf". */
  readonly where: string;
  /**
   * The profile field that holds the cluster's current values (`spec.kubeProxy.baseConfig`); absent:
   * the current values are unknown, and `unknown` says why.
   */
  readonly base?: string;
  readonly unknown?: string;
  /** With a base: only what differs from it. Without: every setting netscale sets here. */
  readonly changes: readonly SettingChange[];
  /** With a base: how many of its settings stay as they are. */
  readonly kept?: number;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `{a: {b: 1}, c: [1]}` -> `a.b` = `1`, `c` = `[1]`: leaves as JSON text, arrays whole. */
export function flattenSettings(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (v: unknown, path: string) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v as Record<string, unknown>)) walk(child, path === '' ? k : `${path}.${k}`);
      return;
    }
    if (v !== undefined) out.set(path, JSON.stringify(v as Json));
  };
  walk(value, prefix);
  return out;
}

/**
 * What differs between `current` and `next`, setting by setting, sorted by setting; `why` says
 * why each one is what it becomes. Also counts the settings of `current` that stay.
 */
export function diffSettings(
  current: unknown,
  next: unknown,
  why: (setting: string, removed: boolean) => string,
): { changes: SettingChange[]; kept: number } {
  const before = flattenSettings(current);
  const after = flattenSettings(next);
  const settings = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: SettingChange[] = [];
  let kept = 0;
  for (const setting of settings) {
    const a = before.get(setting);
    const b = after.get(setting);
    if (a === b) kept++;
    else changes.push({ setting, current: a, next: b, why: why(setting, b === undefined) });
  }
  return { changes, kept };
}

/** Every setting of `next`, for a place whose current values are unknown. */
export function listSettings(next: unknown, why: (setting: string) => string): SettingChange[] {
  return [...flattenSettings(next)]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([setting, value]) => ({ setting, next: value, why: why(setting) }));
}
