/**
 * Argo CD delivery of one cluster's chart, as one pass over its objects: a restart Job per
 * DaemonSet whose configuration changed, sync waves from the rollout phases, and sync options
 * from ownership. Clusters without Argo CD get none of it; their review lists kubectl commands.
 */
import { ClusterChart } from '../../cluster/cluster-chart';
import { DaemonSetRestart } from './daemonset-restart';
import { applySyncOptions } from './sync-options';
import { applySyncWaves } from './sync-waves';

export function deliverWithArgocd(chart: ClusterChart): void {
  const c = chart.cluster;
  if (!c.argocd) return;
  // One hook wave per restart, in the order the review gives: each DaemonSet has rolled before the next starts.
  c.restarts.forEach((r, wave) => {
    new DaemonSetRestart(chart, `Restart-${r.daemonSet}`, {
      daemonSet: r.daemonSet,
      namespace: r.namespace,
      configuration: r.configuration,
      image: c.argocd!.kubectlImage,
      timeout: c.argocd!.restartTimeout,
      progressTimeout: c.argocd!.restartProgressTimeout,
      wave,
    });
  });
  applySyncOptions(chart);
  applySyncWaves(chart);
}
