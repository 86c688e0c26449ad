/**
 * The fleet's rollout stages (`spec.argocd.stage`): which clusters each stage holds, and what a
 * staged cluster's review says about when a change reaches it. Argo CD's RollingSync does the
 * ordering (argoproj/argo-cd applicationset/progressivesync/progressive_sync.go): a step's
 * Applications sync only once every Application of the earlier steps is Healthy, at most maxUpdate
 * of them at a time.
 */
import { ResolvedArgocd, ResolvedCluster } from '../../cluster/resolve';
import { DEFAULT_MAX_UPDATE } from '../../core/argocd';
import { formatCount } from '../../core/format';
import { ciliumApplicationName, CILIUM_STAGES, CLUSTER_STAGES } from './fleet-chart';

export interface RolloutStage {
  readonly stage: number;
  /** How many of the stage's Applications sync at once (every cluster of a stage agrees). */
  readonly maxUpdate: number | string;
  /** Cluster names, sorted. */
  readonly clusters: readonly string[];
  readonly nodes: number;
}

/** What `rolloutStages` reads of a cluster: a resolved cluster fits, and so does the fleet index's plain copy. */
type StagedMember = Pick<ResolvedCluster, 'name' | 'nodes'> & { readonly argocd?: Pick<ResolvedArgocd, 'stage' | 'maxUpdate'> };

/** The stages present in a fleet, first to last. */
export function rolloutStages(clusters: readonly StagedMember[]): RolloutStage[] {
  const byStage = new Map<number, StagedMember[]>();
  for (const c of clusters) {
    const stage = c.argocd?.stage;
    if (stage !== undefined) byStage.set(stage, [...(byStage.get(stage) ?? []), c]);
  }
  return [...byStage.entries()]
    .sort(([a], [b]) => a - b)
    .map(([stage, members]) => ({
      stage,
      maxUpdate: members[0].argocd!.maxUpdate ?? DEFAULT_MAX_UPDATE,
      clusters: members.map((c) => c.name).sort(),
      nodes: members.reduce((n, c) => n + c.nodes, 0),
    }));
}

/** How a stage's Applications sync: "all at once", "25% at a time (rounded down, at least one)", "held: by hand". */
export function maxUpdateText(maxUpdate: number | string): string {
  if (isHeld(maxUpdate)) return 'held: by hand';
  if (maxUpdate === '100%') return 'all at once';
  if (typeof maxUpdate === 'number') return `${formatCount(maxUpdate)} at a time`;
  return `${maxUpdate} at a time (rounded down, at least one)`;
}

/**
 * What a staged cluster's review says about its stage. It depends on this cluster alone (the
 * fleet index lists each stage's clusters), so a one-cluster synth writes the same review.
 */
export function stageRollout(c: ResolvedCluster, hasFolder: boolean): string[] {
  const a = c.argocd;
  if (a?.stage === undefined) return [];
  const s = a.stage;
  const maxUpdate = a.maxUpdate ?? DEFAULT_MAX_UPDATE;
  const generated = [
    ...(hasFolder ? [`\`${CLUSTER_STAGES}\` generates its Application \`${c.name}\``] : []),
    ...(c.cilium?.delivery === 'argocd' ? [`\`${CILIUM_STAGES}\` generates its Cilium Application \`${ciliumApplicationName(c.name)}\``] : []),
  ];
  if (generated.length === 0) return [`Rollout stage ${s} of the fleet, but Argo CD has nothing of this cluster to sync.`, ''];
  return [
    `Rollout stage ${s} of the fleet: the ` +
      `ApplicationSet ${generated.join(', and the ApplicationSet ')}. Each ApplicationSet's RollingSync syncs a merged change (and a revert) one ` +
      `stage after another:`,
    '',
    s === 0
      ? '- before: stage 0 goes first; nothing has to be Healthy before it.'
      : `- before: every Application the same ApplicationSet generates for stages ` +
        `below ${s} must be Healthy (synced and healthy); \`reviews/README.md\` lists the clusters of each stage.`,
    isHeld(maxUpdate)
      ? `- stage ${s}: maxUpdate 0 holds it: Argo CD syncs none of its Applications by itself; sync each by hand (\`argocd app sync ` +
        `<name>\`) once the earlier stages are Healthy.`
      : `- stage ${s}: its Applications sync ${maxUpdateText(maxUpdate)}.`,
    `- after: the stages ` +
      `above ${s} wait until every Application of stage ${s} is Healthy, so a failure here stops the rollout before it reaches them.`,
    "- automated sync and self-heal are off on generated Applications: the ApplicationSet starts each sync, with the Application's prune " +
      'setting, retries and sync options; drift is undone by the next rollout or a sync by hand.',
    '',
  ];
}

/** maxUpdate 0 (or 0%): RollingSync syncs none of the step's Applications. */
function isHeld(maxUpdate: number | string): boolean {
  return maxUpdate === 0 || maxUpdate === '0%';
}
