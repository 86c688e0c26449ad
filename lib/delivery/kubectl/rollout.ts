/** Without Argo CD: the rollout as ordered kubectl commands, the same order as the sync waves. */
import { ResolvedCluster } from '../../cluster/resolve';
import { RenderedObject, ROLLOUT_PHASES } from '../../core/rollout';
import { TYPHA_AUTOSCALER_POLL_SECONDS, TYPHA_NAME } from '../../components/typha/facts';
import { SYNC_WAVES } from '../argocd/sync-waves';

export function kubectlRollout(c: ResolvedCluster, objects: readonly RenderedObject[]): string[] {
  const out: string[] = [];
  let step = 0;
  const add = (text: string) => out.push(`${++step}. ${text}`);
  for (const phase of ROLLOUT_PHASES) {
    const here = objects.filter((o) => o.phase === phase);
    if (here.length === 0) continue;
    const name = SYNC_WAVES.find((w) => w.phase === phase)!.name;
    // --force-conflicts: the shared keys (config.conf, typha_service_name, ACK's eni-config) belong to other managers until now.
    const apply = (files: readonly RenderedObject[], flags = '') => `\`kubectl apply --server-side --force-conflicts --field-manager=netscale${flags} ${files.map((o) => `-f dist/${c.name}/${o.file}`).join(' ')}\``;
    const whole = here.filter((o) => !o.partial);
    const partial = here.filter((o) => o.partial);
    if (whole.length > 0) add(`${name}: ${apply(whole)}`);
    // A partial object is not a valid whole object: only the server merges it into the existing one.
    if (partial.length > 0) add(`${name}, the fields netscale owns in ${partial.map((o) => `${o.kind} ${o.name}`).join(', ')} (a partial object, merged into the existing one): ${apply(partial, ' --validate=false')}`);
    for (const ds of here.filter((o) => o.kind === 'DaemonSet')) {
      add(`wait for \`${ds.name}\` to roll, at its own maxUnavailable: \`kubectl -n ${ds.namespace ?? 'kube-system'} rollout status ds/${ds.name} --timeout=30m\``);
    }
    if (phase === 'dataplane' && c.typha) add(`wait until Typha is ready before Felix is pointed at it: \`kubectl -n ${c.typha.namespace ?? 'kube-system'} rollout status deploy/${TYPHA_NAME} --timeout=10m\``);
    if (phase === 'dataplane' && c.typha?.autoscale) {
      out.push(
        `   From here on Typha's replica count is the autoscaler's, set from the live node count every ${TYPHA_AUTOSCALER_POLL_SECONDS} s. A later apply of \`Deployment.${TYPHA_NAME}.k8s.yaml\` puts ${c.typha.replicas} back (the ladder at spec.nodes) until the autoscaler's next poll: keep spec.nodes near the live node count.`,
      );
    }
  }
  for (const r of c.restarts) {
    add(
      `restart \`${r.daemonSet}\` (${r.why}), ${r.maxUnavailable !== undefined ? `at its own maxUnavailable (${paceOf(r.maxUnavailable)})` : 'as its maxUnavailable allows'}: \`kubectl -n ${r.namespace} rollout restart ds/${r.daemonSet} && kubectl -n ${r.namespace} rollout status ds/${r.daemonSet} --timeout=30m\`. Never delete every pod at once: that restarts every node's network agent in the same minute.`,
    );
  }
  if (out.length === 0) out.push('Nothing to apply.');
  return out;
}

/** "10%" -> "10% of the nodes at a time", "1" -> "1 node at a time". */
function paceOf(maxUnavailable: string): string {
  return maxUnavailable.endsWith('%') ? `${maxUnavailable} of the nodes at a time` : `${maxUnavailable} node${maxUnavailable === '1' ? '' : 's'} at a time`;
}
