/** dist/reviews/README.md: the fleet at a glance, one row per cluster, linking to each review. */
import { ResolvedCluster } from '../cluster/resolve';
import { PLATFORM_NAMES } from '../core/cluster';
import { formatCount } from '../core/format';
import { KUBE_PROXY_DEFAULTS } from '../components/kube-proxy/facts';
import { CILIUM_STAGES, CLUSTER_STAGES } from '../delivery/argocd/fleet-chart';
import { maxUpdateText, rolloutStages } from '../delivery/argocd/stages';

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
  lines.push(...rolloutStagesTable(sorted.map((r) => r.cluster)));
  return lines.join('\n');
}

/** The staged clusters by stage, and the Argo CD clusters outside the stages; nothing without stages. */
function rolloutStagesTable(clusters: readonly ResolvedCluster[]): string[] {
  const stages = rolloutStages(clusters);
  if (stages.length === 0) return [];
  const link = (name: string) => `[${name}](${name}.md)`;
  const lines = [
    '## Rollout stages',
    '',
    `Argo CD's ApplicationSets (\`${CLUSTER_STAGES}\` for the cluster folders, \`${CILIUM_STAGES}\` for the Cilium charts) sync a merged change into one stage after another, each stage Healthy before the next (Progressive Syncs, RollingSync).`,
    '',
    '| stage | clusters | nodes | sync | members |',
    '| --- | ---: | ---: | --- | --- |',
  ];
  for (const s of stages) lines.push(`| ${s.stage} | ${s.clusters.length} | ${formatCount(s.nodes)} | ${maxUpdateText(s.maxUpdate)} | ${s.clusters.map(link).join(', ')} |`);
  const unstaged = clusters.filter((c) => c.argocd && c.argocd.stage === undefined);
  if (unstaged.length > 0) {
    lines.push(`| not staged | ${unstaged.length} | ${formatCount(unstaged.reduce((n, c) => n + c.nodes, 0))} | at once, by their own Applications, outside the stages | ${unstaged.map((c) => link(c.name)).join(', ')} |`);
  }
  lines.push('');
  return lines;
}

function proxyMode(c: ResolvedCluster): string {
  if (c.cilium) return `Cilium kube-proxy replacement ${c.cilium.version}`;
  if (c.kubeProxy) {
    const mode = c.kubeProxy.mode ?? KUBE_PROXY_DEFAULTS.mode;
    return mode === 'ipvs' ? `kube-proxy IPVS ${c.kubeProxy.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler}` : 'kube-proxy nftables';
  }
  return 'unchanged';
}
