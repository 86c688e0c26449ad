/** dist/reviews/README.md: the fleet at a glance, one row per cluster, linking to each review. */
import { ResolvedArgocd, ResolvedCluster } from '../cluster/resolve';
import { kubernetesMinor, PLATFORM_NAMES } from '../core/cluster';
import { formatCount } from '../core/format';
import { ACK_NFTABLES_SINCE, IPVS_DEPRECATION, KUBE_PROXY_DEFAULTS, NFTABLES_PROXY_MODE } from '../components/kube-proxy/facts';
import { CILIUM_STAGES, CLUSTER_STAGES } from '../delivery/argocd/fleet-chart';
import { maxUpdateText, rolloutStages } from '../delivery/argocd/stages';
import { markdownCitation, REFERENCES } from '../core/references';
import { mermaidText } from './timeline';

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
  /** The capacity figures with their headroom, which rank the clusters that need attention. */
  readonly decisions: readonly Pick<ResolvedCluster['decisions'][number], 'name' | 'capacity' | 'headroom'>[];
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
      decisions: c.decisions
        .filter((d) => d.capacity && d.headroom !== undefined)
        .map((d) => ({ name: d.name, capacity: true, headroom: d.headroom })),
    }),
  ) as FleetIndexCluster;
}

/** Below this share of room left, a capacity figure needs attention. */
export const HEADROOM_ATTENTION = 0.2;

/** What needs a reviewer's attention in one cluster, most pressing first; empty when nothing does. */
export function attentionOf(row: FleetIndexRow): string[] {
  const c = row.cluster;
  const out: string[] = [];
  const minor = kubernetesMinor(c.kubernetesVersion);
  if (c.kubeProxy && (c.kubeProxy.mode ?? KUBE_PROXY_DEFAULTS.mode) === 'ipvs' && minor >= IPVS_DEPRECATION.deprecated)
    out.push(`IPVS on ${c.kubernetesVersion}, deprecated`);
  const low = lowestHeadroom(c);
  if (low && low.fraction < HEADROOM_ATTENTION) out.push(`${low.name}: ${low.text} headroom`);
  if (row.warnings > 0) out.push(`${row.warnings} warning${row.warnings === 1 ? '' : 's'}`);
  return out;
}

/** The capacity figure with the least room left, where the review gives headroom. */
function lowestHeadroom(c: FleetIndexCluster): { name: string; text: string; fraction: number } | undefined {
  let low: { name: string; text: string; fraction: number } | undefined;
  for (const d of c.decisions) {
    const m = d.capacity && d.headroom !== undefined ? /^(-?\d+(?:\.\d+)?)%$/.exec(d.headroom) : null;
    if (!m) continue;
    const fraction = Number(m[1]) / 100;
    if (low === undefined || fraction < low.fraction) low = { name: d.name, text: d.headroom!, fraction };
  }
  return low;
}

/**
 * dist/reviews/README.md: one row per cluster, linking to each review, what needs attention first
 * (IPVS on a release that deprecates it, capacity headroom below 20%, warnings), then by name.
 */
