/**
 * The per-cluster review a human reads in the pull request: every number with its rule, every
 * warning with the field and advice behind it, the rollout order and what is left to do by hand.
 */
import { ResolvedCluster } from '../cluster/resolve';
import { PLATFORM_NAMES } from '../core/cluster';
import { cell, formatCount } from '../core/format';
import { markdownCitation } from '../core/references';
import { RenderedObject } from '../core/rollout';
import { argocdRollout } from '../delivery/argocd/rollout';
import { kubectlRollout } from '../delivery/kubectl/rollout';
import { Diagnostic, formatDiagnosticMarkdown, sortDiagnostics } from '../profile/diagnostics';
import { alertsSection } from './alerts';
import { changesSection, rollbackSection, verifySection } from './review-sections';
import { durationSection, rolloutFlowchart, rolloutTimeline } from './timeline';
import { typhaAutoscalingSection } from './typha-autoscaling';

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

export function renderReview(input: ReviewInput): string {
  const c = input.cluster;
  const lines: string[] = [];
  lines.push(`# ${c.name}`, '');
  // Cilium enforces NetworkPolicy itself: the relay/direct choice is Felix's.
  const policy = c.cni === 'cilium' ? '' : `, NetworkPolicy ${c.networkPolicy}`;
  const cluster = `${PLATFORM_NAMES[c.platform]}, ${c.cni}, Kubernetes ${c.kubernetesVersion}, ${formatCount(c.nodes)} nodes${policy}`;
  lines.push(`Profile \`${input.profileFile}\`: ${cluster}.`, '');

  lines.push(...changesSection(c, input.objects));

  lines.push('## Decisions', '', '| value | result | rule | source |', '| --- | --- | --- | --- |');
  for (const d of c.decisions.filter((d) => !d.capacity))
    lines.push(`| ${cell(d.name)} | ${cell(valueText(d.value))} | ${cell(d.rule)} | ${markdownCitation(d.source)} |`);
  lines.push('');

  const capacity = c.decisions.filter((d) => d.capacity);
  if (capacity.length > 0) {
    lines.push('## Capacity', '', '| figure | value | rule and inputs | headroom | source |', '| --- | --- | --- | --- | --- |');
    for (const d of capacity)
      lines.push(`| ${cell(d.name)} | ${cell(valueText(d.value))} | ${cell(d.rule)} | ${cell(d.headroom ?? '')} | ${markdownCitation(d.source)} |`);
    lines.push('');
  }

  lines.push(...typhaAutoscalingSection(c), ...alertsSection(c));

  lines.push('## Warnings', '');
  if (input.warnings.length === 0) lines.push('None.');
  for (const w of sortDiagnostics(input.warnings)) lines.push(`- ${formatDiagnosticMarkdown(w)}`);
  lines.push('');

  lines.push(`## Objects in \`${c.name}/\``, '');
  if (input.objects.length === 0) lines.push('None: this profile changes nothing in the cluster folder.');
  else lines.push('| kind | name | namespace | file |', '| --- | --- | --- | --- |');
  for (const o of input.objects) lines.push(`| ${o.kind} | ${o.name} | ${o.namespace ?? ''} | \`${o.file}\` |`);
  lines.push('');
  const elsewhere = [
    ...(input.applications ?? []).map((a) => `| ${a.kind} | ${a.name} | ${a.namespace ?? ''} | \`argocd/${a.file}\` |`),
    ...(input.valuesFiles ?? []).map((f) => `| Helm values | | | \`${f}\` |`),
  ];
  if (elsewhere.length > 0)
    lines.push('Outside the cluster folder:', '', '| kind | name | namespace | file |', '| --- | --- | --- | --- |', ...elsewhere, '');

  if (c.steps.length > 0 || c.notes.length > 0) {
    lines.push('## By hand', '', 'Each step says when it runs relative to the sync.', '');
    c.steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`));
    if (c.steps.length > 0 && c.notes.length > 0) lines.push('');
    lines.push(...c.notes);
    lines.push('');
  }
  const timeline = rolloutTimeline(c, input.objects);
  lines.push('## Rollout', '', ...rolloutFlowchart(c, timeline), '');
  lines.push(...(c.argocd ? argocdRollout(c, input.objects) : kubectlRollout(c, input.objects)));
  if (c.rollout.length > 0) lines.push('', ...c.rollout);
  lines.push('');
  lines.push(...durationSection(c, timeline), ...verifySection(c), ...rollbackSection(c, input.objects));

  return lines.join('\n');
}

function valueText(value: number | string): string {
  // Counts get separators; small figures such as an MTU or a port read better without.
  return typeof value === 'number' && value >= 10000 ? formatCount(value) : String(value);
}
