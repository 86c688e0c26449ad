/**
 * From a checked profile to what the constructs take: every component resolves its section in
 * registry order (defaults applied, sizing run), each decision recorded with its rule, so the
 * review explains exactly the numbers in dist/.
 */
import { ARGOCD_DEFAULTS, DEFAULT_MAX_UPDATE } from '../core/argocd';
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
  /** Rollout stage: set, the cluster is delivered by the fleet's ApplicationSets, one stage after another. */
  readonly stage?: number;
  /** How many Applications of the cluster's stage sync at once (a count or a percentage); staged clusters only. */
  readonly maxUpdate?: number | string;
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
    const value = component.resolve(sections[component.key], ctx, r, resolved);
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
    },
    findings: r.findings,
  };
}

/** Seconds a rolling restart gets per node before the wait gives up (one pod at a time, image cached). */
export const RESTART_SECONDS_PER_NODE = 20;

function resolveArgocd(a: ArgocdSpec, nodes: number, r: ResolveRecord): ResolvedArgocd {
  // One node at a time is what kube-proxy's and calico-node's DaemonSets allow by default.
  const restartTimeout = a.restartTimeout ?? `${Math.min(10080, Math.max(30, Math.ceil((nodes * RESTART_SECONDS_PER_NODE) / 60)))}m`;
  if (r.restarts.length > 0) {
    r.decisions.push({
      name: 'restart wait',
      value: restartTimeout,
      rule: a.restartTimeout ? 'set in the profile' : `max(30m, ${nodes} nodes x ${RESTART_SECONDS_PER_NODE}s), at most 168h: a DaemonSet that replaces one pod at a time`,
    });
  }
  if (a.stage !== undefined) {
    r.decisions.push({
      name: 'rollout stage',
      value: `${a.stage}, maxUpdate ${a.maxUpdate ?? DEFAULT_MAX_UPDATE}`,
      rule: `set in the profile: syncs once every Application of the earlier stages is Healthy${a.maxUpdate === undefined ? '; maxUpdate: default, the whole stage at once' : ''}`,
      source: 'Argo CD Progressive Syncs (RollingSync)',
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
    ...(a.stage !== undefined ? { stage: a.stage, maxUpdate: a.maxUpdate ?? DEFAULT_MAX_UPDATE } : {}),
  };
}
