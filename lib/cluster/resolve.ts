/**
 * From a checked profile to what the constructs take: every component resolves its section in
 * registry order (defaults applied, sizing run), each decision recorded with its rule, so the
 * review explains exactly the numbers in dist/.
 */
import { ARGOCD_DEFAULTS, DEFAULT_MAX_UPDATE, defaultKubectlImage, kubectlImageMinor, POD_FAILURE_POLICY_FROM } from '../core/argocd';
import { ClusterContext, Cni, kubernetesMinor, NetworkPolicyMode, Platform } from '../core/cluster';
import { Decision } from '../core/decision';
import { durationSeconds } from '../core/duration';
import { error, FieldPath, Finding, warning } from '../core/findings';
import { ChangeArea, RollbackNote, VerifyStep } from '../core/review-parts';
import { daemonSetPace, Pace, surgePace } from '../core/pace';
import { RestartNeed, RolloutWait } from '../core/rollout';
import { newResolveRecord, ResolveRecord } from '../components/component';
import { components, ComponentSections, ResolvedComponents } from '../components/registry';
import { ArgocdSpec } from '../profile/argocd-schema';
import { clusterContext } from '../profile/rules';
import { ClusterProfile } from '../profile/schema';
import { REFERENCES } from '../core/references';

export interface ResolvedArgocd {
  readonly repoURL: string;
  readonly targetRevision: string;
  /** Folder of the rendered output in the repository (dist). */
  readonly path: string;
  readonly project: string;
  readonly namespace: string;
  readonly destination: { readonly server?: string; readonly name?: string };
  /** kubectl of the restart Jobs; undefined only when no Job is rendered. */
  readonly kubectlImage?: string;
  /** The longest a restart Job waits: spec.argocd.restartTimeout for every Job, else the longest of the restarts' own bounds. */
  readonly restartTimeout: string;
  /** spec.argocd.restartTimeout is set: every restart Job gets it instead of its own bound. */
  readonly restartTimeoutSet: boolean;
  /** Rollout stage: set, the cluster is delivered by the fleet's ApplicationSets, one stage after another. */
  readonly stage?: number;
  /** How many Applications of the cluster's stage sync at once (a count or a percentage); staged clusters only. */
  readonly maxUpdate?: number | string;
  /** How long a restart may go without progress; undefined where the cluster cannot bound it (before 1.26). */
  readonly restartProgressTimeout?: string;
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
  /** DaemonSets to restart after their configuration changed, in this order, each at its own pace. */
  readonly restarts: readonly PacedRestart[];
  /** Workloads that roll by themselves during the rollout, each at its own pace. */
  readonly waits: readonly PacedWait[];
  /** Further review text (Markdown lines) from the components, e.g. Cilium's install notes. */
  readonly notes: readonly string[];
  /** Every computed or defaulted value that shapes dist/, with its rule. */
  readonly decisions: readonly Decision[];
  /** What a human still has to do beyond applying dist/ and the restarts. */
  readonly steps: readonly string[];
  /** What the rollout does to the cluster beyond the objects and restarts (Markdown lines). */
  readonly rollout: readonly string[];
  /** Checks after the rollout, by component. */
  readonly verify: readonly VerifyStep[];
  /** What a revert does and cannot undo, by component. */
  readonly rollback: readonly RollbackNote[];
  /** The settings the rollout changes, by place. */
  readonly changes: readonly ChangeArea[];
}

/** A restart with how long it takes at its DaemonSet's pace, and the bound every path waits it with. */
export interface PacedRestart extends RestartNeed {
  readonly pace: Pace;
}

export interface PacedWait extends RolloutWait {
  readonly pace: Pace;
}

export interface Resolution {
  readonly cluster: ResolvedCluster;
  readonly findings: readonly Finding[];
}

