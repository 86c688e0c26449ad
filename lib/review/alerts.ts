/** The review's "Alerts" section: each alert of spec.monitoring, its threshold and where it comes from. */
import { ResolvedCluster } from '../cluster/resolve';
import { cell } from '../core/format';

export function alertsSection(c: ResolvedCluster): string[] {
  const m = c.monitoring;
  if (!m) return [];
  const lines = [
    '## Alerts',
    '',
    `PrometheusRule \`${m.namespace}/netscale-alerts\`: every alert carries ` +
      `\`cluster: ${m.cluster}\` and its severity, and its \`review\` annotation points here.`,
    '',
    '| alert | fires when | threshold | source of the threshold | severity |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const a of m.alerts) lines.push(`| ${a.alert} | ${cell(a.meaning)} | ${cell(a.threshold)} | ${cell(a.thresholdSource)} | ${a.severity} |`);
  lines.push('', 'What Prometheus must scrape for them:', '', ...m.scrape.map((s) => `- ${s}`), '');
  return lines;
}
