/**
 * The review's sections around the rollout: what changes (Changes), how to know it worked
 * (Verify) and how to undo it (Rollback). Each lays out what the components recorded.
 */
import { ResolvedCluster } from '../cluster/resolve';
import { cell } from '../core/format';
import { formatSeconds } from '../core/pace';
import { ChangeArea } from '../core/review-parts';
import { RenderedObject } from '../core/rollout';
import { ciliumApplicationName } from '../components/cilium/facts';

/** `"abc"` -> `` `"abc"` ``, undefined -> what stands for it. */
function valueCell(json: string | undefined, absent: string): string {
  return json === undefined ? absent : `\`${cell(json).replace(/`/g, "'")}\``;
}

/** The Applications that sync this cluster, for `argocd app diff`. */
function applicationsOf(c: ResolvedCluster, objects: readonly RenderedObject[]): string[] {
  if (!c.argocd) return [];
  return [...(objects.length > 0 ? [c.name] : []), ...(c.cilium?.delivery === 'argocd' ? [ciliumApplicationName(c.name)] : [])];
}

export function changesSection(c: ResolvedCluster, objects: readonly RenderedObject[]): string[] {
  const lines = ['## Changes', ''];
  if (c.changes.length === 0) return [...lines, 'None: this profile sets nothing in the cluster.', ''];
  const known = c.changes.filter((a) => a.base !== undefined);
  const unknown = c.changes.filter((a) => a.base === undefined);
  for (const a of known) lines.push(...knownArea(a));
  if (unknown.length > 0) {
    const apps = applicationsOf(c, objects);
    const live =
      apps.length > 0
        ? `\`argocd app diff ${apps[0]} --revision <this branch>\``
        : `\`kubectl diff --server-side --field-manager=netscale --force-conflicts -f dist/${c.name}/\``;
    lines.push(
      `Current value unknown for the settings below. netscale knows a cluster's current values only from the base fields of its profile ` +
        `(\`kubeProxy.baseConfig\`, \`terway.baseEniConf\`, \`terway.baseCniConf\`): it renders dist/ from the profiles alone, so the same ` +
        `profiles always give the same dist/, and it does not compare with what dist/ held before (the pull request's diff of dist/ shows ` +
        `that). ${live} shows what the cluster runs now against this change.`,
      '',
    );
    for (const a of unknown) {
      lines.push(`**${a.where}** (${a.unknown}):`, '', '| setting | new value | why |', '| --- | --- | --- |');
      for (const ch of a.changes) lines.push(`| \`${cell(ch.setting)}\` | ${valueCell(ch.next, 'removed')} | ${cell(ch.why)} |`);
      lines.push('');
    }
  }
  return lines;
}

function knownArea(a: ChangeArea): string[] {
  const stay = a.kept !== undefined ? `; ${a.kept} other setting${a.kept === 1 ? '' : 's'} stay as they are` : '';
  if (a.changes.length === 0) return [`**${a.where}**, against \`${a.base}\`: nothing changes${stay}.`, ''];
  return [
    `**${a.where}**, against the cluster's current values in \`${a.base}\`${stay}:`,
    '',
    '| setting | current value | new value | why |',
    '| --- | --- | --- | --- |',
    ...a.changes.map(
      (ch) => `| \`${cell(ch.setting)}\` | ${valueCell(ch.current, 'not set')} | ${valueCell(ch.next, 'removed')} | ${cell(ch.why)} |`,
    ),
    '',
  ];
}

export function verifySection(c: ResolvedCluster): string[] {
  const lines = ['## Verify', ''];
  if (c.verify.length === 0) return [...lines, 'Nothing to check: this profile changes nothing the cluster runs.', ''];
  lines.push('After the rollout, for each component it changes: what to run, and what a healthy answer looks like.', '');
  const components = [...new Set(c.verify.map((v) => v.component))];
  for (const component of components) {
    lines.push(`### ${component}`, '');
    c.verify.filter((v) => v.component === component).forEach((v, i) => lines.push(`${i + 1}. ${v.check}: healthy when ${v.healthy}.`));
    lines.push('');
  }
  return lines;
}

