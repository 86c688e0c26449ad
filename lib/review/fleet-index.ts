/** dist/reviews/README.md: the fleet at a glance, one row per cluster, linking to each review. */
import { ResolvedArgocd, ResolvedCluster } from '../cluster/resolve';
import { kubernetesMinor, PLATFORM_NAMES } from '../core/cluster';
import { formatCount } from '../core/format';
import { ACK_NFTABLES_SINCE, IPVS_DEPRECATION, KUBE_PROXY_DEFAULTS, NFTABLES_PROXY_MODE } from '../components/kube-proxy/facts';
import { CILIUM_STAGES, CLUSTER_STAGES } from '../delivery/argocd/fleet-chart';
import { maxUpdateText, rolloutStages } from '../delivery/argocd/stages';

export interface FleetIndexRow {
  readonly cluster: FleetIndexCluster;
  readonly warnings: number;
}

type Resolved<K extends keyof ResolvedCluster> = NonNullable<ResolvedCluster[K]>;

/**
 * What the index shows of a cluster: a resolved cluster fits, and so does the plain copy
 * `fleetIndexFacts` makes, which the render cache keeps so that a cluster rendered in an earlier
 * run takes its rows without its profile.
 */
export interface FleetIndexCluster extends Pick<ResolvedCluster, 'name' | 'platform' | 'cni' | 'kubernetesVersion' | 'nodes' | 'networkPolicy'> {
  readonly typha?: Pick<Resolved<'typha'>, 'replicas'>;
  readonly kubeProxy?: Pick<Resolved<'kubeProxy'>, 'mode' | 'scheduler'>;
  readonly cilium?: Pick<Resolved<'cilium'>, 'version'>;
  readonly argocd?: Pick<ResolvedArgocd, 'stage' | 'maxUpdate'>;
}

/** The facts of `c` the index reads, as plain JSON. */
export function fleetIndexFacts(c: ResolvedCluster): FleetIndexCluster {
  return JSON.parse(
    JSON.stringify({
      name: c.name,
      platform: c.platform,
      cni: c.cni,
      kubernetesVersion: c.kubernetesVersion,
      nodes: c.nodes,
      networkPolicy: c.networkPolicy,
      typha: c.typha && { replicas: c.typha.replicas },
      kubeProxy: c.kubeProxy && { mode: c.kubeProxy.mode, scheduler: c.kubeProxy.scheduler },
      cilium: c.cilium && { version: c.cilium.version },
      argocd: c.argocd && { stage: c.argocd.stage, maxUpdate: c.argocd.maxUpdate },
    }),
  ) as FleetIndexCluster;
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
  lines.push(...ipvsTable(sorted.map((r) => r.cluster)));
  return lines.join('\n');
}

/** The staged clusters by stage, and the Argo CD clusters outside the stages; nothing without stages. */
function rolloutStagesTable(clusters: readonly FleetIndexCluster[]): string[] {
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

/**
 * Every cluster whose profile runs kube-proxy in IPVS mode, with the minor releases left before
 * IPVS is planned to be off by default (KEP-5495), and where nftables stands for it.
 */
function ipvsTable(clusters: readonly FleetIndexCluster[]): string[] {
  const d = IPVS_DEPRECATION;
  const onIpvs = clusters.filter((c) => c.kubeProxy && (c.kubeProxy.mode ?? KUBE_PROXY_DEFAULTS.mode) === 'ipvs');
  const out = [
    '## IPVS to nftables',
    '',
    `kube-proxy's IPVS mode is deprecated from Kubernetes 1.${d.deprecated}; it is planned to be off by default in 1.${d.defaultOff} (the ${d.gateName} feature gate keeps it a while longer) and removed in 1.${d.removed} (KEP-5495). Clusters whose profile runs kube-proxy in IPVS mode:`,
    '',
  ];
  if (onIpvs.length === 0) return [...out, 'None.', ''];
  out.push(`| cluster | Kubernetes | minor releases before 1.${d.defaultOff} | nftables here |`, '| --- | --- | ---: | --- |');
  for (const c of onIpvs) {
    const minor = kubernetesMinor(c.kubernetesVersion);
    out.push(`| [${c.name}](${c.name}.md) | ${c.kubernetesVersion} | ${Math.max(0, d.defaultOff - minor)} | ${nftablesStatus(c, minor)} |`);
  }
  out.push('');
  return out;
}

function nftablesStatus(c: FleetIndexCluster, minor: number): string {
  const gate = NFTABLES_PROXY_MODE;
  if (c.platform === 'ack' && minor < ACK_NFTABLES_SINCE) return `ACK offers nftables from 1.${ACK_NFTABLES_SINCE}: upgrade first`;
  if (minor < gate.alpha) return `none before 1.${gate.alpha}: upgrade first`;
  if (minor < gate.beta) return 'alpha, behind its feature gate';
  if (minor < gate.ga) return 'beta';
  return minor >= IPVS_DEPRECATION.deprecated ? 'GA; IPVS deprecated here: move now' : 'GA: ready to move';
}

function proxyMode(c: FleetIndexCluster): string {
  if (c.cilium) return `Cilium kube-proxy replacement ${c.cilium.version}`;
  if (c.kubeProxy) {
    const mode = c.kubeProxy.mode ?? KUBE_PROXY_DEFAULTS.mode;
    return mode === 'ipvs' ? `kube-proxy IPVS ${c.kubeProxy.scheduler ?? KUBE_PROXY_DEFAULTS.scheduler}` : 'kube-proxy nftables';
  }
  return 'unchanged';
}
