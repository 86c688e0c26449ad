/**
 * Argo CD delivery of one cluster's chart, as one pass over its objects: a restart Job per
 * DaemonSet whose configuration changed, sync waves from the rollout phases, and sync options
 * from ownership. Clusters without Argo CD get none of it; their review lists kubectl commands.
 */
import { ClusterChart } from '../../cluster/cluster-chart';
import { durationSeconds } from '../../core/duration';
import { DaemonSetRestart } from './daemonset-restart';
import { applySyncOptions } from './sync-options';
import { applySyncWaves } from './sync-waves';

export function deliverWithArgocd(chart: ClusterChart): void {
  const c = chart.cluster;
  if (!c.argocd) return;
  // One hook wave per restart, in the order the review gives: each DaemonSet has rolled before the next starts.
  const a = c.argocd;
  c.restarts.forEach((r, wave) => {
    // The DaemonSet's own bound, the one the kubectl path waits too, unless the profile sets one for all.
    const timeout = a.restartTimeoutSet ? a.restartTimeout : r.pace.bound;
    const progress = a.restartProgressTimeout;
    new DaemonSetRestart(chart, `Restart-${r.daemonSet}`, {
      daemonSet: r.daemonSet,
      namespace: r.namespace,
      configuration: r.configuration,
      image: a.kubectlImage,
      timeout,
      progressTimeout: progress !== undefined && durationSeconds(progress) > durationSeconds(timeout) ? timeout : progress,
      wave,
    });
  });
  applySyncOptions(chart);
  applySyncWaves(chart);
}
