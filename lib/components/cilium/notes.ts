/** The review's Cilium notes: the values and why, what to do on the nodes and in Argo CD, how to verify. */
import { Platform } from '../../core/cluster';
import { CILIUM_HELM_REPO, ciliumCli, CiliumDelivery } from './facts';
import type { CiliumSpec } from './schema';
import { ciliumValues } from './values';

/**
 * Lines for the cluster review: the values with their reasons, what to do on the nodes and in
 * Argo CD, and how to verify that kube-proxy is gone.
 */
export function ciliumReviewNotes(spec: CiliumSpec, delivery: CiliumDelivery, platform?: Platform): string[] {
  const { values, decisions } = ciliumValues(spec);
  const cli = ciliumCli(spec.version);
  const onK3s = delivery === 'k3s' || platform === 'k3s';
  const lines: string[] = [];
  const strictWord = values.kubeProxyReplacement === 'strict' ? 'Strict' : 'True';

  lines.push(`Cilium ${spec.version} replaces kube-proxy completely; the chart values and why:`);
  for (const d of decisions) lines.push(`- \`${d.name}: ${d.value}\`: ${d.rule}${d.source ? ` (${d.source})` : ''}`);
  lines.push('');

  if (onK3s) {
    lines.push(
      'k3s: start every server with `--flannel-backend=none --disable-network-policy --disable-kube-proxy --disable=servicelb`, so k3s brings no CNI, no NetworkPolicy controller, no kube-proxy and no ServiceLB of its own (seed 004).',
    );
  } else if (platform === 'kubeadm') {
    lines.push('kubeadm: create the cluster with `kubeadm init --skip-phases=addon/kube-proxy`, or remove kube-proxy from a running one: `kubectl -n kube-system delete ds kube-proxy`, `kubectl -n kube-system delete cm kube-proxy`, then on every node `iptables-save | grep -v KUBE | iptables-restore`.');
  } else {
    lines.push('Remove kube-proxy before installing: delete its DaemonSet and ConfigMap, then on every node `iptables-save | grep -v KUBE | iptables-restore`.');
  }

  if (delivery === 'k3s') {
    lines.push(
      'The HelmChart has `bootstrap: true`, so the k3s helm controller installs it while nodes are still NotReady for lack of a CNI. On a new cluster put the file in `/var/lib/rancher/k3s/server/manifests/` on the first server; on a running one `kubectl apply` it.',
    );
  } else if (delivery === 'argocd') {
    lines.push(
      `Bootstrap: an Argo CD inside this cluster needs a CNI before it can run, so it cannot install the first one. Install once by hand (\`helm install cilium cilium/cilium --version ${spec.version} --namespace kube-system -f <values file>\`), then let the Application take the objects over (it renders the same chart and values); or manage this cluster from an Argo CD that runs elsewhere.`,
      'Argo CD: exclude CiliumIdentity in the `argocd-cm` ConfigMap, or Argo CD deletes the identities the agents create (cilium#17614), then restart the Argo CD server and application controller:',
      '```yaml',
      'resource.exclusions: |',
      '  - apiGroups:',
      '      - cilium.io',
      '    kinds:',
      '      - CiliumIdentity',
      '    clusters:',
      '      - "*"',
      '```',
      'The Application ignores the Hubble certificates and CA the chart generates anew on every render, and syncs server-side.',
    );
  } else {
    lines.push(`Install: \`helm repo add cilium ${CILIUM_HELM_REPO}\`, then \`helm install cilium cilium/cilium --version ${spec.version} --namespace kube-system -f <values file>\`.`);
  }
  lines.push('');

  lines.push(
    'Verify:',
    `- \`kubectl -n kube-system exec ds/cilium -- ${cli} status | grep KubeProxyReplacement\` prints \`KubeProxyReplacement: ${strictWord}\`${cli === 'cilium-dbg' ? ' (the in-pod CLI is cilium-dbg from 1.15)' : ''}.`,
    `- \`kubectl -n kube-system exec ds/cilium -- ${cli} service list\` lists the ClusterIP and NodePort services Cilium serves.`,
    '- On a node, `sudo iptables-save | grep KUBE-SVC` prints nothing: no kube-proxy rules are left.',
  );
  return lines;
}