export function resolveProfile(profile: ClusterProfile, ctx: ClusterContext = clusterContext(profile)): Resolution {
  const spec = profile.spec;
  const r = newResolveRecord();
  // Cilium enforces NetworkPolicy itself: no Felix, so no row about how Felix reaches the API server.
  if (ctx.cni !== 'cilium') {
    r.decisions.push({
      name: 'NetworkPolicy mode',
      value: ctx.networkPolicy,
      rule: ctx.networkPolicyGiven ? 'set in the profile' : 'default: direct (no change to how Felix reaches the API server)',
    });
  }

  const sections = spec as ComponentSections;
  const resolved: Record<string, unknown> = {};
  for (const component of components()) {
    const value = component.resolve(sections[component.key], ctx, r, resolved);
    if (value !== undefined) resolved[component.key] = value;
  }

  const restarts = r.restarts.map((x) => ({ ...x, pace: daemonSetPace(x.maxUnavailable, ctx.nodes) }));
  const waits = r.waits.map((w) => ({
    ...w,
    pace: w.surgeReplicas !== undefined ? surgePace(w.surgeReplicas) : daemonSetPace(w.maxUnavailable, ctx.nodes),
  }));
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
      argocd: spec.argocd ? resolveArgocd(spec.argocd, ctx, r, restarts) : undefined,
      restarts,
      waits,
      notes: r.notes,
      decisions: r.decisions,
      steps: r.steps,
      rollout: r.rollout,
      verify: r.verify,
      rollback: r.rollback,
      changes: r.changes,
    },
    findings: r.findings,
  };
}

function resolveArgocd(a: ArgocdSpec, ctx: ClusterContext, r: ResolveRecord, restarts: readonly PacedRestart[]): ResolvedArgocd {
  // Each restart Job waits its own DaemonSet's bound, the one the kubectl path gives too; the slowest bounds them all.
  const slowest = restarts.reduce<PacedRestart | undefined>(
    (s, x) => (s === undefined || x.pace.boundSeconds > s.pace.boundSeconds ? x : s),
    undefined,
  );
  const restartTimeout = a.restartTimeout ?? slowest?.pace.bound ?? daemonSetPace(undefined, ctx.nodes).bound;
  const minor = kubernetesMinor(ctx.kubernetesVersion);
  const kubectlImage = a.kubectlImage ?? defaultKubectlImage(minor);
  // The default bound, or the whole restart's when that is shorter.
  const defaultProgress =
    durationSeconds(restartTimeout) < durationSeconds(ARGOCD_DEFAULTS.restartProgressTimeout)
      ? restartTimeout
      : ARGOCD_DEFAULTS.restartProgressTimeout;
  let restartProgressTimeout: string | undefined = a.restartProgressTimeout ?? defaultProgress;
  if (slowest) {
    if (a.restartTimeout)
      r.decisions.push({
        name: 'restart wait',
        value: restartTimeout,
        rule: 'set in the profile: every restart Job waits this long, instead of its own bound (the Duration section)',
      });
    if (minor < POD_FAILURE_POLICY_FROM) {
      restartProgressTimeout = undefined;
      const message =
        `Kubernetes ${ctx.kubernetesVersion} has no Job pod failure policies (on by default ` +
        `from 1.${POD_FAILURE_POLICY_FROM}), so a restart that stops progressing holds the sync for the whole ` +
        `restartTimeout (${restartTimeout}); \`argocd app terminate-op\` ends it sooner`;
      if (a.restartProgressTimeout !== undefined)
        r.findings.push(
          error(['spec', 'argocd', 'restartProgressTimeout'], `needs Kubernetes 1.${POD_FAILURE_POLICY_FROM} or newer: ${message}; remove it`),
        );
      else r.findings.push(warning(['spec', 'argocd'], message, [REFERENCES.jobPodFailurePolicy]));
    } else if (restartProgressTimeout !== undefined && durationSeconds(restartProgressTimeout) > durationSeconds(restartTimeout)) {
      r.findings.push(
        error(
          ['spec', 'argocd', 'restartProgressTimeout'],
          `${restartProgressTimeout} is longer than ` +
            `restartTimeout (${restartTimeout}), which bounds the whole restart: shorten it or raise restartTimeout`,
        ),
      );
    } else {
      const whence = a.restartProgressTimeout
        ? 'set in the profile'
        : `default: ${ARGOCD_DEFAULTS.restartProgressTimeout}, or the restart wait when shorter`;
      r.decisions.push({
        name: 'restart progress bound',
        value: restartProgressTimeout!,
        rule:
          `${whence}; a restart Job fails when a pod of the new configuration is not Ready within it, ` +
          'so a stuck rollout ends the sync and a retry or a revert can run',
      });
    }
    r.findings.push(...checkKubectlImage(a, ctx, kubectlImage));
  }
  if (a.stage !== undefined) {
    r.decisions.push({
      name: 'rollout stage',
      value: `${a.stage}, maxUpdate ${a.maxUpdate ?? DEFAULT_MAX_UPDATE}`,
      rule:
        `set in the profile: syncs once every Application of the earlier stages is ` +
        `Healthy${a.maxUpdate === undefined ? '; maxUpdate: default, the whole stage at once' : ''}`,
      source: [REFERENCES.argocdProgressiveSyncs],
    });
  }
  return {
    repoURL: a.repoURL,
    targetRevision: a.targetRevision ?? ARGOCD_DEFAULTS.targetRevision,
    path: a.path ?? ARGOCD_DEFAULTS.path,
    project: a.project ?? ARGOCD_DEFAULTS.project,
    namespace: a.namespace ?? ARGOCD_DEFAULTS.namespace,
    destination: a.destination?.name !== undefined ? { name: a.destination.name } : { server: a.destination?.server ?? ARGOCD_DEFAULTS.server },
    kubectlImage,
    restartTimeout,
    restartTimeoutSet: a.restartTimeout !== undefined,
    ...(a.stage !== undefined ? { stage: a.stage, maxUpdate: a.maxUpdate ?? DEFAULT_MAX_UPDATE } : {}),
    restartProgressTimeout,
  };
}

