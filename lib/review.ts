/**
 * The per-cluster review a human reads in the pull request: every number with its rule, every
 * warning with the field and advice behind it, the rollout order and what is left to do by hand.
 */
import { Diagnostic, formatDiagnostic, sortDiagnostics } from './profile/diagnostics';
import { ResolvedCluster } from './resolve';
import { SYNC_WAVES, syncWaveOf } from './sync-waves';
import { TYPHA_NAME } from './typha-relay';

export interface RenderedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** File inside the chart's folder. */
  readonly file: string;
  /** The Argo CD hook phase, for hooks. */
  readonly hook?: string;
}

export interface ReviewInput {
  readonly cluster: ResolvedCluster;
  readonly profileFile: string;
  readonly warnings: readonly Diagnostic[];
  /** Objects in dist/<cluster>/. */
  readonly objects: readonly RenderedObject[];
  /** This cluster's Applications in dist/argocd/. */
  readonly applications?: readonly RenderedObject[];
  /** Files outside the synced folders (Helm values), relative to dist/. */
  readonly valuesFiles?: readonly string[];
}

const PLATFORM_NAMES = { ack: 'ACK', kubeadm: 'kubeadm', k3s: 'k3s' } as const;

export function renderReview(input: ReviewInput): string {
  const c = input.cluster;
  const lines: string[] = [];
  lines.push(`# ${c.name}`, '');
  lines.push(`Profile \`${input.profileFile}\`: ${PLATFORM_NAMES[c.platform]}, ${c.cni}, Kubernetes ${c.kubernetesVersion}, ${c.nodes.toLocaleString('en-US')} nodes, NetworkPolicy ${c.networkPolicy}.`, '');

  lines.push('## Decisions', '', '| value | result | rule | source |', '| --- | --- | --- | --- |');
  for (const d of c.decisions.filter((d) => !d.capacity)) lines.push(`| ${cell(d.name)} | ${cell(valueText(d.value))} | ${cell(d.rule)} | ${cell(d.source ?? '')} |`);
  lines.push('');

  const capacity = c.decisions.filter((d) => d.capacity);
  if (capacity.length > 0) {
    lines.push('## Capacity', '', '| figure | value | rule and inputs | headroom | source |', '| --- | --- | --- | --- | --- |');
    for (const d of capacity) lines.push(`| ${cell(d.name)} | ${cell(valueText(d.value))} | ${cell(d.rule)} | ${cell(d.headroom ?? '')} | ${cell(d.source ?? '')} |`);
    lines.push('');
  }

  lines.push('## Warnings', '');
  if (input.warnings.length === 0) lines.push('None.');
  for (const w of sortDiagnostics(input.warnings)) lines.push(`- ${formatDiagnostic(w)}`);
  lines.push('');

  lines.push(`## Objects in \`${c.name}/\``, '');
  if (input.objects.length === 0) lines.push('None: this profile changes nothing in the cluster itself.');
  else lines.push('| kind | name | namespace | file |', '| --- | --- | --- | --- |');
  for (const o of input.objects) lines.push(`| ${o.kind} | ${o.name} | ${o.namespace ?? ''} | \`${o.file}\` |`);
  for (const a of input.applications ?? []) lines.push(`| ${a.kind} | ${a.name} | ${a.namespace ?? ''} | \`argocd/${a.file}\` |`);
  for (const f of input.valuesFiles ?? []) lines.push(`| Helm values | | | \`${f}\` |`);
  lines.push('');

  if (c.steps.length > 0 || c.notes.length > 0) {
    lines.push('## By hand', '', 'Each step says when it runs relative to the sync.', '');
    c.steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`));
    if (c.steps.length > 0 && c.notes.length > 0) lines.push('');
    lines.push(...c.notes);
    lines.push('');
  }
  lines.push('## Rollout', '');
  lines.push(...(c.argocd ? argocdRollout(input) : kubectlRollout(input)));
  lines.push('');

  return lines.join('\n');
}

/** Argo CD orders the rollout itself: what each wave holds and which restarts follow. */
function argocdRollout(input: ReviewInput): string[] {
  const c = input.cluster;
  const a = c.argocd!;
  const out = [`Argo CD syncs \`${a.path}/${c.name}\` to ${a.destination.name ? `cluster ${a.destination.name}` : a.destination.server} in waves, each one healthy before the next:`, ''];
  for (const wave of SYNC_WAVES) {
    const here = input.objects.filter((o) => !o.hook && syncWaveOf(o.kind) === wave.wave);
    if (here.length > 0) out.push(`- wave ${wave.wave} (${wave.name}): ${here.map((o) => `${o.kind} ${o.name}`).join(', ')}`);
  }
  for (const r of c.restarts) {
    out.push(
      `- after the sync (PostSync): a Job sets the configuration's hash on \`ds/${r.daemonSet}\`'s pod template and waits up to ${c.argocd!.restartTimeout} for \`kubectl rollout status\`, at the DaemonSet's own maxUnavailable (${r.why}); the pods roll only when the hash changes, so a sync that changed nothing restarts nothing.`,
    );
  }
  out.push('', 'Roll back by reverting the commit: the configuration and its hash change back, so the DaemonSets roll once more.');
  return out;
}

