/** Argo CD delivery defaults: what the profile documents, the resolve step applies and the constructs render. */

/** kubectl for the restart Jobs, pinned; the official image from the Kubernetes registry. */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.28.15';

/** The cluster Argo CD itself runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

export const ARGOCD_DEFAULTS = {
  targetRevision: 'main',
  path: 'dist',
  project: 'default',
  namespace: 'argocd',
  server: IN_CLUSTER_SERVER,
  kubectlImage: KUBECTL_IMAGE,
} as const;

/** Rollout stages of an ApplicationSet's RollingSync: 0 goes first. */
export const FIRST_STAGE = 0;
export const LAST_STAGE = 9;

/** RollingSync's maxUpdate when a step sets none: the whole step at once. */
export const DEFAULT_MAX_UPDATE = '100%';
