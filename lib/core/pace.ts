/**
 * How long a rolling update takes, from the workload's own pace: a DaemonSet replaces
 * maxUnavailable pods per batch (apps/v1 RollingUpdateDaemonSet: a percentage of the nodes,
 * rounded up; 1 when unset), a Deployment with maxSurge 100% starts every new pod in one batch.
 * Each batch gets a stated time, and the bound a rollout is given (kubectl's --timeout, the restart
 * Job's deadline) follows from the estimate, so every path waits the same.
 */

/**
 * Seconds one batch takes: the old pods stop, the new ones start from an image already on the node
 * (only the configuration changed) and report Ready. A stated planning figure, not a measurement.
 */
export const SECONDS_PER_BATCH = 20;

/** A wait is bounded at twice its estimate, so a slow but moving rollout finishes ... */
export const BOUND_FACTOR = 2;
/** ... but never below 30 minutes, so a small cluster's wait is not cut by a slow image pull ... */
export const MIN_BOUND_SECONDS = 30 * 60;
/** ... and never above a week, the longest restartTimeout netscale accepts. */
export const MAX_BOUND_SECONDS = 168 * 3600;

export interface Pace {
  /** Pods replaced at once. */
  readonly podsPerBatch: number;
  readonly batches: number;
  readonly estimateSeconds: number;
  /** How long a wait for this rollout may take before it is treated as failed. */
  readonly boundSeconds: number;
  /** The bound as kubectl and the Job take it, in whole minutes: `84m`. */
  readonly bound: string;
  /** How the pace was found, e.g. "maxUnavailable 10% of 1,000 nodes: 100 pods per batch". */
  readonly rule: string;
}

/**
 * Pods a DaemonSet replaces at once: its maxUnavailable, a count or a percentage of the nodes that
 * Kubernetes rounds up; 1 where it is not known (Kubernetes' default).
 */
export function podsPerBatch(maxUnavailable: string | undefined, nodes: number): number {
  if (maxUnavailable === undefined) return 1;
  const percent = /^(\d+)%$/.exec(maxUnavailable);
  const n = percent ? Math.ceil((nodes * Number(percent[1])) / 100) : Number(maxUnavailable);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, Math.max(1, nodes)) : 1;
}

/** The bound of a wait whose estimate is `estimateSeconds`. */
export function boundSecondsFor(estimateSeconds: number): number {
  return Math.min(MAX_BOUND_SECONDS, Math.max(MIN_BOUND_SECONDS, Math.ceil((BOUND_FACTOR * estimateSeconds) / 60) * 60));
}

/** A DaemonSet on `nodes` nodes rolling at its maxUnavailable. */
export function daemonSetPace(maxUnavailable: string | undefined, nodes: number): Pace {
  const perBatch = podsPerBatch(maxUnavailable, nodes);
  const batches = Math.ceil(Math.max(1, nodes) / perBatch);
  const pace = maxUnavailable === undefined ? 'maxUnavailable not known, so 1 (the Kubernetes default)' : `maxUnavailable ${maxUnavailable}`;
  return paced(perBatch, batches, `${pace}: ${perBatch} pod${perBatch === 1 ? '' : 's'} per batch, ${batches} batch${batches === 1 ? '' : 'es'}`);
}

/** A Deployment with maxSurge 100%: every new pod starts beside the old ones, in one batch. */
export function surgePace(replicas: number): Pace {
  return paced(replicas, 1, `maxSurge 100%: all ${replicas} new pods in one batch`);
}

function paced(perBatch: number, batches: number, rule: string): Pace {
  const estimateSeconds = batches * SECONDS_PER_BATCH;
  const boundSeconds = boundSecondsFor(estimateSeconds);
  return { podsPerBatch: perBatch, batches, estimateSeconds, boundSeconds, bound: `${boundSeconds / 60}m`, rule };
}

/** 200 -> "3 min 20 s", 50000 -> "13 h 53 min", 0 -> "seconds". */
export function formatSeconds(seconds: number): string {
  if (seconds <= 0) return 'seconds';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return s > 0 ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}