/** Alibaba Cloud regions of mainland China: cn-*, except Hong Kong. */
function mainlandChina(region: string | undefined): boolean {
  return region !== undefined && region.startsWith('cn-') && region !== 'cn-hongkong';
}

/**
 * The restart Jobs' kubectl: within one minor of the API server, which is as far as kubectl is
 * supported (kubernetes.io/releases/version-skew-policy/#kubectl), and pullable where the nodes run.
 */
function checkKubectlImage(a: ArgocdSpec, ctx: ClusterContext, image: string | undefined): Finding[] {
  const path: FieldPath = a.kubectlImage !== undefined ? ['spec', 'argocd', 'kubectlImage'] : ['spec', 'argocd'];
  const minor = kubernetesMinor(ctx.kubernetesVersion);
  if (image === undefined) {
    return [
      error(
        path,
        `no registry.k8s.io/kubectl image is within one minor of ` +
          `Kubernetes ${ctx.kubernetesVersion} (the image starts at v1.28): set spec.argocd.kubectlImage to a pinned ` +
          `kubectl 1.${minor - 1} to 1.${minor + 1} image`,
      ),
    ];
  }
  const out: Finding[] = [];
  const kubectlMinor = kubectlImageMinor(image);
  if (kubectlMinor === undefined) {
    out.push(
      warning(path, `${image} names no version netscale can read: make sure its kubectl is within one minor of Kubernetes ${ctx.kubernetesVersion}`, [
        REFERENCES.kubectlSkew,
      ]),
    );
  } else if (Math.abs(kubectlMinor - minor) > 1) {
    const fitting = defaultKubectlImage(minor);
    out.push(
      error(
        path,
        `${image} is kubectl 1.${kubectlMinor}, more than one minor away from ` +
          `Kubernetes ${ctx.kubernetesVersion}, which kubectl does not support: use ` +
          `kubectl 1.${minor - 1} to 1.${minor + 1}${fitting ? `, e.g. ${fitting}` : ''}`,
      ),
    );
  }
  if (ctx.platform === 'ack' && mainlandChina(ctx.region) && image.startsWith('registry.k8s.io/')) {
    out.push(
      warning(
        path,
        `${image} comes from registry.k8s.io, which ` +
          `nodes in ${ctx.region} often cannot reach: copy the image into your Container Registry and set spec.argocd.kubectlImage, e.g. ` +
          `registry-vpc.${ctx.region}.aliyuncs.com/<namespace>/${image.slice('registry.k8s.io/'.length)}`,
        [REFERENCES.ackImagePull],
      ),
    );
  }
  return out;
}