/** How to undo the change: the revert, what rolls again in which order, and what no revert restores. */
export function rollbackSection(c: ResolvedCluster, objects: readonly RenderedObject[]): string[] {
  const lines = ['## Rollback', ''];
  const apps = applicationsOf(c, objects);
  if (objects.length === 0 && apps.length === 0 && c.rollback.length === 0)
    return [...lines, 'Nothing to undo: this profile renders nothing into the cluster.', ''];
  if (c.argocd) {
    lines.push(
      `Revert the commit (\`git revert <commit>\`) and merge it: Argo CD syncs the previous ` +
        `objects${c.argocd.stage !== undefined ? ', stage by stage as a change does' : ''}, and the configuration hashes change back, so the ` +
        `restarts below run once more.`,
    );
  } else {
    lines.push(
      `Revert the commit (\`git revert <commit>\`), then apply the previous files in the Rollout section's order and run the same restarts. ` +
        `kubectl deletes nothing: delete what this change added (\`kubectl delete -f dist/${c.name}/<file>\`) before the revert removes the file.`,
    );
  }
  lines.push(
    '',
    'Objects shared with the platform (eni-config, the kube-proxy ConfigMap, calico-config, Calico pools and BGP objects, the calico-node ' +
      'entry) are never deleted by a revert: one that a revert removes from dist/ stays in the cluster as last applied, so put its keys back ' +
      'by hand.',
    '',
  );
  if (c.restarts.length > 0 || c.waits.length > 0) {
    lines.push('What rolls again, in this order:', '');
    const rolls = [
      ...c.waits.filter((w) => w.after !== 'chart' && w.kind === 'DaemonSet').map((w) => ({ what: `${w.kind} ${w.name}`, pace: w.pace })),
      ...c.restarts.map((r) => ({ what: `ds/${r.daemonSet}`, pace: r.pace })),
      ...c.waits.filter((w) => w.after === 'chart').map((w) => ({ what: `ds/${w.name} (the Cilium agents)`, pace: w.pace })),
    ];
    if (rolls.length === 0) lines.push("- nothing restarts: only Typha's Deployment changes back.");
    rolls.forEach((r, i) => lines.push(`${i + 1}. ${r.what}: ${r.pace.rule}, about ${formatSeconds(r.pace.estimateSeconds)}, bound ${r.pace.bound}`));
    lines.push('');
  }
  for (const note of c.rollback) lines.push(`**${note.component}**: ${note.revert}`, '');
  lines.push('Point of no return:', '');
  const points = c.rollback.filter((n) => n.pointOfNoReturn !== undefined);
  if (points.length === 0) lines.push('- None: a revert restores the previous state, once the restarts above have run.');
  for (const p of points) lines.push(`- ${p.component}: ${p.pointOfNoReturn}.`);
  lines.push('');
  if (apps.length > 0) {
    const terminate = apps.map((app) => `\`argocd app terminate-op ${app}\``).join(' or ');
    lines.push(
      c.restarts.length > 0
        ? `To stop a sync at once (a restart that will not finish, a change to undo ` +
            `now): ${terminate} ends the running operation and deletes its running restart Job. Pods already replaced stay so, and the ` +
            `DaemonSet keeps rolling the rest, so revert the commit right after: its sync puts the previous configuration and hash back.`
        : `To stop a sync at once: ${terminate} ends the running operation; revert the commit right after.`,
      '',
    );
  } else if (c.restarts.length > 0) {
    lines.push(
      'To stop a restart midway: interrupt the `rollout status` wait (the DaemonSet keeps rolling the rest at its pace), apply the previous ' +
        'files, and restart again: each pod then starts with the previous configuration.',
      '',
    );
  }
  return lines;
}