export function renderFleetIndex(rows: readonly FleetIndexRow[]): string {
  const ranked = rows.map((r) => ({ ...r, attention: attentionOf(r), low: lowestHeadroom(r.cluster)?.fraction ?? Infinity }));
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  // Flagged clusters first, the most flagged and the least headroom leading; then the rest by name.
  const flaggedFirst = (a: (typeof ranked)[number], b: (typeof ranked)[number]) =>
    a.attention.length === 0 || b.attention.length === 0 ? 0 : b.attention.length - a.attention.length || a.low - b.low || b.warnings - a.warnings;
  const sorted = [...ranked].sort(
    (a, b) => Number(b.attention.length > 0) - Number(a.attention.length > 0) || flaggedFirst(a, b) || byName(a.cluster.name, b.cluster.name),
  );
  const flagged = sorted.filter((r) => r.attention.length > 0).length;
  const lines = [
    '# Fleet',
    '',
    `${sorted.length} cluster${sorted.length === 1 ? '' : 's'}, ${formatCount(sorted.reduce((n, r) => n + r.cluster.nodes, 0))} nodes. ` +
      'Each review gives the numbers, their rules and the rollout. What needs attention comes first: ' +
      `IPVS on a Kubernetes release that deprecates it, capacity headroom below ${HEADROOM_ATTENTION * 100}%, warnings.`,
    '',
  ];
  if (flagged > 0 && flagged < sorted.length) {
    lines.push(
      '```mermaid',
      'pie title Clusters by status',
      `  "needs attention" : ${flagged}`,
      `  "nothing flagged" : ${sorted.length - flagged}`,
      '```',
      '',
    );
  }
  lines.push(
    '| cluster | needs attention | platform | nodes | CNI | NetworkPolicy | Typha replicas | proxy | warnings |',
    '| --- | --- | --- | ---: | --- | --- | ---: | --- | ---: |',
  );
  for (const { cluster: c, warnings, attention } of sorted) {
    const cells = [`[${c.name}](${c.name}.md)`, attention.join('; '), PLATFORM_NAMES[c.platform], formatCount(c.nodes), c.cni, c.networkPolicy];
    cells.push(`${c.typha?.replicas ?? ''}`, proxyMode(c), `${warnings}`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  const byNameClusters = [...rows].map((r) => r.cluster).sort((a, b) => byName(a.name, b.name));
  lines.push(...rolloutStagesTable(byNameClusters));
  lines.push(...ipvsTable(byNameClusters));
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
    `Argo CD's ApplicationSets (\`${CLUSTER_STAGES}\` for the cluster ` +
      `folders, \`${CILIUM_STAGES}\` for the Cilium charts) sync a merged change into one stage after another, each stage Healthy before the next ` +
      `(Progressive Syncs, RollingSync).`,
    '',
    '| stage | clusters | nodes | sync | members |',
    '| --- | ---: | ---: | --- | --- |',
  ];
  for (const s of stages)
    lines.push(
      `| ${s.stage} | ${s.clusters.length} | ${formatCount(s.nodes)} | ${maxUpdateText(s.maxUpdate)} | ${s.clusters.map(link).join(', ')} |`,
    );
  const unstaged = clusters.filter((c) => c.argocd && c.argocd.stage === undefined);
  if (unstaged.length > 0) {
    lines.push(
      `| not staged | ${unstaged.length} | ${formatCount(unstaged.reduce((n, c) => n + c.nodes, 0))} | at once, by their own Applications, ` +
        `outside the stages | ${unstaged.map((c) => link(c.name)).join(', ')} |`,
    );
  }
  lines.push(
    '',
    ...stagesFlowchart(
      stages,
      unstaged.map((c) => c.name),
    ),
    '',
  );
  return lines;
}

/** The stages as a Mermaid flowchart: each stage Healthy before the next; clusters outside the stages beside them. */
function stagesFlowchart(stages: ReturnType<typeof rolloutStages>, unstaged: readonly string[]): string[] {
  const nodes = stages.map((s) => {
    const size = mermaidText(`${formatCount(s.nodes)} nodes, ${maxUpdateText(s.maxUpdate)}`);
    return `  stage${s.stage}["${mermaidText(`stage ${s.stage}: ${s.clusters.join(', ')}`)}<br/>${size}"]`;
  });
  const edges = stages.slice(1).map((s, i) => `  stage${stages[i].stage} -->|Healthy| stage${s.stage}`);
  const outside = unstaged.length > 0 ? [`  unstaged["${mermaidText(`not staged: ${unstaged.join(', ')}`)}<br/>at once"]`] : [];
  return ['```mermaid', 'flowchart LR', ...nodes, ...outside, ...edges, '```'];
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
    `kube-proxy's IPVS mode is deprecated from Kubernetes 1.${d.deprecated}; it is planned to be off by default ` +
      `in 1.${d.defaultOff} (the ${d.gateName} feature gate keeps it a while longer) and removed ` +
      `in 1.${d.removed} (${markdownCitation([REFERENCES.kep5495])}). Clusters whose profile runs kube-proxy in IPVS mode:`,
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
