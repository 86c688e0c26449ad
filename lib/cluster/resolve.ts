/**
 * From a checked profile to what the constructs take: every component resolves its section in
 * registry order (defaults applied, sizing run), each decision recorded with its rule, so the
 * review explains exactly the numbers in dist/.
 */
import { ARGOCD_DEFAULTS } from '../core/argocd';
import { ClusterContext, Cni, NetworkPolicyMode, Platform } from '../core/cluster';
import { Decision } from '../core/decision';
import { Finding } from '../core/findings';
import { RestartNeed } from '../core/rollout';
import { newResolveRecord, ResolveRecord } from '../components/component';
import { components, ComponentSections, ResolvedComponents } from '../components/registry';
import { ArgocdSpec } from '../profile/argocd-schema';
import { clusterContext } from '../profile/rules';
import { ClusterProfile } from '../profile/schema';

export interface ResolvedArgocd {
  readonly repoURL: string;
  readonly targetRevision: string;
  /** Folder of the rendered output in the repository (dist). */
  readonly path: string;
  readonly project: string;
  readonly namespace: string;
  readonly destination: { readonly server?: string; readonly name?: string };
  readonly kubectlImage?: string;
  readonly restartTimeout: string;
}

export interface ResolvedCluster extends ResolvedComponents {
  readonly name: string;
  readonly platform: Platform;
  readonly cni: Cni;
  readonly kubernetesVersion: string;
  readonly nodes: number;
  readonly networkPolicy: NetworkPolicyMode;
  /** What the components saw of the cluster. */
  readonly context: ClusterContext;
  readonly argocd?: ResolvedArgocd;
  /** DaemonSets to restart after their configuration changed, in this order. */
  readonly restarts: readonly RestartNeed[];
  /** Further review text (Markdown lines) from the components, e.g. Cilium's install notes. */
  readonly notes: readonly string[];
  /** Every computed or defaulted value that shapes dist/, with its rule. */
  readonly decisions: readonly Decision[];
  /** What a human still has to do beyond applying dist/ and the restarts. */
  readonly steps: readonly string[];
  /** What the rollout does to the cluster beyond the objects and restarts (Markdown lines). */
  readonly rollout: readonly string[];
}

export interface Resolution {
  readonly cluster: ResolvedCluster;
  readonly findings: readonly Finding[];
}

export function resolveProfile(profile: ClusterProfile, ctx: ClusterContext = clusterContext(profile)): Resolution {
  const spec = profile.spec;
  const r = newResolveRecord();
  r.decisions.push({ name: 'NetworkPolicy mode', value: ctx.networkPolicy, rule: ctx.networkPolicyGiven ? 'set in the profile' : 'default: direct (no change to how Felix reaches the API server)' });

  const sections = spec as ComponentSections;
  const resolved: Record<string, unknown> = {};
  for (const component of components()) {
    const value = component.resolve(sections[component.key], ctx, r);
    if (value !== undefined) resolved[component.key] = value;
  }

  return {
    cluster: {
      ...(resolved as ResolvedComponents),
      name: ctx.name,
      platform: ctx.platform,
      cni: ctx.cni,
      kubernetesVersion: ctx.kubernetesVersion,
      nodes: ctx.nodes,
      networkPolicy: ctx.networkPolicy,
      context: ctx,
      argocd: spec.argocd ? resolveArgocd(spec.argocd, ctx.nodes, r) : undefined,
      restarts: r.restarts,
      notes: r.notes,
      decisions: r.decisions,
      steps: r.steps,
      rollout: r.rollout,
    },
    findings: r.findings,
  };
}

/** Seconds a rolling restart gets per round of pods (image cached, the agent ready again). */
export const RESTART_SECONDS_PER_NODE = 20;

/**
 * Pods a DaemonSet replaces at once: its maxUnavailable, a count or a percentage of the nodes that
 * Kubernetes rounds up for DaemonSets (apps/v1 RollingUpdateDaemonSet); 1 where it is not known.
 */
export function podsPerRound(maxUnavailable: string | undefined, nodes: number): number {
  if (maxUnavailable === undefined) return 1;
  const percent = /^(\d+)%$/.exec(maxUnavailable);
  const n = percent ? Math.ceil((nodes * Number(percent[1])) / 100) : Number(maxUnavailable);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

function resolveArgocd(a: ArgocdSpec, nodes: number, r: ResolveRecord): ResolvedArgocd {
  // The slowest restart sets the wait: each DaemonSet replaces maxUnavailable pods per round.
  const rounds = r.restarts.map((x) => ({ restart: x, rounds: Math.ceil(nodes / podsPerRound(x.maxUnavailable, nodes)) }));
  const slowest = rounds.reduce<(typeof rounds)[number] | undefined>((s, x) => (s === undefined || x.rounds > s.rounds ? x : s), undefined);
  const restartTimeout = a.restartTimeout ?? `${Math.min(10080, Math.max(30, Math.ceil(((slowest?.rounds ?? nodes) * RESTART_SECONDS_PER_NODE) / 60)))}m`;
  if (slowest) {
    const pace = slowest.restart.maxUnavailable !== undefined ? `maxUnavailable ${slowest.restart.maxUnavailable}, ${podsPerRound(slowest.restart.maxUnavailable, nodes)} pods per round` : 'one pod at a time';
    r.decisions.push({
      name: 'restart wait',
      value: restartTimeout,
      rule: a.restartTimeout
        ? 'set in the profile'
        : `max(30m, ${slowest.rounds} rounds x ${RESTART_SECONDS_PER_NODE}s), at most 168h: ${nodes} nodes of ${slowest.restart.daemonSet} at its own pace (${pace})`,
    });
  }
  return {
    repoURL: a.repoURL,
    targetRevision: a.targetRevision ?? ARGOCD_DEFAULTS.targetRevision,
    path: a.path ?? ARGOCD_DEFAULTS.path,
    project: a.project ?? ARGOCD_DEFAULTS.project,
    namespace: a.namespace ?? ARGOCD_DEFAULTS.namespace,
    destination: a.destination?.name !== undefined ? { name: a.destination.name } : { server: a.destination?.server ?? ARGOCD_DEFAULTS.server },
    kubectlImage: a.kubectlImage,
    restartTimeout,
  };
}
