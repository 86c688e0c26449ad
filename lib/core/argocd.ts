/** Argo CD delivery defaults: what the profile documents, the resolve step applies and the constructs render. */

/** kubectl for the restart Jobs, pinned; the official image from the Kubernetes registry. */
export const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.28.15';

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
  kubectlImage: KUBECTL_IMAGE,
} as const;
