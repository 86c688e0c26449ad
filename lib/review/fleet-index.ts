/** dist/reviews/README.md: the fleet at a glance, one row per cluster, linking to each review. */
import { ResolvedCluster } from '../cluster/resolve';
import { PLATFORM_NAMES } from '../core/cluster';
import { formatCount } from '../core/format';
import { KUBE_PROXY_DEFAULTS } from '../components/kube-proxy/facts';

export interface FleetIndexRow {
  readonly cluster: ResolvedCluster;
  readonly warnings: number;
}

/** dist/reviews/README.md: one row per cluster, sorted by name, linking to each review. */
export function renderFleetIndex(rows: readonly FleetIndexRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.cluster.name < b.cluster.name ? -1 : a.cluster.name > b.cluster.name ? 1 : 0));
  const lines = [
    '# Fleet',
    '',
    `${sorted.length} cluster${sorted.length === 1 ? '' : 's'}, ${formatCount(sorted.reduce((n, r) => n + r.cluster.nodes, 0))} nodes. Each review gives the numbers, their rules and the rollout.`,
    '',
    '| cluster | platform | nodes | CNI | NetworkPolicy | Typha replicas | proxy | warnings |',
    '| --- | --- | ---: | --- | --- | ---: | --- | ---: |',
  ];
  for (const { cluster: c, warnings } of sorted) {
    lines.push(`| [${c.name}](${c.name}.md) | ${PLATFORM_NAMES[c.platform]} | ${formatCount(c.nodes)} | ${c.cni} | ${c.networkPolicy} | ${c.typha?.replicas ?? ''} | ${proxyMode(c)} | ${warnings} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function proxyMode(c: ResolvedCluster): string {
  if (c.cilium) return `Cilium kube-proxy replacement ${c.cilium.version}`;
  if (c.kubeProxy) {
    const mode = c.kubeProxy.mode ?? KUBE_PROXY_DEFAULTS.mode;
    return mode === 'ipvs' ? `kube-proxy IPVS ${c.kubeProxy.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler}` : 'kube-proxy nftables';
  }
  return 'unchanged';
}