/** Without Argo CD: the same order as kubectl commands. */
function kubectlRollout(input: ReviewInput): string[] {
  const c = input.cluster;
  const out: string[] = [];
  let step = 0;
  const add = (text: string) => out.push(`${++step}. ${text}`);
  for (const wave of SYNC_WAVES) {
    const here = input.objects.filter((o) => syncWaveOf(o.kind) === wave.wave);
    if (here.length === 0) continue;
    // --force-conflicts: the shared keys (config.conf, typha_service_name, ACK's eni-config) belong to other managers until now.
    add(`${wave.name}: \`kubectl apply --server-side --force-conflicts --field-manager=netscale ${here.map((o) => `-f dist/${c.name}/${o.file}`).join(' ')}\``);
    if (wave.wave === 2 && c.typha) add(`wait until Typha is ready before Felix is pointed at it: \`kubectl -n ${c.typha.namespace ?? 'kube-system'} rollout status deploy/${TYPHA_NAME} --timeout=10m\``);
  }
  for (const r of c.restarts) {
    add(`restart \`${r.daemonSet}\` (${r.why}), one pod at a time as its maxUnavailable allows: \`kubectl -n ${r.namespace} rollout restart ds/${r.daemonSet} && kubectl -n ${r.namespace} rollout status ds/${r.daemonSet} --timeout=30m\`. Never delete every pod at once as the seeds do: that restarts every node's network agent in the same minute.`);
  }
  if (out.length === 0) out.push('Nothing to apply.');
  return out;
}

function valueText(value: number | string): string {
  // Counts get separators; small figures such as an MTU or a port read better without.
  return typeof value === 'number' && value >= 10000 ? value.toLocaleString('en-US') : String(value);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

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
    `${sorted.length} cluster${sorted.length === 1 ? '' : 's'}, ${sorted.reduce((n, r) => n + r.cluster.nodes, 0).toLocaleString('en-US')} nodes. Each review gives the numbers, their rules and the rollout.`,
    '',
    '| cluster | platform | nodes | CNI | NetworkPolicy | Typha replicas | proxy | warnings |',
    '| --- | --- | ---: | --- | --- | ---: | --- | ---: |',
  ];
  for (const { cluster: c, warnings } of sorted) {
    lines.push(`| [${c.name}](${c.name}.md) | ${PLATFORM_NAMES[c.platform]} | ${c.nodes.toLocaleString('en-US')} | ${c.cni} | ${c.networkPolicy} | ${c.typha?.replicas ?? ''} | ${proxyMode(c)} | ${warnings} |`);
  }
  lines.push('');
  return lines.join('\n');
}

function proxyMode(c: ResolvedCluster): string {
  if (c.cilium) return `Cilium kube-proxy replacement ${c.cilium.version}`;
  if (c.kubeProxy) {
    const mode = c.kubeProxy.mode ?? 'ipvs';
    return mode === 'ipvs' ? `kube-proxy IPVS ${c.kubeProxy.scheduler ?? 'rr'}` : 'kube-proxy nftables';
  }
  return 'unchanged';
}
