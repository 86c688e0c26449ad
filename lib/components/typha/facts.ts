/**
 * Upstream facts about Calico Typha that the construct, the rules and the review rely on: names,
 * ports, pinned images and defaults. What changes with the release (RBAC, connection limits, the
 * settings it reads) is in releases.ts.
 */

/** Typha's listening port, where Felix agents connect. */
export const TYPHA_PORT = 5473;
/** Typha's health port (/liveness, /readiness), bound to localhost. */
export const TYPHA_HEALTH_PORT = 9098;
export const TYPHA_NAME = 'calico-typha';

/** The Typha build ACK publishes in every region's VPC registry (seeds 000/001). */
export const ACK_TYPHA_TAG = 'v3.5.8';
/** Upstream Calico Typha, pinned; its RBAC below follows the same release. */
export const UPSTREAM_TYPHA_IMAGE = 'docker.io/calico/typha:v3.28.5';

/** The pinned Typha image ACK serves from the VPC registry of `region`. */
export function ackTyphaImage(region: string): string {
  return `registry-vpc.${region}.aliyuncs.com/acs/typha:${ACK_TYPHA_TAG}`;
}

/** The sizing rule: one replica per 200 nodes (ACK), at least 3, at most 20 (Calico). */
export const TYPHA_DEFAULTS = { nodesPerReplica: 200, minReplicas: 3, maxReplicas: 20 } as const;

/** What the construct renders when its props are silent. */
export const TYPHA_RELAY_DEFAULTS = {
  replicas: 3,
  namespace: 'kube-system',
  logSeverity: 'info',
  shutdownTimeoutSeconds: 300,
  cpuRequest: '250m',
  memoryRequest: '256Mi',
} as const;

/**
 * Resource types one Felix syncer watches on the API server in Kubernetes-datastore mode with
 * Calico IPAM (libcalico-go lib/backend/syncersv1/felixsyncer/felixsyncerv1.go, Calico 3.2x):
 * ClusterInformation, FelixConfiguration, GlobalNetworkPolicy, GlobalNetworkSet, IPPool, Node,
 * Profile, WorkloadEndpoint, NetworkPolicy, NetworkSet, HostEndpoint, BGPConfiguration,
 * KubernetesNetworkPolicy, KubernetesEndpointSlice, KubernetesService and IPAM blocks. Releases
 * from 3.29 add tiers, staged and admin network policies (up to 24): 16 is the floor.
 */
export const FELIX_WATCHED_RESOURCE_TYPES = 16;

/**
 * Typha's Prometheus port when TYPHA_PROMETHEUSMETRICSENABLED is true: PrometheusMetricsPort
 * defaults to 9093 from v3.5 to v3.31 (projectcalico/calico typha/pkg/config/config_params.go;
 * projectcalico/typha@v3.5.8 pkg/config/config_params.go). Typha runs on the host network, so it
 * is a port of the node.
 */
export const TYPHA_METRICS_PORT = 9093;
/** Name of the container port netscale declares for it: the PodMonitor scrapes it by name. */
export const TYPHA_METRICS_PORT_NAME = 'metrics';

/**
 * The Kubernetes cluster-proportional-autoscaler, pinned: v1.9.0 is promoted to registry.k8s.io
 * (kubernetes/k8s.io registry.k8s.io/images/k8s-staging-cpa/images.yaml). Its binary is
 * /cluster-proportional-autoscaler and it runs as user 65535 (Dockerfile.in).
 */
export const TYPHA_AUTOSCALER_IMAGE = 'registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.9.0';
export const TYPHA_AUTOSCALER_NAME = 'calico-typha-autoscaler';
/** The autoscaler serves /healthz on 8080 (pkg/autoscaler/health.go, v1.9.0). */
export const TYPHA_AUTOSCALER_HEALTH_PORT = 8080;
/** How often the autoscaler counts the nodes and sets the replicas (--poll-period-seconds default, options.go). */
export const TYPHA_AUTOSCALER_POLL_SECONDS = 10;
