/**
 * The per-cluster review a human reads in the pull request: every number with its rule, every
 * warning with the field and advice behind it, and what is left to do by hand.
 */
import { Diagnostic, formatDiagnostic, sortDiagnostics } from './profile/diagnostics';
import { ResolvedCluster } from './resolve';

export interface RenderedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  /** File inside the cluster folder. */
  readonly file: string;
}

export interface ReviewInput {
  readonly cluster: ResolvedCluster;
  readonly profileFile: string;
  readonly warnings: readonly Diagnostic[];
  readonly objects: readonly RenderedObject[];
}

const PLATFORM_NAMES = { ack: 'ACK', kubeadm: 'kubeadm', k3s: 'k3s' } as const;

export function renderReview(input: ReviewInput): string {
  const c = input.cluster;
  const lines: string[] = [];
  lines.push(`# ${c.name}`, '');
  lines.push(`Profile \`${input.profileFile}\`: ${PLATFORM_NAMES[c.platform]}, ${c.cni}, Kubernetes ${c.kubernetesVersion}, ${c.nodes.toLocaleString('en-US')} nodes, NetworkPolicy ${c.networkPolicy}.`, '');

  lines.push('## Decisions', '', '| value | result | rule | source |', '| --- | --- | --- | --- |');
  for (const d of c.decisions) lines.push(`| ${cell(d.name)} | ${cell(String(d.value))} | ${cell(d.rule)} | ${cell(d.source ?? '')} |`);
  lines.push('');

  lines.push('## Warnings', '');
  if (input.warnings.length === 0) lines.push('None.');
  for (const w of sortDiagnostics(input.warnings)) lines.push(`- ${formatDiagnostic(w)}`);
  lines.push('');

  lines.push(`## Objects in \`${c.name}/\``, '', '| kind | name | namespace | file |', '| --- | --- | --- | --- |');
  for (const o of input.objects) lines.push(`| ${o.kind} | ${o.name} | ${o.namespace ?? ''} | \`${o.file}\` |`);
  lines.push('');

  lines.push('## After the sync', '');
  if (c.steps.length === 0) lines.push('Nothing to do by hand.');
  c.steps.forEach((s, i) => lines.push(`${i + 1}. ${s}`));
  lines.push('');
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
