/** With Argo CD the rollout orders itself: what each wave holds, which restarts follow, and how to stop it. */
import { ResolvedCluster } from '../../cluster/resolve';
import { ciliumApplicationName } from '../../components/cilium/facts';
import { formatSeconds } from '../../core/pace';
import { RenderedObject } from '../../core/rollout';
import { restartJobName } from './daemonset-restart';
import { stageRollout } from './stages';
import { SYNC_WAVES } from './sync-waves';

export function argocdRollout(c: ResolvedCluster, objects: readonly RenderedObject[]): string[] {
  const a = c.argocd!;
  const target = a.destination.name ? `cluster ${a.destination.name}` : a.destination.server;
  const out: string[] = [...stageRollout(c, objects.length > 0)];
  const apps: string[] = [];
  // The cluster's Application exists only when its folder holds objects (fleet-chart.ts).
  if (objects.length > 0) {
    apps.push(c.name);
    out.push(`Argo CD syncs \`${a.path}/${c.name}\` to ${target} in waves, each one healthy before the next:`, '');
    for (const wave of SYNC_WAVES) {
      const here = objects.filter((o) => !o.hook && o.phase === wave.phase);
      if (here.length > 0) out.push(`- wave ${wave.wave} (${wave.name}): ${here.map((o) => `${o.kind} ${o.name}`).join(', ')}`);
    }
    if (c.typha?.autoscale) {
      out.push(
        `- Argo CD creates ` +
          `Deployment ${c.typha.namespace ?? 'kube-system'}/calico-typha with ${c.typha.replicas} replicas, then leaves \`/spec/replicas\` to the ` +
          `cluster-proportional-autoscaler (ignoreDifferences with RespectIgnoreDifferences=true): it neither reports the autoscaler's count ` +
          `as drift nor puts ${c.typha.replicas} back on a sync.`,
      );
    }
    if (c.restarts.length > 0) {
      const bound = a.restartProgressTimeout
        ? `It fails when a pod of the new configuration is not Ready ` +
          `within ${a.restartProgressTimeout} (\`spec.argocd.restartProgressTimeout\`), so a stuck rollout ends the sync and Argo CD's retry or a ` +
          `revert can run; its DaemonSet's bound (the Duration section) limits the whole restart.`
        : "It waits up to its DaemonSet's bound (the Duration section) in all.";
      out.push(
        `- after the sync (PostSync), one DaemonSet at a time, each in its own hook wave, the next only once the previous Job succeeded. ` +
          "Each Job sets the configuration's hash on the pod template and waits for `kubectl rollout status`, " +
          "at the DaemonSet's own maxUnavailable; the pods roll only when the hash changes, " +
          `so a sync that changed nothing restarts nothing. ${bound}`,
      );
      c.restarts.forEach((r, i) =>
        out.push(
          `  ${i + 1}. hook wave ${i}: Job \`${restartJobName(r.daemonSet)}\` restarts \`ds/${r.daemonSet}\` (${r.why}): ${r.pace.rule}, ` +
            `about ${formatSeconds(r.pace.estimateSeconds)}, bound ${a.restartTimeoutSet ? a.restartTimeout : r.pace.bound}`,
        ),
      );
    }
  }
  if (c.cilium?.delivery === 'argocd') {
    const app = ciliumApplicationName(c.name);
    apps.push(app);
    if (out.length > 0) out.push('');
    out.push(
      `Argo CD syncs the Cilium chart ${c.cilium.version} to ${target} through the ` +
        `Application \`${app}\` (automated, self-heal, never pruning): a values change rolls the agents and the operator by itself ` +
        `(rollOutCiliumPods, operator.rollOutPods).`,
    );
    for (const w of c.waits.filter((x) => x.after === 'chart')) {
      out.push(
        `The agents roll at ${w.pace.rule}, about ${formatSeconds(w.pace.estimateSeconds)}; Argo CD reports the Application Progressing ` +
          `meanwhile. Watch it with \`kubectl -n ${w.namespace} rollout status ds/${w.name} --timeout=${w.pace.bound}\`.`,
      );
    }
  }
  if (apps.length === 0) return ['Nothing for Argo CD to sync: this profile renders no object into the cluster.'];

  return out;
}
