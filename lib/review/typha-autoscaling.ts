/** The review's ladder of the Typha autoscaler: replicas by node count, and where the count changes. */
import { ResolvedCluster } from '../cluster/resolve';
import { formatCount } from '../core/format';
import { TYPHA_AUTOSCALER_POLL_SECONDS } from '../components/typha/facts';

export function typhaAutoscalingSection(c: ResolvedCluster): string[] {
  const ladder = c.typha?.autoscale?.ladder;
  if (!ladder || ladder.length === 0) return [];
  const steps = ladder
    .slice(1)
    .map((s) => formatCount(s.nodes))
    .join(', ');
  const lines = [
    '## Typha autoscaling',
    '',
    `The cluster-proportional-autoscaler sets Typha's replicas from the live node count every ${TYPHA_AUTOSCALER_POLL_SECONDS} s, ` +
      'with the sizing rule of the decisions above, kept below the node count and at least 1. ' +
      `The count changes at ${steps} nodes.`,
    '',
    '| nodes | Typha replicas |',
    '| --- | ---: |',
  ];
  ladder.forEach((step, i) => {
    const next = ladder[i + 1];
    const range =
      next === undefined
        ? `${formatCount(step.nodes)} and more`
        : next.nodes - 1 === step.nodes
          ? formatCount(step.nodes)
          : `${formatCount(step.nodes)}-${formatCount(next.nodes - 1)}`;
    const here = c.nodes >= step.nodes && (next === undefined || c.nodes < next.nodes) ? ` (spec.nodes: ${formatCount(c.nodes)})` : '';
    lines.push(`| ${range}${here} | ${step.replicas} |`);
  });
  lines.push('');
  return lines;
}
