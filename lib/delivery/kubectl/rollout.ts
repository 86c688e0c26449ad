/** Without Argo CD: the rollout as ordered kubectl commands, the same order as the sync waves. */
import { ResolvedCluster } from '../../cluster/resolve';
import { RenderedObject, ROLLOUT_PHASES } from '../../core/rollout';
import { CILIUM_CHART, CILIUM_NAMESPACE, ciliumValuesPath } from '../../components/cilium/facts';
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
    const apply = (files: readonly RenderedObject[], flags = '') =>
      `\`kubectl apply --server-side --force-conflicts ` +
      `--field-manager=netscale${flags} ${files.map((o) => `-f dist/${c.name}/${o.file}`).join(' ')}\``;
    const whole = here.filter((o) => !o.partial);
    const partial = here.filter((o) => o.partial);
    if (whole.length > 0) add(`${name}: ${apply(whole)}`);
    // A partial object is not a valid whole object: only the server merges it into the existing one.
    if (partial.length > 0)
      add(
        `${name}, the fields netscale owns in ${partial.map((o) => `${o.kind} ${o.name}`).join(', ')} (a partial object, merged into the existing ` +
          `one): ${apply(partial, ' --validate=false')}`,
      );
    // The waits of this phase, each bounded as the Duration section says.
    for (const w of c.waits.filter((x) => x.after === phase)) {
      const short = w.kind === 'DaemonSet' ? 'ds' : 'deploy';
      const wait = `kubectl -n ${w.namespace} rollout status ${short}/${w.name} --timeout=${w.pace.bound}`;
      add(`wait for ${w.kind} \`${w.name}\` (${w.why}), ${w.pace.rule}: \`${wait}\``);
    }
    if (phase === 'dataplane' && c.typha?.autoscale) {
      out.push(
        `   From here on Typha's replica count is the autoscaler's, set from the live node count every ${TYPHA_AUTOSCALER_POLL_SECONDS} s. ` +
          `A later apply of \`Deployment.${TYPHA_NAME}.k8s.yaml\` puts ${c.typha.replicas} back (the ladder at spec.nodes) ` +
          "until the autoscaler's next poll: keep spec.nodes near the live node count.",
      );
    }
  }
  for (const r of c.restarts) {
    const pace = r.maxUnavailable !== undefined ? `at its own maxUnavailable (${paceOf(r.maxUnavailable)})` : 'as its maxUnavailable allows';
    const commands =
      `kubectl -n ${r.namespace} rollout restart ds/${r.daemonSet} && ` +
      `kubectl -n ${r.namespace} rollout status ds/${r.daemonSet} --timeout=${r.pace.bound}`;
    add(
      `restart \`${r.daemonSet}\` (${r.why}), ${pace}: \`${commands}\`. ` +
        "Never delete every pod at once: that restarts every node's network agent in the same minute.",
    );
  }
  // A Cilium values change rolls the agents by itself once the chart is upgraded.
  for (const w of c.waits.filter((x) => x.after === 'chart')) {
    const values = `dist/${ciliumValuesPath(c.name)}`;
    const helm = `helm upgrade ${CILIUM_CHART} cilium/cilium --version ${c.cilium?.version} --namespace ${CILIUM_NAMESPACE} -f ${values}`;
    const upgrade = c.cilium?.delivery === 'k3s' ? 'the k3s helm controller upgrades the release' : `upgrade the release: \`${helm}\``;
    add(
      `${upgrade}; the agents roll by themselves (rollOutCiliumPods), ${w.pace.rule}: ` +
        `\`kubectl -n ${w.namespace} rollout status ds/${w.name} --timeout=${w.pace.bound}\``,
    );
  }
  if (out.length === 0) out.push('Nothing to apply.');
  return out;
}

/** "10%" -> "10% of the nodes at a time", "1" -> "1 node at a time". */
function paceOf(maxUnavailable: string): string {
  return maxUnavailable.endsWith('%')
    ? `${maxUnavailable} of the nodes at a time`
    : `${maxUnavailable} node${maxUnavailable === '1' ? '' : 's'} at a time`;
}
