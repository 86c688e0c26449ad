/** Argo CD delivery defaults: what the profile documents, the resolve step applies and the constructs render. */

/** kubectl for the restart Jobs, pinned; the official image from the Kubernetes registry. */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.28.15';

/**
 * The pinned registry.k8s.io/kubectl tag per Kubernetes minor. The image is published from
 * v1.28.0 (kubernetes CHANGELOG-1.28.md, "Container Images"); kubectl is supported within one
 * minor of the API server (kubernetes.io/releases/version-skew-policy/#kubectl), so 1.27 clusters
 * get 1.28 and 1.36 clusters 1.35.
 */
export const KUBECTL_IMAGES: Readonly<Record<number, string>> = {
  28: 'registry.k8s.io/kubectl:v1.28.15',
  29: 'registry.k8s.io/kubectl:v1.29.9',
  30: 'registry.k8s.io/kubectl:v1.30.14',
  31: 'registry.k8s.io/kubectl:v1.31.5',
  32: 'registry.k8s.io/kubectl:v1.32.8',
  33: 'registry.k8s.io/kubectl:v1.33.5',
  34: 'registry.k8s.io/kubectl:v1.34.7',
  35: 'registry.k8s.io/kubectl:v1.35.3',
};

/** The kubectl minor a cluster may use: its own, or one away when no image of its own exists. */
export function defaultKubectlImage(kubernetesMinor: number): string | undefined {
  for (const minor of [kubernetesMinor, kubernetesMinor + 1, kubernetesMinor - 1]) if (KUBECTL_IMAGES[minor]) return KUBECTL_IMAGES[minor];
  return undefined;
}

/** The kubectl minor an image's tag names (v1.28.15, 1.30.2), or undefined for a digest or another tag. */
export function kubectlImageMinor(image: string): number | undefined {
  const m = /:v?1\.(\d+)(\.\d+)?(?:[-+][\w.]+)?$/.exec(image);
  return m ? Number(m[1]) : undefined;
}

/** How long a restart may go without a pod of the new configuration becoming Ready. */
export const RESTART_PROGRESS_TIMEOUT = '15m';
/** Job pod failure policies, which the progress bound needs, are on by default from Kubernetes 1.26. */
export const POD_FAILURE_POLICY_FROM = 26;

/** The cluster Argo CD itself runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
/** The name Argo CD registers its own cluster under. */
export const IN_CLUSTER_NAME = 'in-cluster';

/** Whether a destination (after its default) is the cluster Argo CD itself runs in. */
export function isInCluster(destination: { readonly server?: string; readonly name?: string } | undefined): boolean {
  if (destination?.name !== undefined) return destination.name === IN_CLUSTER_NAME;
  return (destination?.server ?? IN_CLUSTER_SERVER) === IN_CLUSTER_SERVER;
}

export const ARGOCD_DEFAULTS = {
  targetRevision: 'main',
  path: 'dist',
  project: 'default',
  namespace: 'argocd',
  server: IN_CLUSTER_SERVER,
  restartProgressTimeout: RESTART_PROGRESS_TIMEOUT,
} as const;

/** Rollout stages of an ApplicationSet's RollingSync: 0 goes first. */
export const FIRST_STAGE = 0;
export const LAST_STAGE = 9;

/** RollingSync's maxUpdate when a step sets none: the whole step at once. */
export const DEFAULT_MAX_UPDATE = '100%';

/** An Application's automated sync policy, as rendered and as the recovery steps put it back. */
export interface AutomatedSync {
  readonly prune: boolean;
  readonly selfHeal: boolean;
}

/** A cluster folder's Application: prunes what left the folder and undoes drift. */
export const FOLDER_AUTOMATED_SYNC: AutomatedSync = { prune: true, selfHeal: true };
/** The Cilium chart's Application: undoes drift but never prunes (a pruned CNI object takes the network down). */
export const CILIUM_AUTOMATED_SYNC: AutomatedSync = { prune: false, selfHeal: true };

/**
 * The kubectl command that sets an Application's automated sync: `undefined` turns it off (the first
 * step of a recovery Argo CD must not undo), a policy turns it back on as rendered.
 */
export function automatedSyncPatch(namespace: string, application: string, automated: AutomatedSync | undefined): string {
  const patch = JSON.stringify({ spec: { syncPolicy: { automated: automated ?? null } } });
  return `kubectl -n ${namespace} patch application ${application} --type merge -p '${patch}'`;
}
